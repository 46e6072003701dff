"""A DataFrame as a plain-text table for the terminal, below every face (CLI listings, incident text).

Cells come from data (party names, sentences, file names), so they are shown as plain text: never read as
rich markup (a ``[/x]`` crashed the table, ``[red]`` restyled it) and with control characters (C0 but tab and
newline, DEL, C1, so ESC/CSI sequences) shown as ``\\x1b`` text instead of reaching the terminal.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

# C0 controls except tab and newline, DEL and C1 (0x9b is a one-byte CSI): shown as '\x1b'-style text.
CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x09), *range(0x0b, 0x20), *range(0x7f, 0xa0))}


def clean(value) -> str:
    """``value`` as text safe for a terminal: control characters become visible ``\\xNN`` text."""
    return str(value).translate(CONTROL)


def cell(value) -> str:
    """A cell as text: empty for None/NaN, 4 significant digits below a million, thousands separators."""
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        return f"{value:,.4g}" if abs(value) < 1e6 else f"{value:,.0f}"
    return str(value)


def write_table(df: pd.DataFrame, title: str | None = None, out=None) -> None:
    """Write ``df`` to ``out`` (stdout by default) as a rich table; numbers right-aligned."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title=None if title is None else Text(clean(title)), show_lines=False)
    for col in df.columns:
        table.add_column(Text(clean(col)), justify="right" if df[col].dtype.kind in "iuf" else "left")
    for row in df.itertuples(index=False):
        table.add_row(*[Text(clean(cell(v))) for v in row])  # Text: never parsed as markup or :emoji:
    Console(file=out or sys.stdout, width=200).print(table)
