"""The GeoPolRisk statement, transpiled by SQLGlot, gives the same numbers on PySpark as on DuckDB."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.spark


def test_geopolrisk_same_on_spark(built_warehouse, spark_session, tmp_path):
    import duckdb

    import critmin
    from critmin.indicators.geopolrisk import GprOptions, build_sql, to_spark_sql

    countries, materials, years = ["USA", "JPN", "EU27"], ["Cobalt", "Rare earth", "Lithium", "Natural gas"], [2021, 2022]
    with duckdb.connect(str(built_warehouse), read_only=True) as con:
        cur = con.cursor()
        sql = build_sql(cur, countries, materials, years, GprOptions())
        cur.execute("SET threads = 1")
        duck = cur.execute(sql).df()
    # the scale path: warehouse tables exported as Parquet (NULLs stay NULLs), read by Spark
    with critmin.open(built_warehouse) as wh:
        for path in wh.export_parquet(tmp_path, ["trade", "production", "governance"]):
            spark_session.read.parquet(str(path)).createOrReplaceTempView(path.stem)
    spark = spark_session.sql(to_spark_sql(sql)).toPandas()
    key = ["iso3", "material", "year"]
    m = duck.merge(spark, on=key, suffixes=("", "_spark"))
    assert len(m) == len(duck) == len(spark) == 3 * 4 * 2
    for col in ("score", "cf", "hhi", "import_risk", "price"):
        np.testing.assert_allclose(m[f"{col}_spark"].astype(float), m[col].astype(float), rtol=1e-12)
