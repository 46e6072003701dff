"""Validation: the team-written labelled evaluation set, per-label precision/recall/F1 and macro-F1 for the
lexicon path and the embedding path side by side.

The set (``data/eval/eval_set.csv``) has a fixed dev/test split (alternating within each language x frame
group). The lexicon path's two decision thresholds (``scoring.POLARITY_BAND``, ``scoring.SUBJECTIVE_AT``)
were chosen by looking at the dev split only; the embedding path has no thresholds (arg-max over
prototype centroids). Report test figures; dev figures are shown for transparency.
"""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from critmin.discourse import FRAMES
from critmin.errors import InputError, UsageError

POLARITIES = ("positive", "negative", "neutral")
SUBJECTIVITIES = ("subjective", "objective")
TASKS = {"frame": FRAMES, "polarity": POLARITIES, "subjectivity": SUBJECTIVITIES}


class EvalItem(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    split: Literal["dev", "test", "heldout"]
    language: Literal["zh", "en", "ja"]
    frame: Literal["security", "industry_technology", "green_transition", "alliances_cooperation",
                   "rules_standards", "market", "development_sharing", "risk"]
    polarity: Literal["positive", "negative", "neutral"]
    subjectivity: Literal["subjective", "objective"]
    text: str


def eval_path() -> Path:
    return Path(str(resources.files("critmin.discourse") / "data" / "eval" / "eval_set.csv"))


def load_eval_set(path: str | Path | None = None) -> list[EvalItem]:
    path = Path(path) if path else eval_path()
    items = []
    with path.open(encoding="utf-8", newline="") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            try:
                items.append(EvalItem.model_validate(row))
            except ValidationError as exc:
                err = exc.errors()[0]
                raise InputError(str(path), record=line, field=".".join(map(str, err["loc"])),
                                 expected=err["msg"], got=err.get("input")) from exc
    ids = [i.id for i in items]
    if len(ids) != len(set(ids)):
        raise InputError(str(path), field="id", expected="unique ids", got="duplicates")
    return items


# Scheme names (research/discourse_annotation.md) -> the stored frame ids, which stay stable for the
# `score` output and the warehouse columns.
SCHEME_FRAMES = {"alliance_cooperation": "alliances_cooperation", "market_economy": "market"}


class RealRef(BaseModel):
    """One reference to a sentence of a real public document: where it is (URL), its SHA-256 (of the NFC
    sentence) and its labels under the annotation scheme. The sentence itself is not in the repository."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    split: Literal["dev", "heldout"]
    language: Literal["zh", "en", "ja"]
    url: str
    sha256: str
    chars: int
    frame: str
    polarity: Literal["positive", "negative", "neutral"]
    subjectivity: Literal["subjective", "objective"]


def real_refs_path() -> Path:
    return Path(str(resources.files("critmin.discourse") / "data" / "eval" / "real_refs.csv"))


def sentence_hash(text: str) -> str:
    import hashlib
    import unicodedata

    return hashlib.sha256(unicodedata.normalize("NFC", text.strip()).encode("utf-8")).hexdigest()


def load_real_set(texts: str | Path, refs: str | Path | None = None) -> tuple[list[EvalItem], list[str]]:
    """Join the reference file with a user's text file (one sentence per line, any order, as copied from the
    URLs) by SHA-256. Returns the labelled items found and the ids of references with no matching line."""
    refs = Path(refs) if refs else real_refs_path()
    texts = Path(texts)
    if not texts.is_file():
        raise InputError(str(texts), expected="a UTF-8 text file, one sentence per line")
    by_hash = {}
    for line in texts.read_text(encoding="utf-8").splitlines():
        if line.strip():
            by_hash[sentence_hash(line)] = line.strip()
    items, missing = [], []
    with refs.open(encoding="utf-8", newline="") as fh:
        for n, row in enumerate(csv.DictReader(fh), start=2):
            try:
                ref = RealRef.model_validate(row)
            except ValidationError as exc:
                err = exc.errors()[0]
                raise InputError(str(refs), record=n, field=".".join(map(str, err["loc"])),
                                 expected=err["msg"], got=err.get("input")) from exc
            frame = SCHEME_FRAMES.get(ref.frame, ref.frame)
            if frame not in FRAMES:
                raise InputError(str(refs), record=n, field="frame", expected="a scheme frame", got=ref.frame)
            text = by_hash.get(ref.sha256)
            if text is None:
                missing.append(ref.id)
                continue
            items.append(EvalItem(id=ref.id, split=ref.split, language=ref.language, frame=frame,
                                  polarity=ref.polarity, subjectivity=ref.subjectivity, text=text))
    return items, missing


def confusion(gold: list[str], pred: list[str], labels) -> dict[str, dict[str, int]]:
    """gold label -> predicted label -> count (predicted 'none' kept as its own column)."""
    cols = list(labels) + sorted({p for p in pred if p not in labels})
    out = {g: dict.fromkeys(cols, 0) for g in labels}
    for g, p in zip(gold, pred, strict=True):
        out[g][p] += 1
    return out


def prf(gold: list[str], pred: list[str], labels) -> list[dict]:
    """Per-label precision, recall, F1 and support (a prediction outside ``labels``, e.g. 'none', counts
    as a miss for the gold label and a false positive for no label)."""
    rows = []
    for lab in labels:
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == lab and p == lab)
        fp = sum(1 for g, p in zip(gold, pred, strict=True) if g != lab and p == lab)
        fn = sum(1 for g, p in zip(gold, pred, strict=True) if g == lab and p != lab)
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        rows.append({"label": lab, "precision": prec, "recall": rec, "f1": f1, "support": tp + fn})
    return rows


def predict_lexicon(items: list[EvalItem]) -> dict[str, list[str]]:
    from critmin.discourse.scoring import analyzer, polarity_label, subjectivity_label

    scores = [analyzer(i.language).analyze(i.text) for i in items]
    return {
        "frame": [s.top_frame for s in scores],
        "polarity": [polarity_label(s.polarity) for s in scores],
        "subjectivity": [subjectivity_label(s.subjectivity) for s in scores],
    }


def predict_embedding(items: list[EvalItem], classifier=None) -> dict[str, list[str]]:
    from critmin.discourse.embedding import default_classifier

    clf = classifier or default_classifier()
    s = clf.score([i.text for i in items], [i.language for i in items])
    return {"frame": s.top_frame, "polarity": s.polarity_label, "subjectivity": s.subjectivity_label}


def evaluate(split: str = "test", methods: tuple[str, ...] = ("lexicon", "embedding"), language: str | None = None,
             classifier=None, items: list[EvalItem] | None = None):
    """Per-label P/R/F1 plus a ``macro`` row per (method, task) on ``split`` ('dev', 'test', 'heldout' or
    'all') of the team's set, or of ``items`` (e.g. :func:`load_real_set`)."""
    import pandas as pd

    rows = []
    for method, task, labels, gold, pred in _gold_pred(split, methods, language, classifier, items):
        per = prf(gold, pred, labels)
        acc = sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold)
        rows += [{"method": method, "task": task, **r} for r in per]
        rows.append({"method": method, "task": task, "label": "macro",
                     "precision": sum(r["precision"] for r in per) / len(per),
                     "recall": sum(r["recall"] for r in per) / len(per),
                     "f1": sum(r["f1"] for r in per) / len(per), "support": len(gold), "accuracy": acc})
    df = pd.DataFrame(rows)
    for c in ("precision", "recall", "f1", "accuracy"):
        if c in df:
            df[c] = df[c].round(3)
    df.insert(0, "split", split)
    return df


