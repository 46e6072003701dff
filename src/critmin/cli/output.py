"""Formatting shared by every listing command: ``--format table|csv|json`` over a pandas DataFrame.

Cells come from data (party names, sentences, file names), so a table shows them as plain text: never read as
rich markup (a ``[/x]`` crashed the table, ``[red]`` restyled it) and with control characters (C0 but tab and
newline, DEL, C1, so ESC/CSI sequences) shown as ``\x1b`` text instead of reaching the terminal. CSV cells that
would start a spreadsheet formula are neutralised by :func:`critmin.csvsafe.csv_safe`.
"""

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
        from critmin.csvsafe import csv_safe

        csv_safe(df).to_csv(out, index=False)
    elif fmt is Format.json:
        out.write(df.to_json(orient="records", force_ascii=False, indent=2))
        out.write("\n")
    else:
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        table = Table(title=None if title is None else Text(clean(title)), show_lines=False)
        for col in df.columns:
            numeric = df[col].dtype.kind in "iuf"
            table.add_column(Text(clean(col)), justify="right" if numeric else "left")
        for row in df.itertuples(index=False):
            table.add_row(*[Text(clean(_cell(v))) for v in row])  # Text: never parsed as markup or :emoji:
        Console(file=out, width=200).print(table)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        return f"{value:,.4g}" if abs(value) < 1e6 else f"{value:,.0f}"
    return str(value)


# C0 controls except tab and newline, DEL and C1 (0x9b is a one-byte CSI): shown as '\x1b'-style text.
_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x09), *range(0x0b, 0x20), *range(0x7f, 0xa0))}


def clean(value) -> str:
    """``value`` as text safe for a terminal: control characters become visible ``\\xNN`` text."""
    return str(value).translate(_CONTROL)
