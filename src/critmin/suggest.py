""""Did you mean …?" for names a user types: materials, economies, entry ids, options.

One helper so every refusal suggests the same way: close matches by :mod:`difflib` on case-folded text, the
originals returned in the order of closeness.
"""

from __future__ import annotations

from collections.abc import Iterable


def close(word: str, choices: Iterable[str], n: int = 3, cutoff: float = 0.6) -> list[str]:
    """Up to ``n`` of ``choices`` closest to ``word`` (case-insensitive), best first."""
    import difflib

    by_key: dict[str, str] = {}
    for c in choices:
        by_key.setdefault(str(c).casefold(), str(c))
    hits = difflib.get_close_matches(str(word).casefold(), list(by_key), n=n, cutoff=cutoff)
    return [by_key[h] for h in hits]


def hint(word: str, choices: Iterable[str], n: int = 3) -> str:
    """'' or ' (did you mean a, b?)' in the user's language, for the end of an error message."""
    hits = close(word, choices, n)
    if not hits:
        return ""
    from critmin.i18n import t

    return t("suggest.did_you_mean", names=", ".join(hits))
