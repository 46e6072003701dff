"""Checks every file adapter makes before streaming a file (readable header line, not truncated) and staging it."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

from critmin.errors import InputError

_LINE_RE = re.compile(r"[Ll]ine:?\s*(\d+)")


def header_columns(path: Path, expected: str) -> list[str]:
    """The first line's comma-separated column names (quotes stripped; plain or .gz UTF-8)."""
    if not path.exists():
        raise InputError(str(path), None, None, "an existing file")
    opener = (lambda: gzip.open(path, "rt", encoding="utf-8-sig")) if path.suffix == ".gz" else (
        lambda: open(path, encoding="utf-8-sig"))
    try:
        with opener() as fh:
            first = fh.readline()
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise InputError(str(path), 1, None, expected, str(exc)) from None
    return [c.strip().strip('"') for c in first.strip().split(",")]


def read_csv_sql(path: Path, columns: list[str]) -> tuple[str, dict]:
    """DuckDB SQL reading ``path`` as text columns plus a line number (header = line 1), and its parameters.

    The path and the column names are bound as parameters, never pasted into the SQL text: a header cell or a
    file name is data, and data must not be able to close a string literal and run statements.
    """
    sql = ("SELECT row_number() OVER () + 1 AS line, * FROM read_csv($path, header = true, delim = ',', "
           "quote = '\"', columns = $columns, auto_detect = false, strict_mode = true, null_padding = false)")
    return sql, {"path": str(path), "columns": {c: "VARCHAR" for c in columns}}


def require_complete(path: Path) -> None:
    """A plain text file must end with a newline; otherwise its last line was cut off."""
    if path.suffix == ".gz":  # a truncated gzip stream fails when DuckDB decompresses it
        return
    with open(path, "rb") as fh:
        fh.seek(0, 2)
        size = fh.tell()
        fh.seek(max(0, size - 1))
        if size and fh.read(1) != b"\n":
            raise InputError(str(path), None, None,
                             "a complete file ending with a newline (the last line looks truncated)")


def stage(con, name: str, relation: tuple[str, dict], label: str) -> None:
    """Stage a file's rows as temp table ``name`` (a name chosen by critmin); a malformed CSV row is an
    InputError naming the file and, when DuckDB says it, the line."""
    import duckdb

    sql, params = relation
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}", params)
    except duckdb.Error as exc:
        msg = str(exc).splitlines()[0]
        m = _LINE_RE.search(str(exc))
        raise InputError(label, int(m.group(1)) if m else None, None,
                         "a well-formed CSV row with the header's number of columns", msg) from None
