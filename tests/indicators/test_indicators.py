"""Indicator core on the real warehouse: dependency, CRMA cap, production side, reliance, reproductions."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from critmin.errors import UsageError
from critmin.indicators.crma import crma_check
from critmin.indicators.dependency import dependency, suppliers
from critmin.indicators.production import import_reliance, production_concentration
from critmin.indicators.reproduce import REPRODUCTIONS

GOLDEN = Path(__file__).parents[1] / "golden"


def test_eu27_rare_earth_metals_china_above_cap_on_both_bases(built_warehouse):
    df = crma_check("EU27", 2024, warehouse=built_warehouse)
    row = df[(df.material_id == "rare_earths") & (df.stage == "metal")].iloc[0]
    assert row.hs6 == "280530"
    assert row.top1_supplier_value == "CHN" and row.top1_supplier_qty == "CHN"
    assert row.top1_share_value > 0.65 and row.top1_share_qty > 0.65
    assert row.breach_value and row.breach_qty


def test_crma_numbers_equal_dependency_table(built_warehouse):
    crma = crma_check("EU27", "2020-2024", materials=["rare_earths"], warehouse=built_warehouse, only_breaches=False)
    for basis in ("value", "qty"):
        dep = dependency("EU27", "rare_earths", stage="metal", years="2020-2024", basis=basis,
                         warehouse=built_warehouse)
        m = crma[crma.stage == "metal"].merge(dep, on="year")
        assert (m[f"top1_share_{basis}"] - m["top1_share"]).abs().max() < 1e-12


def test_group_total_is_members_minus_intra_group(built_warehouse):
    """EU27 imports = Σ members' imports − imports from other members (same year composition)."""
    import duckdb

    dep = dependency("EU27", "rare_earths", years="2019-2024", warehouse=built_warehouse)
    with duckdb.connect(str(built_warehouse), read_only=True) as con:
        ref = con.execute("""
            SELECT t.year, sum(t.value_kusd) - sum(t.value_kusd) FILTER (WHERE t.exporter IN
                   (SELECT iso3 FROM group_members g2 WHERE g2.group_id = 'EU27' AND g2.year = t.year)) AS extra
            FROM trade t JOIN material_hs6 m USING (hs6)
            WHERE m.material_id = 'rare_earths' AND t.year BETWEEN 2019 AND 2024
              AND t.importer IN (SELECT iso3 FROM group_members g WHERE g.group_id = 'EU27' AND g.year = t.year)
            GROUP BY 1 ORDER BY 1""").df()
    got = dep.set_index("year")["total_imports"]
    assert got.to_numpy() == pytest.approx(ref.set_index("year")["extra"].to_numpy(), rel=1e-12)


def test_eu_as_of_year_includes_gbr_until_2019(built_warehouse):
    s = suppliers("EU", "rare_earths", years="2019-2020", warehouse=built_warehouse)
    assert "GBR" not in set(s[s.year == 2019].supplier)  # a member in 2019: intra-EU
    assert "GBR" in set(s[s.year == 2020].supplier)      # a third country from 2020


def test_trends_and_unit_values(built_warehouse):
    dep = dependency("USA", "cobalt", years="2020-2024", warehouse=built_warehouse)
    # the change is computed before the year filter: 2020 is compared with 2019, outside the window asked for
    before = dependency("USA", "cobalt", years="2019", warehouse=built_warehouse).iloc[0]
    assert dep.iloc[0].yoy_imports == pytest.approx(dep.iloc[0].total_imports / before.total_imports - 1)
    r = dep.iloc[1]
    assert r.yoy_imports == pytest.approx(r.total_imports / dep.iloc[0].total_imports - 1)
    assert (dep.unit_value_usd_per_kg > 0).all()


def test_production_concentration_rare_earths(built_warehouse):
    df = production_concentration("rare_earths", 2024, warehouse=built_warehouse).iloc[0]
    assert df.top1_producer == "CHN" and df.world_production == 398008.0
    assert df.china_share == pytest.approx(270000 / 398008)


def test_import_reliance_formula(built_warehouse):
    df = import_reliance("EU27", "cobalt", 2024, warehouse=built_warehouse).iloc[0]
    net = df.imports_t - df.exports_t
    assert df.import_reliance == pytest.approx(net / (df.production_t + net))
    with pytest.raises(UsageError, match="no production series"):
        import_reliance("USA", "precious_metal_scrap", warehouse=built_warehouse)


