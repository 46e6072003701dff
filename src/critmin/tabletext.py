"""A table as plain text for the terminal, below every face (CLI listings, incident text).

Cells come from data (party names, sentences, file names), so they are shown as plain text: never read as
rich markup (a ``[/x]`` crashed the table, ``[red]`` restyled it) and with control characters (C0 but tab and
newline, DEL, C1, so ESC/CSI sequences) shown as ``\\x1b`` text instead of reaching the terminal.

One way to show numbers everywhere (the terminal only; files keep the stored values):

* shares and year-on-year ratios (a column named ``*share*``, ``yoy_*``) as percentages, ``61.7 %``;
* other numbers with thousands separators, never in exponent form: ``77,130`` · ``4,799`` · ``0.3127``;
* a country code with its name beside it, ``CHN China``, when the caller passes ``names``.

The table is as wide as the terminal when there is one (headers wrap, never cut), and as wide as its content
when the output goes to a file or a pipe.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

# C0 controls except tab and newline, DEL and C1 (0x9b is a one-byte CSI): shown as '\x1b'-style text.
CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x09), *range(0x0b, 0x20), *range(0x7f, 0xa0))}

# Columns holding ISO3 codes, group ids or material ids that get a name beside them when names are known.
CODE_COLUMNS = ("importer", "exporter", "supplier", "top1_supplier", "top1_supplier_value", "top1_supplier_qty",
                "iso3", "economy", "country", "actor", "target", "party", "top1_producer", "entity", "material_id")


@dataclass(frozen=True)
class Rows:
    """A small result without pandas: column names and row tuples (what a hot command returns, so a lookup need
    not import pandas). ``numeric`` names the columns to right-align."""

    columns: list[str]
    rows: list[tuple]
    numeric: frozenset[str] = frozenset()

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def empty(self) -> bool:
        return not self.rows

    def records(self) -> list[dict]:
        return [dict(zip(self.columns, r, strict=True)) for r in self.rows]

    def drop(self, columns: list[str]) -> Rows:
        keep = [i for i, c in enumerate(self.columns) if c not in set(columns)]
        return Rows([self.columns[i] for i in keep], [tuple(r[i] for i in keep) for r in self.rows],
                    self.numeric - set(columns))

    @classmethod
    def typed(cls, columns: list[str], rows: list[tuple]) -> Rows:
        """Rows whose numeric columns (any int or float value, booleans aside) are right-aligned, as a
        DataFrame's would be."""
        num = {c for i, c in enumerate(columns)
               if any(isinstance(r[i], int | float) and not isinstance(r[i], bool) for r in rows)}
        return cls(list(columns), rows, frozenset(num))

    def to_pandas(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self.rows, columns=self.columns)


def clean(value) -> str:
    """``value`` as text safe for a terminal: control characters become visible ``\\xNN`` text."""
    return str(value).translate(CONTROL)


def is_share(column: str) -> bool:
    """Is ``column`` a fraction 0–1 shown in %? (``top1_share``, ``china_share_value``, ``share``, ``yoy_*``;
    ``*_pp`` columns are already percentage points.)"""
    c = str(column).lower()
    return not c.endswith("_pp") and ("share" in c.split("_") or c.startswith("yoy_") or c.endswith("_share"))


def number(value: float) -> str:
    """One number format: thousands separators and no exponent; 4 significant digits below 1,000."""
    a = abs(value)
    if a >= 1000 or value.is_integer():
        return f"{value:,.0f}"
    from math import floor, log10

    digits = min(12, 3 - floor(log10(a)))
    return f"{value:,.{digits}f}".rstrip("0").rstrip(".")


NA_TEXT = ("NaT", "nan", "NaN", "<NA>", "None")


