"""An ingest works on the file's own rows: what it checks and rewrites stays within the file's years and slices
(issue 13: no pass over the whole table per file), and nothing it skips lets a bad row through."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from critmin.errors import InputError
from critmin.warehouse.ingest import ingest_baci


@pytest.fixture()
def wh(demo_warehouse, tmp_path):
    dst = tmp_path / "wh.duckdb"
    shutil.copy(demo_warehouse, dst)
    return dst


def _baci(tmp_path, year: int, rows: str):
    f = tmp_path / f"BACI_HS92_Y{year}_V202401b.csv"
    f.write_text("t,i,j,k,v,q\n" + rows)
    return f


def test_one_flow_written_two_ways_is_refused_after_canonicalisation(wh, tmp_path):
    """"80530" and "080530" are one HS6 code: the grouping of the staged typed rows catches the second statement
    of the flow, and the error names the file and both lines."""
    f = _baci(tmp_path, 2022, "2022,156,392,80530,5,1\n2022,156,392,080530,6,1\n")
    with duckdb.connect(str(wh), read_only=True) as con:
        before = con.execute("SELECT count(*) FROM trade").fetchall()[0][0]
    with pytest.raises(InputError) as exc:
        ingest_baci([f], wh, progress=False, replace=True)
    msg = str(exc.value)
    assert f.name in msg and "line 3" in msg and "the same key is at line 2" in msg
    with duckdb.connect(str(wh), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM trade").fetchall()[0][0] == before


def test_rows_of_other_years_and_their_flags_are_untouched(wh, tmp_path):
    """A 2023 file changes nothing outside 2023's slices it states: other years' rows, values and unit-value
    flags are as they were; the file's own rows are screened and counted in the lookup."""
    with duckdb.connect(str(wh), read_only=True) as con:
        other = con.execute("""SELECT year, exporter, importer, hs6, value_kusd, qty_t, uv_flag, provenance_id
                               FROM trade WHERE year <> 2023 ORDER BY ALL""").fetchall()
    (rep,) = ingest_baci([_baci(tmp_path, 2023, "2023,156,392,280530,5,1\n2023,156,842,280530,7,2\n")], wh,
                         progress=False, replace=True)
    assert rep.rows == 2 and rep.replaced > 0
    with duckdb.connect(str(wh), read_only=True) as con:
        after = con.execute("""SELECT year, exporter, importer, hs6, value_kusd, qty_t, uv_flag, provenance_id
                               FROM trade WHERE year <> 2023 ORDER BY ALL""").fetchall()
        (looked_up,) = con.execute("""SELECT rows FROM provenance_year WHERE "table" = 'trade'
                                      AND provenance_id = ?""", [rep.provenance_id]).fetchall()[0]
        (only,) = con.execute("SELECT count(*) FROM trade WHERE year = 2023 AND hs6 = '280530'").fetchall()[0]
    assert after == other
    assert looked_up == 2 and only == 2


def test_same_file_again_replaces_its_own_rows(wh, tmp_path):
    f = _baci(tmp_path, 2023, "2023,156,392,280530,5,1\n")
    ingest_baci([f], wh, progress=False, replace=True)
    (rep,) = ingest_baci([f], wh, progress=False)  # its own rows only: no --replace needed, no doubling
    assert rep.rows == 1 and rep.replaced == 0
    with duckdb.connect(str(wh), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM trade WHERE provenance_id = ?",
                           [rep.provenance_id]).fetchall()[0][0] == 1


def test_a_stale_year_lookup_is_not_trusted(wh):
    """Rows written to trade by something other than a build or an ingest leave the year lookup short: the
    handle then counts the table, so no year silently disappears from the indicators."""
    from critmin.warehouse.handle import Warehouse

    with duckdb.connect(str(wh)) as con:
        con.execute("""INSERT INTO trade (year, exporter, importer, hs6, value_kusd, qty_t, provenance_id)
                       SELECT 1999, exporter, importer, hs6, value_kusd, qty_t, provenance_id FROM trade LIMIT 3""")
    with Warehouse.open(wh) as w:
        assert 1999 in w.trade_years()
        assert (1999, ) in {(y,) for y, _ in w.provenance_years()}
