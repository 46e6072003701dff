"""Property tests of the concentration maths (hypothesis) on random flow tables, run as the indicator SQL on
DuckDB."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from critmin.indicators.imports import SEL_CODES, SEL_ECONOMY, concentration_sql, flows_sql
from critmin.warehouse.handle import register

SUPPLIERS = ["AAA", "BBB", "CHN", "DDD", "EEE", "FFF"]

flows_st = st.lists(
    st.tuples(st.sampled_from(["X1", "X2"]), st.sampled_from(SUPPLIERS), st.integers(1, 3),
              st.floats(0.001, 1e6, allow_nan=False)),
    min_size=1, max_size=40)


def _frame(rows):
    df = pd.DataFrame(rows, columns=["importer", "exporter", "year", "value_kusd"])
    df = df.groupby(["importer", "exporter", "year"], as_index=False).sum()
    df["qty_t"] = df["value_kusd"] / 10
    df["hs6"] = "284690"
    return df


def _conc(df):
    con = duckdb.connect()
    con.register("flows", df)
    return con.execute(concentration_sql("SELECT * FROM flows", ["importer", "year"], "value")).df().sort_values(
        ["importer", "year"]).reset_index(drop=True)


@settings(max_examples=60, deadline=None)
@given(flows_st)
def test_hhi_bounds_shares_and_top_shares(rows):
    df = _frame(rows)
    out = _conc(df)
    for r in out.itertuples():
        sub = df[(df.importer == r.importer) & (df.year == r.year)]
        s = sub.value_kusd / sub.value_kusd.sum()
        assert abs(s.sum() - 1) < 1e-12
        n = len(sub)
        assert 10_000 / n - 1e-6 <= r.hhi <= 10_000 + 1e-6
        assert abs(r.hhi - 10_000 * (s ** 2).sum()) < 1e-6
        assert r.top1_share <= r.top3_share + 1e-12
        assert r.top3_share <= 1 + 1e-9
        assert r.n_suppliers == n
        assert abs(r.china_share - s[sub.exporter == "CHN"].sum()) < 1e-12


@settings(max_examples=40, deadline=None)
@given(flows_st, st.permutations(SUPPLIERS))
def test_hhi_unchanged_when_suppliers_are_renamed(rows, perm):
    df = _frame(rows)
    renamed = df.assign(exporter=df.exporter.map(dict(zip(SUPPLIERS, perm, strict=True))))
    a, b = _conc(df), _conc(renamed)
    np.testing.assert_allclose(a.hhi, b.hhi, rtol=1e-12)
    np.testing.assert_allclose(a.top1_share, b.top1_share, rtol=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["M1", "M2", "M3", "OUT"]), st.sampled_from(["M1", "M2", "OUT", "CHN"]),
                          st.floats(0.001, 1e6, allow_nan=False)), min_size=1, max_size=30))
def test_group_total_equals_members_minus_intra_group(rows):
    df = pd.DataFrame(rows, columns=["importer", "exporter", "value_kusd"])
    df = df[df.importer != df.exporter].groupby(["importer", "exporter"], as_index=False).sum()
    if df.empty:
        return
    df["year"], df["hs6"], df["qty_t"] = 2024, "284690", 1.0
    con = duckdb.connect()
    con.register("trade", df)
    register(con, "sel_economy", SEL_ECONOMY, [("G", 2024, m) for m in ("M1", "M2", "M3")])
    register(con, "sel_codes", SEL_CODES, [("rare_earths", "compound", "284690", None, None)])
    got = con.execute(f"SELECT coalesce(sum(value_kusd), 0) FROM ({flows_sql('trade')})").fetchone()[0]
    inside = df[df.importer.isin(["M1", "M2", "M3"])]
    expected = inside.value_kusd.sum() - inside[inside.exporter.isin(["M1", "M2", "M3"])].value_kusd.sum()
    assert abs(got - expected) <= 1e-9 * max(1.0, expected)