def cell(value, share: bool = False, plain: bool = False) -> str:
    """A cell as text: empty for None/NaN/NaT, shares as %, numbers in the one format; ``plain``: an integer
    column that is a label (year, rank, code) is shown without separators."""
    if value is None:
        return ""
    if isinstance(value, str):
        return "" if value in NA_TEXT else value
    if isinstance(value, bool) or getattr(getattr(value, "dtype", None), "kind", "") == "b":
        return str(bool(value))
    try:
        f = float(value)
    except (TypeError, ValueError):
        text = str(value)
        return "" if text in NA_TEXT else text
    if f != f:  # NaN
        return ""
    if share:
        return f"{100 * f:,.1f} %"
    if isinstance(value, int) or getattr(getattr(value, "dtype", None), "kind", "") in "iu" and \
            hasattr(value, "dtype"):
        return str(int(f)) if plain else f"{int(f):,}"
    return number(f)


LABEL_INTS = ("year", "rank", "hs6", "m49", "id", "line", "month", "months", "draws", "seed")


def is_label(column: str) -> bool:
    """An integer column that names rather than counts (shown without thousands separators)."""
    c = str(column).lower()
    return c in LABEL_INTS or c.endswith(("_year", "_id", "_rank"))


def _columns(data) -> tuple[list[str], list[bool], list]:
    """Column names, right-alignment flags and row tuples of a DataFrame or Rows."""
    if isinstance(data, Rows):
        return list(data.columns), [c in data.numeric or is_share(c) for c in data.columns], data.rows
    cols = list(data.columns)
    right = [data[c].dtype.kind in "iuf" for c in cols]
    return cols, right, list(data.itertuples(index=False, name=None))


def _with_name(code, names: dict[str, str] | None) -> str:
    text = clean(cell(code))
    if not names or not text:
        return text
    name = names.get(text)
    return f"{text} {name}" if name and name != text else text


def header(column: str, lang: str | None = None) -> str:
    """The column's title: its stored name in English, the catalogue's ``col.<name>`` title in Chinese."""
    from critmin.i18n import current_lang, t

    if current_lang(lang) == "zh":
        try:
            return t(f"col.{column}", "zh")
        except KeyError:
            return str(column)
    return str(column)


def write_table(data, title: str | None = None, out=None, names: dict[str, str] | None = None,
                lang: str | None = None) -> None:
    """Write ``data`` (a DataFrame or :class:`Rows`) to ``out`` (stdout by default) as a rich table: numbers
    right-aligned, shares in %, country names beside codes when ``names`` is given, headers in ``lang``."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    out = out or sys.stdout
    cols, right, rows = _columns(data)
    shares = [is_share(c) for c in cols]
    labels = [is_label(c) for c in cols]
    coded = [c in CODE_COLUMNS for c in cols]
    text_rows = [[_with_name(v, names) if coded[i] else clean(cell(v, shares[i], labels[i]))
                  for i, v in enumerate(r)] for r in rows]
    headers = [f"{header(c, lang)} %" if shares[i] else header(c, lang) for i, c in enumerate(cols)]
    isatty = getattr(out, "isatty", lambda: False)()
    if isatty:
        import shutil

        width = shutil.get_terminal_size((120, 24)).columns
    else:  # a file or a pipe: as wide as the content, nothing cut
        from rich.cells import cell_len  # a CJK character takes two columns

        widths = [max([cell_len(h), *(cell_len(t) for t in (r[i] for r in text_rows))])
                  for i, h in enumerate(headers)]
        width = max(80, sum(widths) + 3 * len(widths) + 4, cell_len(title or "") + 4)
    table = Table(title=None if title is None else Text(clean(title)), show_lines=False)
    for i, h in enumerate(headers):
        table.add_column(Text(clean(h)), justify="right" if right[i] or shares[i] else "left", overflow="fold")
    for r in text_rows:
        table.add_row(*[Text(v) for v in r])  # Text: never parsed as markup or :emoji:
    Console(file=out, width=width, force_terminal=False if not isatty else None).print(table)
