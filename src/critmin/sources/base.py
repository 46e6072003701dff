"""The adapter protocol: what every source of data implements, so that build and ingest know no source's quirks.

An adapter turns one origin's files into canonical warehouse rows in five steps, each a method, run by
``critmin.warehouse.build`` (build sources) or ``critmin.warehouse.ingest`` (user files):

1. ``read_raw`` stages the source's rows in DuckDB as they are (text columns plus a ``line`` naming the record),
   one or more chunks;
2. ``check`` refuses bad rows (typed errors naming file, record and field) and says which relation holds the
   rows to keep (an adapter may drop aggregates there) and which codes were unknown;
3. ``canonical_select`` is the SQL that turns kept rows into the target table's columns, in order, with the
   provenance id bound as ``$provenance_id`` (values are never pasted into SQL text);
4. ``provenance`` is the record that enters with the rows (house rule 2);
5. ``tables`` names the target tables; ``inputs`` lists what a build's layer hash must cover.

``kind`` says how an adapter is used: ``base`` — a complete dataset for the build's layers, one per build
(``critmin build --source NAME``); ``extra`` — loaded by every build on top of the base (an extension's own
feed); ``file`` — user files added by ``critmin ingest``, chosen by ``detect``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:  # pragma: no cover
    from critmin.sources.provenance import Provenance

Kind = Literal["base", "extra", "file"]


@dataclass
class Raw:
    """One chunk of a source's rows staged in DuckDB as relation ``relation``; ``label`` names the file (and
    table) in errors; ``info`` holds what the adapter learnt while reading (header, file-name fields, …)."""

    table: str
    relation: str
    label: str
    path: Path | None = None
    info: dict[str, Any] = field(default_factory=dict)


@dataclass
class Checked:
    """What ``check`` found: the relation to canonicalise (the raw one, or a filtered one), rows dropped as
    aggregates, and unknown codes that were allowed (``(code, first line, field)``), for the report and for
    ``allowed_unknown_codes``."""

    relation: str
    skipped_aggregates: int = 0
    unknown: list[tuple[Any, int, str]] = field(default_factory=list)


@runtime_checkable
class Adapter(Protocol):
    name: str                 # registry key; for a base source also ``critmin build --source NAME``
    source: str               # the provenance ``source`` of every row it loads
    kind: Kind
    tables: tuple[str, ...]   # target tables (canonical warehouse tables)

    def detect(self, path: Path) -> bool:
        """Whether ``path`` looks like this adapter's files (always False for build sources)."""
        ...

    def inputs(self, table: str) -> dict[str, str]:
        """What loading ``table`` reads: label -> SHA-256 (files, and any spec that shapes the rows)."""
        ...

    def read_raw(self, con, table: str, path: Path | None = None) -> Iterator[Raw]:
        ...

    def check(self, con, raw: Raw, allow_unknown: bool = False) -> Checked:
        ...

    def canonical_select(self, raw: Raw, checked: Checked) -> str:
        ...

    def provenance(self, raw: Raw, row_count: int) -> Provenance:
        ...


def sha256_text(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()