def macro_table(df):
    """method x task macro-F1 pivot of an :func:`evaluate` result."""
    m = df[df.label == "macro"]
    return m.pivot(index="method", columns="task", values="f1")


def _select(split: str, language: str | None, items: list[EvalItem] | None) -> list[EvalItem]:
    """The items of ``split`` (dev, test, heldout or all) in ``language``; an empty selection is refused."""
    items = load_eval_set() if items is None else items
    if split != "all":
        if split not in ("dev", "test", "heldout"):
            raise UsageError(f"unknown split {split!r}: expected dev, test, heldout or all")
        items = [i for i in items if i.split == split]
    if language:
        items = [i for i in items if i.language == language]
    if not items:
        raise UsageError("no evaluation items for this selection")
    return items


def _predict(method: str, items: list[EvalItem], classifier=None) -> dict[str, list[str]]:
    """Labels per task from ``method`` (lexicon or embedding); any other name is refused."""
    if method == "lexicon":
        return predict_lexicon(items)
    if method == "embedding":
        return predict_embedding(items, classifier)
    raise UsageError(f"unknown method {method!r}: expected lexicon or embedding")


def _gold_pred(split, methods, language, classifier, items):
    """(method, task, labels, gold labels, predicted labels) for every method and task on the selection."""
    items = _select(split, language, items)
    for method in methods:
        pred = _predict(method, items, classifier)
        for task, labels in TASKS.items():
            yield method, task, labels, [getattr(i, task) for i in items], pred[task]


def confusion_table(split: str = "test", methods: tuple[str, ...] = ("lexicon",), language: str | None = None,
                    classifier=None, items: list[EvalItem] | None = None):
    """Long table of confusion counts: method, task, gold, predicted, n (rows only where n > 0)."""
    import pandas as pd

    rows = []
    for method, task, labels, gold, pred in _gold_pred(split, methods, language, classifier, items):
        for g, row in confusion(gold, pred, labels).items():
            rows += [{"method": method, "task": task, "gold": g, "predicted": p, "n": n} for p, n in row.items() if n]
    return pd.DataFrame(rows, columns=["method", "task", "gold", "predicted", "n"])
