"""One policy for every CSV critmin writes (``--format csv``, the monitor's ``alerts.csv``): a text cell that a
spreadsheet would run as a formula (OWASP CSV injection: it starts with ``=``, ``+``, ``-``, ``@``, tab or carriage
return) gets a leading single quote. Numbers stay numbers: numeric columns, numeric values in text columns and
text that is a plain number (``-12``, ``+3.5``, ``-1e-05``) are left as they are. Carriage returns in text become
newlines: the writer quotes a cell with a newline but not one with a bare CR, which readers take as a line end.

It lives at the package root, below every layer, because domain modules (monitor, stress) write CSV themselves
and must not import the CLI.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def neutralise(value):
    """``value`` with a leading ``'`` when it is text that starts a formula (and CR as newline); anything else
    unchanged."""
    if not isinstance(value, str):
        return value
    if value.startswith(FORMULA_START) and not _NUMBER.fullmatch(value):
        value = "'" + value
    return value.replace("\r\n", "\n").replace("\r", "\n") if "\r" in value else value


def csv_safe(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells and column names cannot start a spreadsheet formula."""
    out = df.rename(columns=lambda c: neutralise(c) if isinstance(c, str) else c)
    for col in out.columns[[dt.kind == "O" for dt in out.dtypes]]:
        out[col] = out[col].map(neutralise)
    return out
