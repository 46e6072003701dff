"""Issue 18 items 5–7 for the trade files and the warehouse paths: numbers finite, each flow once, years
possible, paths never SQL. Each case failed (accepted, or a traceback) before the fix."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from critmin.errors import InputError
from critmin.warehouse.ingest import ingest_baci, ingest_comtrade

FIX = Path(__file__).parent.parent / "fixtures"
COMTRADE = FIX / "comtrade" / "comtrade_sample.csv"



def _count(path, table="trade"):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]


BAD_BACI = [
    ("2022,156,392,280530,1e309,1\n", 2, "v", "finite"),             # was stored as inf
    ("2022,156,392,280530,5,1e400\n", 2, "q", "finite"),
    ("2022,156,392,280530,5,1\n2022,156,392,280530,6,1\n", 3, None, "once (the same key is at line 2)"),
    ("2022,156,392,280530,5,1\n2021,156,392,280530,6,1\n", 3, "t", "the year 2022 that the file name states"),
]


@pytest.mark.parametrize("rows,line,field,expected", BAD_BACI)
def test_bad_baci_numbers_duplicates_and_years(wh, tmp_path, rows, line, field, expected):
    f = tmp_path / "BACI_HS92_Y2022_V202401b.csv"
    f.write_text("t,i,j,k,v,q\n" + rows)
    before = _count(wh)
    with pytest.raises(InputError) as exc:
        ingest_baci([f], wh, progress=False)
    assert (exc.value.record, exc.value.field) == (line, field) and expected in str(exc.value)
    assert _count(wh) == before


def _comtrade_with(tmp_path, edit) -> Path:
    """The sample export with its first data row edited (cells parsed as CSV: descriptions hold commas)."""
    import csv
    import io

    header, *rows = list(csv.reader(io.StringIO(COMTRADE.read_text(encoding="utf-8"))))
    rows[0] = edit(header, rows[0])
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([header, *rows])
    p = tmp_path / "export.csv"
    p.write_text(buf.getvalue(), encoding="utf-8")
    return p


def _set(col, value):
    def edit(header, row):
        row[header.index(col)] = value
        return row
    return edit


@pytest.mark.parametrize("col,value,expected", [
    ("refYear", "1066", "a year between 1962"),
    ("refYear", "9999", "a year between 1962"),
    ("primaryValue", "1e309", "finite"),
    ("netWgt", "1e309", "finite"),
])
def test_bad_comtrade_years_and_numbers(wh, tmp_path, col, value, expected):
    f = _comtrade_with(tmp_path, _set(col, value))
    with pytest.raises(InputError) as exc:
        ingest_comtrade([f], wh, progress=False)
    assert exc.value.record == 2 and exc.value.field == col and expected in str(exc.value)
    assert _count(wh, "trade_comtrade") == 0


def test_comtrade_duplicate_rows_refused(wh, tmp_path):
    lines = COMTRADE.read_text(encoding="utf-8").splitlines()
    f = tmp_path / "dup.csv"
    f.write_text("\n".join([*lines, lines[1]]) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="the same key is at line 2") as exc:
        ingest_comtrade([f], wh, progress=False)
    assert exc.value.record == len(lines) + 1
    assert _count(wh, "trade_comtrade") == 0


@pytest.mark.slow
def test_build_and_export_in_a_folder_with_an_apostrophe(tmp_path, built_warehouse):
    home = tmp_path / "o'brien's data"
    home.mkdir()
    w = home / "wh.duckdb"
    shutil.copy(built_warehouse, w)
    env = {"CRITMIN_WAREHOUSE": str(w)}
    run = lambda *a: subprocess.run([sys.executable, "-m", "critmin", *a], capture_output=True, text=True,  # noqa: E731
                                    env={**__import__("os").environ, **env}, timeout=600)
    r = run("build", "--force")
    assert r.returncode == 0, r.stderr   # was: a parser error from ATTACH '<path>'
    r = run("export", "--out", str(home / "it's parquet"))
    assert r.returncode == 0, r.stderr   # was: a parser error from COPY … TO '<path>'
    assert (home / "it's parquet" / "manifest.json").exists() and (home / "it's parquet" / "trade").is_dir()


@pytest.mark.parametrize("value", ["abc", "nan", "-1", "inf"])
def test_bad_numeric_setting_is_one_line_and_writes_nothing(tmp_path, value):
    import os

    r = subprocess.run([sys.executable, "-m", "critmin", "build", "--warehouse", str(tmp_path / "w.duckdb")],
                       capture_output=True, text=True, env={**os.environ, "CRITMIN_THREADS": value}, timeout=120)
    err = [ln for ln in r.stderr.splitlines() if ln.strip() and "━" not in ln]
    assert r.returncode != 0 and "CRITMIN_THREADS" in err[-1] and "Traceback" not in r.stderr, r.stderr
    assert not (tmp_path / "w.duckdb").exists() and not list(tmp_path.glob(".w.duckdb.building-*"))


def test_a_refused_ingest_leaves_no_bytes_behind(wh, tmp_path):
    """A large file refused at its last line: the warehouse file keeps its size and nothing is left beside it
    but the lock file (the reviewer saw tens of MB left by refused ingests)."""
    f = tmp_path / "in" / "BACI_HS92_Y2022_V202401b.csv"
    f.parent.mkdir()
    with open(f, "w") as fh:
        fh.write("t,i,j,k,v,q\n")
        fh.writelines(f"2022,{156 + (n % 3)},{392 + (n // 3) % 997},280530,{n}.5,1\n" for n in range(150_000))
        fh.write("2022,156,392,280530,abc,1\n")
    size, names = wh.stat().st_size, sorted(p.name for p in wh.parent.iterdir())
    with pytest.raises(InputError):
        ingest_baci([f], wh, progress=False)
    assert wh.stat().st_size == size
    assert sorted(p.name for p in wh.parent.iterdir() if p.name != "wh.duckdb.lock") == names
