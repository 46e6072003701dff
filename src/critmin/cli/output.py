"""Formatting shared by every listing command: ``--format table|csv|json`` to the terminal, or ``--out FILE``
(.csv, .json, .xlsx, .parquet, chosen by the suffix) written atomically.

Tables are drawn by :mod:`critmin.tabletext` (data as plain text, control characters visible, one number format,
shares in %, names beside codes); CSV cells that would start a spreadsheet formula are neutralised by
:func:`critmin.csvsafe.csv_safe`. CSV, JSON, Excel and Parquet keep the stored values (shares as fractions 0–1),
so a file read back gives the numbers the indicator computed.

An empty result is not a silent empty table: :func:`emit` raises :class:`EmptyResult` (exit code 8, see
``critmin --help``) with a sentence saying what was asked.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from critmin.errors import EmptyResult
from critmin.tabletext import Rows, clean, write_table

__all__ = ["ENGINE_OPT", "FORMAT_OPT", "LAKE_OPT", "OUT_OPT", "WAREHOUSE_OPT", "EmptyResult", "Format", "Rows",
           "check_lang", "clean", "emit", "country_names"]

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

FILE_SUFFIXES = (".csv", ".json", ".xlsx", ".parquet")


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
OUT_OPT = typer.Option(None, "--out", "-o",
                       help="write the rows to this file instead: .csv, .json, .xlsx (Excel) or .parquet")


def country_names(wh, lang: str | None = None) -> dict[str, str]:
    """ISO3 -> country name in ``lang`` from the warehouse's ``countries`` table, and in Chinese also material id
    -> Chinese name (a cheap read on the open handle; no catalog or pandas import). Group ids (EU27, G7) stay
    as they are: they read as names already, and their full titles are long."""
    from critmin.i18n import current_lang

    zh = current_lang(lang) == "zh"
    col = "name_zh" if zh else "name_en"
    names: dict[str, str] = {}
    tables = [("countries", "iso3"), *([("materials", "material_id")] if zh else [])]
    for table, key in tables:
        try:
            rows = wh.con.execute(f"SELECT {key}, {col} FROM {table}").fetchall()
        except Exception:  # noqa: BLE001 - an older warehouse without the table: codes stay bare
            continue
        for code, name in rows:
            if code and name and code not in names:
                names[str(code)] = str(name)
    return names


def _is_empty(data) -> bool:
    return len(data) == 0


def emit(data: pd.DataFrame | Rows, fmt: Format | str = Format.table, title: str | None = None, out=None, *,
         path: str | Path | None = None, names: dict[str, str] | None = None, empty: str | None = None,
         lang: str | None = None) -> None:
    """Write ``data`` (a DataFrame or :class:`~critmin.tabletext.Rows`) as a table, CSV or JSON records to
    ``out`` (stdout by default), or to the file ``path`` (format from its suffix, written atomically).

    ``names``: ISO3 -> name, shown beside codes in tables; ``lang``: of the table headers (else the setting).
    ``empty``: when given and ``data`` has no rows, raise
    :class:`EmptyResult` with this sentence instead of printing an empty table.
    """
    if empty is not None and _is_empty(data):
        raise EmptyResult(empty)
    if path is not None:
        _write_file(data, Path(path))
        from critmin.i18n import t

        typer.echo(t("cli.written", rows=len(data), path=str(path)), err=True)
        return
    fmt = Format(fmt)
    out = out or sys.stdout
    if fmt is Format.csv:
        _csv(data, out)
    elif fmt is Format.json:
        _json(data, out)
    else:
        write_table(data, title=title, out=out, names=names, lang=lang)


def _csv(data, out) -> None:
    from critmin.csvsafe import csv_safe, neutralise

    if isinstance(data, Rows):
        import csv

        w = csv.writer(out, lineterminator="\n")
        w.writerow([neutralise(c) for c in data.columns])
        w.writerows([["" if v is None else neutralise(v) for v in r] for r in data.rows])
    else:
        csv_safe(data).to_csv(out, index=False, lineterminator="\n")


def _json(data, out) -> None:
    if isinstance(data, Rows):
        import json

        out.write(json.dumps(data.records(), ensure_ascii=False, indent=2, default=str))
    else:
        out.write(data.to_json(orient="records", force_ascii=False, indent=2))
    out.write("\n")


def _write_file(data, path: Path) -> None:
    """The rows to ``path`` in the format its suffix names, through a temporary file renamed into place."""
    from critmin.atomic import write_with
    from critmin.errors import UsageError

    suffix = path.suffix.lower()
    if suffix not in FILE_SUFFIXES:
        from critmin.i18n import t

        raise UsageError(t("cli.out_suffix", path=str(path), suffixes=", ".join(FILE_SUFFIXES)))
    df = data.to_pandas() if isinstance(data, Rows) else data
    if suffix == ".csv":
        def writer(tmp: str) -> None:
            with open(tmp, "w", encoding="utf-8", newline="") as fh:
                _csv(df, fh)
    elif suffix == ".json":
        def writer(tmp: str) -> None:
            with open(tmp, "w", encoding="utf-8") as fh:
                _json(df, fh)
    elif suffix == ".xlsx":
        def writer(tmp: str) -> None:
            import io

            from critmin.csvsafe import csv_safe

            buf = io.BytesIO()  # pandas picks the Excel writer by suffix; the temporary file has none
            csv_safe(df).to_excel(buf, index=False, engine="openpyxl", sheet_name="critmin")
            with open(tmp, "wb") as fh:
                fh.write(buf.getvalue())
    else:
        def writer(tmp: str) -> None:
            df.to_parquet(tmp, index=False)
    write_with(path, writer)


def check_lang(value: str | None) -> str | None:
    """Typer callback of every ``--lang``: en or zh (zh-CN, en_GB … accepted), anything else refused."""
    if value is None:
        return None
    from critmin.i18n import UnknownLanguage, current_lang

    try:
        return current_lang(value)
    except UnknownLanguage as exc:
        raise typer.BadParameter(str(exc)) from None
