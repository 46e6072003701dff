"""Formatting shared by every listing command: ``--format table|csv|json`` over a pandas DataFrame."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import TYPE_CHECKING

import typer

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


def emit(df: pd.DataFrame, fmt: Format | str = Format.table, title: str | None = None, out=None) -> None:
    """Write ``df`` to ``out`` (stdout by default) as a rich table, CSV or JSON records."""
    fmt = Format(fmt)
    out = out or sys.stdout
    if fmt is Format.csv:
        df.to_csv(out, index=False)
    elif fmt is Format.json:
        out.write(df.to_json(orient="records", force_ascii=False, indent=2))
        out.write("\n")
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(title=title, show_lines=False)
        for col in df.columns:
            numeric = df[col].dtype.kind in "iuf"
            table.add_column(str(col), justify="right" if numeric else "left")
        for row in df.itertuples(index=False):
            table.add_row(*[_cell(v) for v in row])
        Console(file=out, width=200).print(table)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        return f"{value:,.4g}" if abs(value) < 1e6 else f"{value:,.0f}"
    return str(value)
