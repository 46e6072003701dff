"""Source adapters on the real bundled data and on small files in the real formats."""

from __future__ import annotations

import math
import sqlite3

import duckdb
import pytest

from critmin.sources import geopolrisk_bundle as gb


def test_trade_holds_every_bundled_row_and_exact_sums(built_warehouse):
    src = sqlite3.connect(gb.bundle_dir() / "baci.db")
    n_src = src.execute("SELECT count(*) FROM baci_trade").fetchone()[0]
    src_rows = src.execute("SELECT CAST(t AS INT), printf('%06d', k), v, q FROM baci_trade").fetchall()
    with duckdb.connect(str(built_warehouse), read_only=True) as con:
        n_wh = con.execute("SELECT count(*) FROM trade").fetchall()[0][0]
        wh_rows = con.execute("SELECT year, hs6, value_kusd, qty_t FROM trade").fetchall()
        wh_sql_sums = dict(((y, k), s) for y, k, s in con.execute(
            "SELECT year, hs6, sum(value_kusd) FROM trade GROUP BY ALL").fetchall())
    assert n_wh == n_src == 1_264_888

    def exact_sums(rows, conv):
        groups: dict = {}
        for y, k, v, q in rows:
            g = groups.setdefault((y, k), ([], []))
            g[0].append(conv(v))
            if q is not None:
                g[1].append(conv(q))
        return {key: (math.fsum(vs), math.fsum(qs), len(vs)) for key, (vs, qs) in groups.items()}

    src_sums = exact_sums(src_rows, float)
    wh_sums = exact_sums(wh_rows, float)
    assert src_sums == wh_sums  # every (year, hs6): same row count, exactly the same value and quantity sums
    # DuckDB's own SUM agrees with the exact sums to floating-point rounding
    for key, s in wh_sql_sums.items():
        assert s == pytest.approx(src_sums[key][0], rel=1e-12)


def test_production_units_and_totals_dropped(built_warehouse):
    with duckdb.connect(str(built_warehouse), read_only=True) as con:
        units = {r[0] for r in con.execute("SELECT DISTINCT unit FROM production").fetchall()}
        assert units == {"metr. t", "kg", "Mio m3", "ct"}
        assert con.execute("SELECT count(*) FROM production WHERE country = 'DELETE'").fetchall()[0][0] == 0
        chn = con.execute("""SELECT qty FROM production WHERE country='CHN' AND commodity='Rare Earths (REO)'
                             AND year=2024""").fetchall()[0][0]
        assert chn == 270000.0


def test_production_in_tonnes_once_at_build_time(built_warehouse):
    """qty and unit as World Mining Data publishes them; qty_t in tonnes (kg /1000, carats x 0.2 g), NULL for the
    gas volume (Mio m3), which has no tonnes equivalent without a density the reader must choose."""
    with duckdb.connect(str(built_warehouse), read_only=True) as con:
        got = dict(((u), (n, nt, r)) for u, n, nt, r in con.execute(
            "SELECT unit, count(*), count(qty_t), max(qty_t / nullif(qty, 0)) FROM production GROUP BY 1").fetchall())
    assert set(got) == {"metr. t", "kg", "Mio m3", "ct"}
    assert got["metr. t"][2] == 1.0 and got["kg"][2] == pytest.approx(1e-3) and got["ct"][2] == pytest.approx(2e-7)
    assert got["Mio m3"][1] == 0 and all(n == nt for u, (n, nt, _) in got.items() if u != "Mio m3")


def test_bundle_fixes_still_needed():
    """Each reviewed fix to the bundled data must still match something in the source."""
    w = sqlite3.connect(gb.bundle_dir() / "world_mining_data.db")
    assert w.execute("SELECT count(*) FROM Cobalt WHERE Country_ISO = 'DELETE'").fetchone()[0] == 1
    assert w.execute("SELECT count(*) FROM Gold WHERE Country = 'French Guiana' AND Country_ISO = 'GUY'").fetchone()[0]
    g = sqlite3.connect(gb.bundle_dir() / "wgi.db")
    assert g.execute("SELECT count(*) FROM Estimate WHERE Code = 'GUY'").fetchone()[0] == 2


def test_governance_political_stability(built_warehouse):
    with duckdb.connect(str(built_warehouse), read_only=True) as con:
        v = con.execute("""SELECT value FROM governance WHERE country='CHN' AND year=2022
                           AND indicator='pv_estimate'""").fetchall()[0][0]
    assert v == pytest.approx(-0.44107362627983093)


def test_provenance_records(built_warehouse):
    with duckdb.connect(str(built_warehouse), read_only=True) as con:
        rows = con.execute('SELECT "table", row_count, sha256, vintage, licence FROM provenance').fetchall()
    assert len(rows) >= 3
    by_table = {r[0]: r for r in rows}
    assert by_table["trade"][1] == 1_264_888
    assert all(len(r[2]) == 64 and r[3] and r[4] for r in rows)
