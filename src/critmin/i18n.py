"""One message catalogue for user-facing text in English and Chinese.

Messages live in ``critmin/messages/*.yaml`` (one file per area, keys prefixed by the area, e.g.
``build.done``); each key maps to ``{en: ..., zh: ...}`` with ``str.format`` fields. The language comes from
the ``lang`` argument, else the ``lang`` setting (``CRITMIN_LANG``), else English.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

LANGS = ("en", "zh")


class UnknownLanguage(ValueError):
    """A language critmin has no text for (the CLI prints it as one line, exit code 2). Defined here, not in
    :mod:`critmin.errors`, because errors are worded through this module."""


@lru_cache(maxsize=1)
def _catalogue() -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {}
    folder = resources.files("critmin") / "messages"
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if not entry.name.endswith((".yaml", ".yml")):
            continue
        # package data: libyaml when present (the pure-Python loader cost 0.2 s per command start), through the
        # parsed-copy cache when the package is plain files
        if isinstance(entry, Path):
            from critmin.settings import get
            from critmin.yamlcache import load

            data = load(entry, get("cache")) or {}
        else:
            import yaml

            data = yaml.load(entry.read_text(encoding="utf-8"),
                             Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
        for key, texts in data.items():
            if key in merged:
                raise ValueError(f"messages/{entry.name}: key '{key}' is defined twice")
            if not isinstance(texts, dict) or not set(LANGS) <= set(texts):
                raise ValueError(f"messages/{entry.name}: key '{key}' needs both 'en' and 'zh'")
            merged[key] = texts
    return merged


def current_lang(lang: str | None = None) -> str:
    from critmin.settings import get

    given = lang or get("lang") or "en"
    lang = str(given).strip().lower().replace("_", "-")
    if lang.startswith("zh"):
        return "zh"
    if lang == "en" or lang.startswith("en-"):
        return "en"
    raise UnknownLanguage(both("i18n.unknown_lang", name=given))  # refused, never English by surprise


def t(key: str, lang: str | None = None, **fields) -> str:
    """The message ``key`` in ``lang`` with ``fields`` filled in."""
    texts = _catalogue()[key]
    return texts[current_lang(lang)].format(**fields)


def both(key: str, **fields) -> str:
    """The message in both languages, English first: 'English / 中文'."""
    return f"{t(key, 'en', **fields)} / {t(key, 'zh', **fields)}"
