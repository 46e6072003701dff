"""Adapter for full BACI CSV files exactly as CEPII publishes them.

Format: header ``t,i,j,k,v,q``; t year, i exporter and j importer as numeric country codes, k HS6 product
(HS92 or a later revision, named in the file name ``BACI_HS17_Y2022_V202401b.csv``), v value in thousand USD,
q quantity in tonnes, ``NA`` (often space-padded) where unknown. Files are streamed by DuckDB (plain or .gz),
so their size does not matter.
"""

from __future__ import annotations

import re
from pathlib import Path

from critmin.errors import InputError
from critmin.sources.files import header_columns, read_csv_sql, require_complete
from critmin.sources.provenance import Provenance, sha256_file

SOURCE = "CEPII BACI (user file)"
HEADER = ["t", "i", "j", "k", "v", "q"]
NAME_RE = re.compile(r"BACI_(HS\d{2})_Y(\d{4})_(V\d{6}[a-z]?)", re.IGNORECASE)


def describe(path: Path) -> dict:
    """Nomenclature, year and release parsed from CEPII's file name (when it follows their pattern)."""
    m = NAME_RE.search(path.name)
    if not m:
        return {"nomenclature": "unknown", "year": None, "release": "unknown"}
    return {"nomenclature": m.group(1).upper(), "year": int(m.group(2)), "release": m.group(3)}


def check_file(path: Path) -> None:
    """Header must be exactly CEPII's; a plain file must end with a newline (else it was truncated)."""
    cols = header_columns(path, "a readable UTF-8 CSV file (plain or .gz)")
    if cols != HEADER:
        raise InputError(str(path), 1, "header", "CEPII BACI columns t,i,j,k,v,q", ",".join(cols))
    require_complete(path)


def raw_relation_sql(path: Path) -> tuple[str, dict]:
    """DuckDB SQL (and its parameters) reading the file as text columns plus a line number."""
    return read_csv_sql(path, HEADER)


def provenance(path: Path, row_count: int) -> Provenance:
    d = describe(path)
    return Provenance(
        source=SOURCE, file=str(path.resolve()), table="trade", row_count=row_count, sha256=sha256_file(path),
        vintage=f"BACI {d['nomenclature']} {d['release']}" + (f", year {d['year']}" if d["year"] else ""),
        licence="Etalab Open Licence 2.0 (CEPII BACI)",
        url="https://www.cepii.fr/CEPII/en/bdd_modele/bdd_modele_item.asp?id=37",
        note=f"nomenclature {d['nomenclature']}",
    )
