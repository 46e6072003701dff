"""Provenance records: who produced a file, which vintage, under which licence, its size and checksum."""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


@dataclass
class Provenance:
    """One record per loaded file (or table within a file)."""

    source: str
    file: str
    vintage: str
    licence: str
    url: str
    sha256: str
    table: str
    row_count: int = 0
    note: str = ""
    loaded_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    @property
    def provenance_id(self) -> str:
        """Stable id: source, target table and the file's checksum (same file → same id)."""
        slug = re.sub(r"[^a-z0-9.]+", "-", self.source.lower()).strip("-")
        return f"{slug}:{self.table}:{self.sha256[:12]}"

    def as_row(self) -> dict:
        row = asdict(self)
        row["provenance_id"] = self.provenance_id
        return row


PROVENANCE_COLUMNS = [
    "provenance_id", "source", "table", "file", "vintage", "licence", "url", "row_count", "sha256", "note",
    "loaded_at",
]
