"""`--engine spark`: the indicator suite, CRMA, GeoPolRisk and the monitor's computations on Spark local[2] over
the lake `critmin export` writes give the DuckDB answers on the same warehouse (to a relative 1e-9)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def engines(demo_warehouse, spark_session, tmp_path_factory):
    """(Spark handle on the demo warehouse's lake, DuckDB handle on the warehouse)."""
    from critmin.warehouse.handle import Warehouse
    from critmin.warehouse.lake import SparkWarehouse, export_lake

    lake = tmp_path_factory.mktemp("lake") / "demo.lake"
    export_lake(lake, demo_warehouse)
    with Warehouse.open(demo_warehouse) as dw:
        yield SparkWarehouse(lake, session=spark_session, verify=True), dw


def same(spark: pd.DataFrame, duck: pd.DataFrame) -> int:
    """Equal frames up to row order; floats to a relative 1e-9 (sums run in another order on Spark)."""
    assert list(spark.columns) == list(duck.columns)
    assert len(spark) == len(duck) > 0
    floats = [c for c in duck.columns if pd.api.types.is_float_dtype(duck[c])]
    keys = [c for c in duck.columns if c not in floats]
    s = spark.sort_values(keys).reset_index(drop=True)
    d = duck.sort_values(keys).reset_index(drop=True)
    for c in keys:
        assert s[c].astype(str).tolist() == d[c].astype(str).tolist(), c
    for c in floats:
        np.testing.assert_allclose(s[c].astype(float), d[c].astype(float), rtol=1e-9, atol=1e-12, equal_nan=True,
                                   err_msg=c)
    return len(d)


CASES = {
    "dependency by stage, groups and countries, value": lambda w: __import__(
        "critmin.indicators.dependency", fromlist=["x"]).dependency("EU27,USA", "rare_earths", by="stage",
                                                                     warehouse=w),
    "dependency per HS6, quantity": lambda w: __import__(
        "critmin.indicators.dependency", fromlist=["x"]).dependency("CHN", "rare_earths", by="hs6", basis="qty",
                                                                    warehouse=w),
    "suppliers": lambda w: __import__(
        "critmin.indicators.dependency", fromlist=["x"]).suppliers("EU27", "cobalt", years="2022-2024", warehouse=w),
    "crma": lambda w: __import__(
        "critmin.indicators.crma", fromlist=["x"]).crma_check("EU27", warehouse=w, only_breaches=False),
    "import reliance": lambda w: __import__(
        "critmin.indicators.production", fromlist=["x"]).import_reliance("EU27,USA,CHN", "cobalt", warehouse=w),
    "production concentration": lambda w: __import__(
        "critmin.indicators.production", fromlist=["x"]).production_concentration(warehouse=w),
    "geopolrisk": lambda w: __import__(
        "critmin.indicators.geopolrisk", fromlist=["x"]).geopolrisk("EU27,USA,JPN", "Cobalt,Lithium,Rare earth",
                                                                    "2019-2022", warehouse=w, detail=True),
}


@pytest.mark.parametrize("case", list(CASES))
def test_same_on_spark_as_on_duckdb(engines, case):
    sw, dw = engines
    assert same(CASES[case](sw), CASES[case](dw)) >= 10


@pytest.mark.slow
def test_monitor_computations_on_spark(engines):
    from critmin.monitor.compute import compute

    sw, dw = engines
    kw = dict(importers="EU27,USA", materials="cobalt", years="2023-2024", as_of="2025-01-01")
    s, d = compute(warehouse=sw, **kw), compute(warehouse=dw, **kw)
    for part in ("dependency", "suppliers", "crma"):
        same(getattr(s, part), getattr(d, part))
    assert s.alerts_table["id"].tolist() == d.alerts_table["id"].tolist()
    assert s.vintage == d.vintage


def test_cli_engine_spark(engines, tmp_path):
    import io
    import json

    from typer.testing import CliRunner

    from critmin.cli import app

    sw, dw = engines
    args = ["reliance", "--importer", "USA", "--material", "cobalt", "--format", "json", "--warehouse", str(dw.path)]
    on_spark = CliRunner().invoke(app, [*args, "--engine", "spark", "--lake", str(sw.path)])
    on_duck = CliRunner().invoke(app, args)
    assert on_spark.exit_code == 0, on_spark.output
    s, d = (pd.read_json(io.StringIO(r.stdout)) for r in (on_spark, on_duck))
    same(s, d)
    assert json.loads(on_spark.stdout)[0]["provenance_ids"]
    table = CliRunner().invoke(app, ["suppliers", "--importer", "USA", "--material", "cobalt", "--years", "2023",
                                     "--top", "3", "--engine", "spark", "--lake", str(sw.path)])
    assert table.exit_code == 0 and "United States" in table.output, table.output  # names read from the lake


def test_year_lookup_travels_with_the_lake(engines):
    """The manifest carries which provenance feeds which year: the Spark handle answers years and labels from it,
    equal to counting the lake's rows on Spark (what a lake written before the lookup still does)."""
    sw, dw = engines
    assert sw.manifest["provenance_year"]["trade"]
    assert sw.trade_years() == dw.trade_years()
    counted = sw.sql("""SELECT t.year, t.provenance_id, p.source, p.vintage, count(*) AS rows
                        FROM trade t JOIN provenance p USING (provenance_id)
                        GROUP BY t.year, t.provenance_id, p.source, p.vintage""").df()
    looked_up = sw.provenance_by_year("trade")
    key = ["year", "provenance_id"]
    a = looked_up.sort_values(key).reset_index(drop=True)
    b = counted.sort_values(key).reset_index(drop=True)
    assert a[key + ["source", "vintage"]].astype(str).equals(b[key + ["source", "vintage"]].astype(str))
    assert a["rows"].tolist() == b["rows"].tolist()


def test_full_grid_written_by_each_engine(engines, tmp_path):
    """The every-importer grid goes to Parquet from the engine (DuckDB: a file; Spark: a folder of parts), the same
    rows on both."""
    import duckdb

    from critmin.indicators.dependency import write_all_importers

    sw, dw = engines
    write_all_importers(tmp_path / "duck.parquet", "value", warehouse=dw)
    write_all_importers(tmp_path / "spark.parquet", "value", warehouse=sw)
    assert (tmp_path / "spark.parquet").is_dir()
    con = duckdb.connect()
    d = con.execute(f"SELECT * FROM '{tmp_path / 'duck.parquet'}'").df()
    s = con.execute(f"SELECT * FROM '{tmp_path / 'spark.parquet'}/*.parquet'").df()
    assert same(s[list(d.columns)], d) > 1000
