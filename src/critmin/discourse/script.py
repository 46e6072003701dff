"""Traditional -> simplified Chinese before lexicon lookup.

Relays of mainland texts from Hong Kong and Taiwan arrive in traditional characters (discourse_annotation.md:
normalise the script before lookup); the lexicons and jieba's dictionary are simplified. The table is OpenCC's
character table ``TSCharacters`` (shipped by ``opencc-python-reimplemented``, Apache-2.0, offline), first
candidate per character, applied with ``str.translate`` (C speed). OpenCC's own converter also applies phrase
tables but runs at ~0.3 MB/s in pure Python, under the 1 MB/s goal; the phrase tables mostly settle one-to-many
cases (乾/干, 後/后 are one-to-one anyway) that matter for display, rarely for lexicon lookup. A sentence is
translated only when it holds a traditional-only character; simplified text costs one set test per sentence.

Only the text used for lookup is converted: stored sentences keep the author's script.
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def _table() -> dict[int, str]:
    """Traditional character -> its first simplified candidate in OpenCC's TSCharacters, where they differ."""
    from importlib import resources

    path = resources.files("opencc") / "dictionary" / "TSCharacters.txt"
    table = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) == 2 and len(parts[0]) == 1:
            target = parts[1].split(" ")[0]
            if target != parts[0]:
                table[ord(parts[0])] = target
    return table


@lru_cache(maxsize=1)
def _traditional_only() -> frozenset[str]:
    return frozenset(chr(c) for c in _table())


def is_traditional(text: str) -> bool:
    """True when ``text`` holds at least one traditional-only character."""
    return not _traditional_only().isdisjoint(text)


def to_simplified(text: str) -> str:
    """``text`` in simplified characters (unchanged, and cheap, when it has no traditional-only character)."""
    if not is_traditional(text):
        return text
    return text.translate(_table())