def test_import_reliance_net_exporters_are_never_above_one(built_warehouse):
    """USA cobalt 2023 exported more tonnes than it produced and imported: before issue 13 the ratio of two
    negatives read 1.15 (115 %). Net exporters now say so; no row of the four economies exceeds 1."""
    usa = import_reliance("USA", "cobalt", 2023, warehouse=built_warehouse).iloc[0]
    assert usa.exports_t > usa.imports_t + usa.production_t
    assert pd.isna(usa.import_reliance) and usa.reliance_status.startswith("net exporter")
    chn = import_reliance("CHN", "rare_earths", 2019, warehouse=built_warehouse).iloc[0]
    assert chn.exports_t > chn.imports_t and chn.reliance_status == "net exporter"
    assert chn.import_reliance == pytest.approx((chn.imports_t - chn.exports_t)
                                                / (chn.production_t + chn.imports_t - chn.exports_t))
    assert chn.import_reliance < 0
    df = pd.concat([import_reliance(e, m, "2018-2024", warehouse=built_warehouse)
                    for e in ("EU27", "USA", "JPN", "CHN") for m in ("cobalt", "rare_earths", "lithium")])
    exporters = df[df.exports_t > df.imports_t]
    assert len(exporters) > 0 and exporters.reliance_status.str.startswith("net exporter").all()
    assert not (exporters.import_reliance >= 0).any()
    assert (df.import_reliance.dropna() <= 1).all()


def test_reliance_ratio_cases():
    from critmin.indicators.production import reliance_ratio

    ratio, status = reliance_ratio([0, 10, 10, 0, None], [5, 5, 2, 0, 1], [0, 20, 5, 0, 0])
    assert ratio[0] == 1 and status[0] == "net importer"
    assert pd.isna(ratio[1]) and status[1].startswith("net exporter (n/a")
    assert ratio[2] == pytest.approx(-3 / 7) and status[2] == "net exporter"
    assert pd.isna(ratio[3]) and status[3].startswith("n/a: apparent")
    assert pd.isna(ratio[4]) and status[4].startswith("n/a: no production")


def test_bad_selections_are_clear(built_warehouse):
    with pytest.raises(UsageError, match="unknown importer: 'XXX'"):
        dependency("XXX", "rare_earths", warehouse=built_warehouse)
    with pytest.raises(UsageError, match="unknown stage"):
        dependency("EU27", "rare_earths", stage="smelted", warehouse=built_warehouse)
    with pytest.raises(UsageError, match="years"):
        dependency("EU27", "rare_earths", years="2024-2020", warehouse=built_warehouse)


@pytest.mark.parametrize("name", sorted(REPRODUCTIONS))
def test_reproductions_match_golden(built_warehouse, name):
    rep = REPRODUCTIONS[name](built_warehouse)
    golden = pd.read_csv(GOLDEN / f"{name}.csv")
    got = rep.table.reset_index(drop=True).replace({None: float("nan")})  # CSV reads missing as NaN
    assert list(got.columns) == list(golden.columns)
    pd.testing.assert_frame_equal(got, golden, check_dtype=False, rtol=1e-9, atol=1e-9)


def test_table1_flags_the_inconsistent_printed_cells(built_warehouse):
    rep = REPRODUCTIONS["seed002-table1"](built_warehouse)
    flagged = rep.table[rep.table.flag_inconsistent][["year", "partner"]].values.tolist()
    assert flagged == [[2009, "EU27"], [2012, "EU27"]]


def test_china_largest_producer_of_30_of_the_us_list(built_warehouse):
    t = REPRODUCTIONS["seed001-china-top-producer"](built_warehouse).table
    us = t[t.list == "us_2022"]
    assert len(us) == 50 and (us.status == "China largest").sum() == 30


def test_countries_and_groups_in_one_request(built_warehouse):
    both = dependency("EU27,USA", "rare_earths", years="2023-2024", warehouse=built_warehouse)
    eu = dependency("EU27", "rare_earths", years="2023-2024", warehouse=built_warehouse)
    assert set(both.importer) == {"EU27", "USA"}
    got = both[both.importer == "EU27"].reset_index(drop=True)
    assert got.top1_share.tolist() == pytest.approx(eu.top1_share.tolist(), rel=1e-12)
