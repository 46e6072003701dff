"""The same indicator definitions on PySpark local[2] give the DuckDB answers (real BACI rows)."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def spark_and_trade(built_warehouse, spark_session, tmp_path_factory):
    """Real BACI rows for a few materials, handed to Spark as Parquet (as `critmin export` writes them)."""
    import duckdb

    out = tmp_path_factory.mktemp("parquet")
    with duckdb.connect(str(built_warehouse), read_only=True) as con:
        con.execute(f"""COPY (SELECT * FROM trade WHERE hs6 IN ('280530', '284610', '284690', '810510', '282200')
                        AND year >= 2015) TO '{out}/trade.parquet' (FORMAT parquet)""")
        con.execute(f"""COPY (SELECT * FROM group_members WHERE group_id IN ('EU27', 'EU'))
                        TO '{out}/group_members.parquet' (FORMAT parquet)""")
        trade = con.execute(f"SELECT * FROM '{out}/trade.parquet'").df()
        members = con.execute(f"SELECT * FROM '{out}/group_members.parquet'").df()
    for name in ("trade", "group_members"):
        spark_session.read.parquet(f"{out}/{name}.parquet").createOrReplaceTempView(name)
    return trade, members


def _both(spark_session, trade, members, sql_of):
    """The statement ``sql_of(trade)`` on Spark (through SQLGlot, as ``--engine spark`` runs it) and on DuckDB,
    over the same rows and the same selection tables."""
    import duckdb

    from critmin.indicators.imports import SEL_CODES, SEL_ECONOMY
    from critmin.warehouse.handle import register
    from critmin.warehouse.lake import to_spark

    years = sorted(int(y) for y in trade["year"].unique())
    econ = [(c, y, c) for c in ("JPN", "USA", "KOR") for y in years]
    econ += [(g, int(y), m) for g, y, m in members[["group_id", "year", "iso3"]].itertuples(index=False)
             if int(y) in years]
    codes = [("m", "s", h, None, None) for h in ("280530", "284610", "284690", "810510", "282200")]
    con = duckdb.connect()
    con.register("trade", trade)
    for name, cols, rows in (("sel_economy", SEL_ECONOMY, econ), ("sel_codes", SEL_CODES, codes)):
        register(con, name, cols, rows)
        types = {"VARCHAR": "STRING", "INTEGER": "INT"}
        spark_session.createDataFrame(rows, ", ".join(f"`{c}` {types[t]}" for c, t in cols.items())) \
            .createOrReplaceTempView(name)
    sql = sql_of("trade")
    return spark_session.sql(to_spark(sql)).toPandas(), con.execute(sql).df()


@pytest.mark.parametrize("basis", ["value", "qty"])
def test_concentration_same_on_spark_and_duckdb(spark_session, spark_and_trade, basis):
    from critmin.indicators.imports import concentration_sql, flows_sql

    trade, members = spark_and_trade
    keys = ["importer", "hs6", "year"]
    s, d = _both(spark_session, trade, members, lambda t: concentration_sql(flows_sql(t), keys, basis))
    s = s.sort_values(keys).reset_index(drop=True)
    d = d.sort_values(keys).reset_index(drop=True)
    assert len(s) == len(d) > 100
    assert (s.top1_supplier == d.top1_supplier).all()  # explicit tie-break: identical on both engines
    for col in ("total_imports", "top1_share", "top3_share", "hhi", "china_share"):
        np.testing.assert_allclose(s[col].astype(float), d[col].astype(float), rtol=1e-12)
