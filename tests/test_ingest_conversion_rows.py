"""``trade_hs_conversion`` marks only rows that are there: a file that replaces a converted file's rows takes
their marks away, and a rebuild drops marks left stale by an earlier critmin (issue 13)."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from critmin.warehouse.build import build_warehouse
from critmin.warehouse.ingest import ingest_baci


@pytest.fixture()
def cwh(demo_warehouse, tmp_path):
    dst = tmp_path / "conv.duckdb"
    shutil.copy(demo_warehouse, dst)
    return dst


def _hs17(tmp_path):
    f = tmp_path / "BACI_HS17_Y2022_V202501.csv"
    f.write_text("t,i,j,k,v,q\n2022,156,392,811292,50,5\n2022,156,392,280530,100,10\n", encoding="utf-8")
    return f


def _marks(path):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("SELECT provenance_id, code, hs92 FROM trade_hs_conversion ORDER BY ALL").fetchall()


def test_replacing_a_converted_files_rows_drops_their_marks(cwh, tmp_path):
    (hs17,) = ingest_baci([_hs17(tmp_path)], cwh, progress=False, replace=True)
    assert _marks(cwh) == [(hs17.provenance_id, "811292", "811291")]
    later = tmp_path / "BACI_HS92_Y2022_V202601.csv"  # a later release of the same year and code, in HS92
    later.write_text("t,i,j,k,v,q\n2022,156,392,811291,70,7\n", encoding="utf-8")
    (rep,) = ingest_baci([later], cwh, progress=False, replace=True)
    assert rep.replaced == 1
    assert _marks(cwh) == []  # the HS17 file's 811291 row is gone, so is its mark
    with duckdb.connect(str(cwh), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM trade WHERE provenance_id = ?", [hs17.provenance_id]).fetchall() \
            == [(1,)]  # its 280530 row stays: nothing to mark there


def test_rebuild_keeps_live_marks_and_drops_stale_ones(cwh, tmp_path):
    (hs17,) = ingest_baci([_hs17(tmp_path)], cwh, progress=False, replace=True)
    with duckdb.connect(str(cwh)) as con:  # as a warehouse written before the ingest pruned marks holds them
        con.execute("INSERT INTO trade_hs_conversion VALUES ('gone:trade:0', 'HS17', '811292', '811291', "
                    "'811230 811240 811291', 'stale')")
    assert len(_marks(cwh)) == 2
    build_warehouse(cwh, source="demo", progress=False, force=True)
    assert _marks(cwh) == [(hs17.provenance_id, "811292", "811291")]
