"""Formatting shared by every listing command: ``--format table|csv|json`` over a pandas DataFrame.

Tables are drawn by :mod:`critmin.tabletext` (data as plain text, control characters visible), CSV cells that
would start a spreadsheet formula are neutralised by :func:`critmin.csvsafe.csv_safe`.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import TYPE_CHECKING

import typer

from critmin.tabletext import clean, write_table

__all__ = ["ENGINE_OPT", "FORMAT_OPT", "LAKE_OPT", "WAREHOUSE_OPT", "Format", "clean", "emit"]

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


# Options shared by every command that reads the warehouse or lists rows.
WAREHOUSE_OPT = typer.Option(None, "--warehouse", "-w",
                             help="warehouse file (else $CRITMIN_WAREHOUSE, else per-user default)")
FORMAT_OPT = typer.Option(Format.table, "--format", "-f", help="table|csv|json")
# Where indicators run (critmin.indicators.engine): DuckDB on the warehouse, or Spark on the lake it was exported to.
ENGINE_OPT = typer.Option(None, "--engine", help="duckdb (default) or spark (reads the Parquet lake; "
                          "else $CRITMIN_ENGINE)")
LAKE_OPT = typer.Option(None, "--lake", help="lake folder for --engine spark (else $CRITMIN_LAKE, else the "
                        "warehouse path with .lake)")


def emit(df: pd.DataFrame, fmt: Format | str = Format.table, title: str | None = None, out=None) -> None:
    """Write ``df`` to ``out`` (stdout by default) as a rich table, CSV or JSON records."""
    fmt = Format(fmt)
    out = out or sys.stdout
    if fmt is Format.csv:
        from critmin.csvsafe import csv_safe

        csv_safe(df).to_csv(out, index=False)
    elif fmt is Format.json:
        out.write(df.to_json(orient="records", force_ascii=False, indent=2))
        out.write("\n")
    else:
        write_table(df, title=title, out=out)
