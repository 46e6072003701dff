"""The project's own zh/en/ja lexicons: frames, sentiment, modifiers, subjectivity markers, domain masks.

Files live in ``data/lexicon/`` (``frames_<lang>.yaml`` and ``affect_<lang>.yaml``), are validated by
pydantic on load and refused naming the file and the entry when broken. A lexicon term is never both a
frame term and a sentiment term (the framing vocabulary must not echo into sentiment, see
research/nlp_options.md); :func:`load_lexicon` enforces that.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from critmin.discourse import FRAMES, LANGS
from critmin.errors import InputError

FrameName = Literal[
    "security", "industry_technology", "green_transition", "alliances_cooperation",
    "rules_standards", "market", "development_sharing", "risk",
]
SubjKind = Literal["evaluative", "modal", "stance", "first_person"]
SUBJ_KINDS: tuple[str, ...] = ("evaluative", "modal", "stance", "first_person")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FrameTerm(_Strict):
    term: str = Field(min_length=1)
    frame: FrameName
    weight: float = Field(gt=0, le=3)
    language: Literal["zh", "en", "ja"]

    @field_validator("term")
    @classmethod
    def _strip(cls, v: str) -> str:
        if v != v.strip():
            raise ValueError("term has surrounding spaces")
        return v


class SentimentTerm(_Strict):
    term: str = Field(min_length=1)
    polarity: float = Field(ge=-3, le=3)
    language: Literal["zh", "en", "ja"]

    @field_validator("polarity")
    @classmethod
    def _nonzero(cls, v: float) -> float:
        if v == 0:
            raise ValueError("polarity must not be 0")
        return v


class Intensifier(_Strict):
    term: str = Field(min_length=1)
    factor: float = Field(gt=0, le=3)


class SubjTerm(_Strict):
    term: str = Field(min_length=1)
    kind: SubjKind
    weight: float = Field(gt=0, le=3)
    language: Literal["zh", "en", "ja"]


class FrameFile(_Strict):
    version: str
    language: Literal["zh", "en", "ja"]
    entries: list[FrameTerm]


class HazardTerm(_Strict):
    """A frame word whose wording is itself an evaluation (vulnerability, threat, 断供, 途絶): the annotation
    scheme labels a sentence that presents it as a hazard negative. Unlike a sentiment term it may be a frame
    term; a mitigator next to it ("to reduce dependence", 降低风险, リスクを低減) cancels it."""

    term: str = Field(min_length=1)
    polarity: float = Field(ge=-3, lt=0)
    language: Literal["zh", "en", "ja"]


class AffectFile(_Strict):
    version: str
    language: Literal["zh", "en", "ja"]
    sentiment: list[SentimentTerm]
    negators: list[str]
    intensifiers: list[Intensifier]
    subjectivity: list[SubjTerm]
    domain_terms: list[str]
    hazards: list[HazardTerm] = []
    mitigators: list[str] = []


class Lexicon(BaseModel):
    """All lexicon data for one language (validated, not yet compiled for a tokenizer)."""

    model_config = ConfigDict(frozen=True)
    language: str
    version: str
    frames: list[FrameTerm]
    affect: AffectFile
    sources: tuple[str, ...]


def _default_dir() -> Path:
    return Path(str(resources.files("critmin.discourse") / "data" / "lexicon"))


def _read_yaml(path: Path, bundled: bool = False):
    """A user's lexicon through the shared reader (UTF-8, no duplicate keys, bounded nesting, finite numbers; the
    line of the problem). The bundled files are package data that the tests read through the shared reader; they
    load with libyaml, which is eight times faster (1.5 s less per discourse command)."""
    from critmin.datafile import read_bundled_yaml, read_yaml

    if bundled:
        return read_bundled_yaml(path)
    return read_yaml(path, InputError, "a lexicon YAML file")


def _validate(model, data, path: Path):
    """Validate against ``model``; errors name the entry (``entries.3 (term 'x')``), its line and the field."""
    from critmin.datafile import validate
    from critmin.i18n import t

    try:
        return validate(data, model, str(path))
    except InputError as exc:
        loc = [int(p) if p.isdigit() else p for p in (exc.field or "").split(".") if p]
        record = ".".join(str(x) for x in loc[:2]) or None
        if len(loc) >= 2 and isinstance(loc[1], int) and isinstance(data, dict):
            try:
                term = data[loc[0]][loc[1]].get("term")
            except (KeyError, IndexError, AttributeError, TypeError):
                term = None
            record += f" (term {term!r})" if isinstance(term, str) else ""
        if isinstance(exc.record, int):
            record = record + t("error.sep") + t("error.line", n=exc.record) if record else exc.record
        raise InputError(str(path), record=record, field=str(loc[-1]) if loc else None, expected=exc.expected,
                         got=exc.got) from None


def _norm(term: str, lang: str) -> str:
    return term.lower() if lang == "en" else term


@lru_cache(maxsize=8)
def load_lexicon(lang: str, directory: str | None = None) -> Lexicon:
    """Load and validate the lexicon of ``lang`` from ``directory`` (default: the bundled one)."""
    if lang not in LANGS:
        raise InputError("lexicon", field="language", expected="one of zh|en|ja", got=lang)
    folder = Path(directory) if directory else _default_dir()
    fpath, apath = folder / f"frames_{lang}.yaml", folder / f"affect_{lang}.yaml"
    frames = _validate(FrameFile, _read_yaml(fpath, not directory), fpath)
    affect = _validate(AffectFile, _read_yaml(apath, not directory), apath)
    for path, obj in ((fpath, frames), (apath, affect)):
        if obj.language != lang:
            raise InputError(str(path), field="language", expected=lang, got=obj.language)
    seen: dict[str, str] = {}
    for i, e in enumerate(frames.entries):
        if e.language != lang:
            raise InputError(str(fpath), record=f"entries.{i} (term {e.term!r})", field="language",
                             expected=lang, got=e.language)
        key = _norm(e.term, lang)
        if key in seen and seen[key] != e.frame:
            raise InputError(str(fpath), record=f"entries.{i} (term {e.term!r})", field="frame",
                             expected=f"one frame per term (already {seen[key]})", got=e.frame)
        seen[key] = e.frame
    for i, s in enumerate(affect.sentiment):
        if _norm(s.term, lang) in seen:
            raise InputError(str(apath), record=f"sentiment.{i} (term {s.term!r})", field="term",
                             expected="no frame term in the sentiment lexicon (frames would echo into "
                                      "sentiment)", got=s.term)
    return Lexicon(language=lang, version=f"{frames.version}/{affect.version}", frames=frames.entries,
                   affect=affect, sources=(str(fpath), str(apath)))


def lexicon_version() -> str:
    """One version string over the three languages (goes into every stored score)."""
    return ";".join(f"{lang}:{load_lexicon(lang).version}" for lang in LANGS)


def frame_index(frame: str) -> int:
    return FRAMES.index(frame)
