"""Issue 18 item 1 (critical): a CSV header cell or a file name must never become SQL.

Each test first states the attack that used to work (a Comtrade header cell closing the column-map string
and running ``DELETE FROM trade``, ``COPY … TO``, ``read_text``), then checks that the warehouse is untouched
and no file was written outside it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from critmin.errors import InputError
from critmin.warehouse.ingest import ingest_baci, ingest_comtrade

FIX = Path(__file__).parent.parent / "fixtures"
COMTRADE = FIX / "comtrade" / "comtrade_sample.csv"
BACI = FIX / "baci" / "BACI_HS92_Y2022_V202401b_sample.csv"



def _trade_rows(path) -> int:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("SELECT count(*) FROM trade").fetchall()[0][0]


def _with_header_cell(tmp_path, cell: str, name: str = "evil.csv") -> Path:
    lines = COMTRADE.read_text(encoding="utf-8").splitlines()
    header = lines[0] + "," + cell
    body = [ln + ",x" for ln in lines[1:]]
    p = tmp_path / name
    p.write_text("\n".join([header, *body]) + "\n", encoding="utf-8")
    return p


PAYLOADS = [
    "z': 'VARCHAR'}); DELETE FROM trade; SELECT 1 --",
    "z': 'VARCHAR'}); COPY (SELECT 1) TO '{out}'; SELECT 1 --",
    "z': 'VARCHAR'}); CREATE TABLE stolen AS SELECT * FROM read_text('/etc/passwd'); SELECT 1 --",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_comtrade_header_cell_cannot_run_sql(wh, tmp_path, payload):
    out = tmp_path / "pwned.csv"
    f = _with_header_cell(tmp_path, payload.replace("{out}", str(out)))
    before = _trade_rows(wh)
    try:
        ingest_comtrade([f], wh, progress=False)
    except InputError:
        pass  # refusing the file is fine; running its header is not
    assert _trade_rows(wh) == before
    assert not out.exists()
    with duckdb.connect(str(wh), read_only=True) as con:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert "stolen" not in tables


def test_comtrade_header_with_quotes_is_read_as_data(wh, tmp_path):
    """A harmless extra column whose name holds a quote loads like any other export."""
    f = _with_header_cell(tmp_path, "note's")
    (rep,) = ingest_comtrade([f], wh, progress=False)
    assert rep.rows > 0


@pytest.mark.parametrize("name", ["BACI_HS92_Y2022_V202401b_it's.csv", "BACI_HS92_Y2022_V202401b_'); DROP TABLE trade; --.csv"])
def test_file_names_with_quotes_are_paths_not_sql(wh, tmp_path, name):
    f = tmp_path / name
    shutil.copy(BACI, f)
    (rep,) = ingest_baci([f], wh, progress=False, replace=True)
    assert rep.rows == 7  # with the uncatalogued 010111 row, kept since issue 13
    assert _trade_rows(wh) > 1_000_000
