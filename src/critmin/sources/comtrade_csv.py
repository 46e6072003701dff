"""Adapter for UN Comtrade CSV exports (the columns the ``comtradeapicall`` package returns).

Comtrade rows are what one reporter declared: flow ``M`` (imports: partner → reporter) or ``X`` (exports:
reporter → partner). Values are USD (``primaryValue``), weights kg (``netWgt``). Rows that would double count
are skipped and reported: partner ``W00``/World (code 0), second-partner, mode-of-transport or customs-procedure
breakdowns other than their totals, and re-export/re-import flows. Rows go to ``trade_comtrade``, never mixed
with BACI's reconciled ``trade``.
"""

from __future__ import annotations

from pathlib import Path

from critmin.errors import InputError
from critmin.sources.files import header_columns, read_csv_sql, require_complete
from critmin.sources.provenance import Provenance, sha256_file

SOURCE = "UN Comtrade (user export)"
REQUIRED = ["refYear", "reporterISO", "partnerISO", "flowCode", "cmdCode", "primaryValue"]
OPTIONAL = ["netWgt", "partnerCode", "partner2Code", "motCode", "customsCode", "freqCode"]
FLOWS = {"M": "import", "X": "export"}


def read_header(path: Path) -> list[str]:
    """Column names of an export; the required ones must be there and the file complete."""
    cols = header_columns(path, "a readable UTF-8 CSV file")
    missing = [c for c in REQUIRED if c not in cols]
    if missing:
        raise InputError(str(path), 1, "header", f"Comtrade columns including {', '.join(REQUIRED)}",
                         f"missing {', '.join(missing)}")
    require_complete(path)
    return cols


def raw_relation_sql(path: Path, header: list[str]) -> tuple[str, dict]:
    """DuckDB SQL (and its parameters) reading the export as text columns plus a line number. Header names
    are bound as a parameter (a header cell is data and can hold quotes)."""
    return read_csv_sql(path, header)


def provenance(path: Path, row_count: int, years: str) -> Provenance:
    return Provenance(
        source=SOURCE, file=str(path.resolve()), table="trade_comtrade", row_count=row_count,
        sha256=sha256_file(path), vintage=f"UN Comtrade final data, years {years} (as exported by the user)",
        licence="UN Comtrade terms of use", url="https://comtradeplus.un.org/",
    )
