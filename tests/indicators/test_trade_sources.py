"""Issue 13 on the indicator side: Comtrade extracts as a trade source, mirror statistics, HS6 codes outside the
catalog, dead series and material groups."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from critmin.errors import UsageError
from critmin.indicators.dependency import dependency, suppliers
from critmin.warehouse.ingest import ingest_baci, ingest_comtrade

FIX = Path(__file__).parents[1] / "fixtures"
COMTRADE = FIX / "comtrade" / "comtrade_sample.csv"
BACI = FIX / "baci" / "BACI_HS92_Y2022_V202401b_sample.csv"


@pytest.fixture()
def demo(demo_warehouse, tmp_path):
    dst = tmp_path / "wh.duckdb"
    shutil.copy(demo_warehouse, dst)
    return dst


def test_comtrade_rows_change_an_indicator(demo):
    baci = dependency("JPN", "rare_earths", stage="metal", years=2023, warehouse=demo).iloc[0]
    with pytest.raises(UsageError, match="ingest comtrade"):
        dependency("JPN", "rare_earths", stage="metal", years=2023, warehouse=demo, source="comtrade")
    ingest_comtrade([COMTRADE], demo, progress=False)
    ct = dependency("JPN", "rare_earths", stage="metal", years=2023, warehouse=demo, source="comtrade").iloc[0]
    # Japan's own declaration: 98,765,432.5 USD of rare-earth metals from China (the Air breakdown and World
    # total rows are not counted)
    assert ct.total_imports == pytest.approx(98765.4325)
    assert ct.top1_supplier == "CHN" and ct.top1_share == 1.0
    assert ct.total_imports != pytest.approx(baci.total_imports)
    with duckdb.connect(str(demo), read_only=True) as con:
        pid = con.execute("SELECT DISTINCT provenance_id FROM trade_comtrade").fetchall()[0][0]
    assert pid in ct.provenance_ids.split(";")


def test_comtrade_mirror_fills_an_importer_that_declared_nothing(demo):
    ingest_comtrade([COMTRADE], demo, progress=False)
    # the USA declared nothing here; China's export declaration (54,321,000 USD of 284690) stands in
    df = suppliers("USA", "rare_earths", years=2023, warehouse=demo, source="comtrade")
    assert list(df.supplier) == ["CHN"] and df.imports_kusd.iloc[0] == pytest.approx(54321.0)


def test_mirror_table_puts_declarations_beside_baci(demo):
    from critmin.indicators.mirror import mirror

    ingest_comtrade([COMTRADE], demo, progress=False)
    df = mirror(material="rare_earths", years=2023, warehouse=demo)
    jpn = df[(df.importer == "JPN") & (df.hs6 == "280530")].iloc[0]
    assert jpn.import_declared_kusd == pytest.approx(98765.4325)
    assert pd.isna(jpn.export_declared_kusd)  # China's export side of this flow is not in the extract
    with duckdb.connect(str(demo), read_only=True) as con:
        baci = con.execute("""SELECT sum(value_kusd) FROM trade WHERE year = 2023 AND hs6 = '280530'
                              AND exporter = 'CHN' AND importer = 'JPN'""").fetchall()[0][0]
    assert jpn.baci_kusd == pytest.approx(baci)
    assert jpn.baci_over_m == pytest.approx(baci / 98765.4325)


def test_any_hs6_code_is_queryable_after_ingest(demo):
    ingest_baci([BACI], demo, progress=False, replace=True)
    df = dependency("JPN", hs6=["010111"], years=2022, warehouse=demo)  # live horses: in no material
    row = df.iloc[0]
    assert row.material_id == "uncatalogued" and row.top1_supplier == "CHN"
    assert row.total_imports == pytest.approx(99.9)


def test_dead_series_are_left_out_after_their_last_year(built_warehouse):
    """Germanium's only HS92 code 811230 collapsed with HS2007: its residue after 2006 no longer reads as a
    market (issue 13: the report showed the USA 100 % dependent on the Philippines)."""
    with duckdb.connect(str(built_warehouse), read_only=True) as con:
        residue = con.execute("SELECT count(*) FROM trade WHERE hs6 = '811230' AND year > 2006").fetchall()[0][0]
    assert residue > 0
    df = dependency("USA", "germanium", years="2005-2016", warehouse=built_warehouse)
    assert df.year.max() == 2006


def test_pgms_group_sums_its_members(built_warehouse):
    pgms = dependency("EU27", "pgms", years=2022, warehouse=built_warehouse).iloc[0]
    parts = sum(dependency("EU27", m, years=2022, warehouse=built_warehouse).iloc[0].total_imports
                for m in ("platinum", "palladium", "rhodium"))  # iridium's codes have no bundled rows
    assert pgms.material_id == "pgms" and pgms.total_imports == pytest.approx(parts)
