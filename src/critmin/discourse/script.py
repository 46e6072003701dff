"""Traditional -> simplified Chinese before lexicon lookup.

Relays of mainland texts from Hong Kong and Taiwan arrive in traditional characters (discourse_annotation.md:
normalise the script before lookup); the lexicons and jieba's dictionary are simplified. The conversion uses
OpenCC's phrase and character tables (``opencc-python-reimplemented``, Apache-2.0, offline) with the ``t2s``
configuration. OpenCC in pure Python is slow (~0.1 MB/s), so a sentence goes through it only when it contains
a character that exists in traditional form only; simplified text costs one set test per sentence.

Only the text used for lookup is converted: stored sentences keep the author's script.
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def _traditional_only() -> frozenset[str]:
    """Characters that OpenCC's TSCharacters table maps to a different simplified character."""
    from importlib import resources

    path = resources.files("opencc") / "dictionary" / "TSCharacters.txt"
    chars = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) == 2 and len(parts[0]) == 1 and parts[1].split(" ")[0] != parts[0]:
            chars.add(parts[0])
    return frozenset(chars)


@lru_cache(maxsize=1)
def _converter():
    from opencc import OpenCC

    return OpenCC("t2s")


def is_traditional(text: str) -> bool:
    """True when ``text`` holds at least one traditional-only character."""
    return not _traditional_only().isdisjoint(text)


def to_simplified(text: str) -> str:
    """``text`` in simplified characters (unchanged, and cheap, when it has no traditional-only character)."""
    if not is_traditional(text):
        return text
    return _converter().convert(text)
