"""`critmin.criticality.assess` on the demo warehouse: the SQL result equals an independent pandas computation
from the raw tables, scenarios move SR the way the formula says, bad input is refused with one clear error."""

from __future__ import annotations

import pandas as pd
import pytest

from critmin.criticality import assess
from critmin.criticality.assessment import classification_agreement, compare_published, threshold_crossings
from critmin.errors import UsageError


def _by_hand(path, economy: str, material: str, year: int, window: int = 1) -> float:
    """SR from the warehouse tables with plain pandas (no SQL shared with the implementation); with ``window``
    the quantities of the years ending with ``year`` are summed and the governance scores averaged."""
    import duckdb

    from critmin.catalog import load_catalog
    from critmin.catalog.economies import resolve_one

    cat = load_catalog()
    mat = cat.material(material)
    years = list(range(year - window + 1, year + 1))
    members = {y: set(resolve_one(economy).members(y)) for y in years}
    yrs = ",".join(map(str, years))
    con = duckdb.connect(str(path), read_only=True)
    prod = con.execute(f"SELECT year, country, qty_t FROM production WHERE commodity = ? AND year IN ({yrs}) "
                       "AND qty_t > 0", [mat.wmd_commodity]).df()
    trade = con.execute(f"SELECT year, exporter, importer, qty_t FROM trade WHERE year IN ({yrs}) AND qty_t > 0 "
                        f"AND hs6 IN ({','.join('?' * len(mat.hs6()))})", mat.hs6()).df()
    gov = con.execute(f"SELECT country, value FROM governance WHERE indicator = 'pv_estimate' AND year IN ({yrs})"
                      ).df()
    con.close()
    gov["w"] = ((2.5 - gov["value"]) / 0.5).clip(0, 10)
    score = gov.groupby("country")["w"].mean()
    wgi = lambda c: score[c] if c in score.index else 5.0  # noqa: E731
    p_all = prod.groupby("country")["qty_t"].sum()
    s = p_all / p_all.sum()
    hhi_gs = sum(v * v * wgi(c) for c, v in s.items())
    inside = lambda col: [c in members[y] for c, y in zip(trade[col], trade["year"], strict=True)]  # noqa: E731
    imp_in, exp_in = pd.Series(inside("importer"), index=trade.index), pd.Series(inside("exporter"), index=trade.index)
    imp = trade[imp_in & ~exp_in].groupby("exporter")["qty_t"].sum()
    exp = trade[exp_in & ~imp_in]["qty_t"].sum()
    dom = prod[[c in members[y] for c, y in zip(prod["country"], prod["year"], strict=True)]].groupby("country")[
        "qty_t"].sum()
    supply = pd.concat([x for x in (imp, dom) if len(x)])
    src = supply / supply.sum()
    hhi_eus = sum(v * v * wgi(c) for c, v in src.items())
    p, i = dom.sum(), imp.sum()
    ir = min(max((i - exp) / (p + i - exp), 0), 1) if p + i - exp > 0 else 0.0
    return hhi_gs * ir / 2 + hhi_eus * (1 - ir / 2)  # EoL-RIR 0 and SI_SR 1: the file's assumption


@pytest.mark.parametrize("economy,material", [("EU27", "cobalt"), ("USA", "rare_earths"), ("JPN", "lithium")])
def test_sr_equals_an_independent_pandas_computation(demo_warehouse, economy, material):
    df = assess(economy, 2023, material, warehouse=demo_warehouse)
    assert len(df) == 1
    row = df.iloc[0]
    assert row["sr"] == pytest.approx(_by_hand(demo_warehouse, economy, material, 2023), rel=1e-9)
    assert row["sr_basis"].startswith("upper bound")
    assert "production" in row["provenance_ids"] and "trade" in row["provenance_ids"]
    assert pd.isna(row["ei"]) and pd.isna(row["critical"])  # EI not cited -> unknown, not False


def test_five_year_window_sums_the_inputs_like_the_commissions_averages(demo_warehouse):
    one = assess("EU27", 2023, "cobalt", warehouse=demo_warehouse).iloc[0]
    five = assess("EU27", 2023, "cobalt", window=5, warehouse=demo_warehouse).iloc[0]
    assert one["window_years"] == "2023" and five["window_years"] == "2019-2023"
    assert five["sr"] == pytest.approx(_by_hand(demo_warehouse, "EU27", "cobalt", 2023, window=5), rel=1e-9)
    assert five["sr"] != pytest.approx(one["sr"])
    # the first year with data has nothing before it: the window shrinks to the data
    first = assess("USA", 2019, "rare_earths", window=5, warehouse=demo_warehouse).iloc[0]
    assert first["window_years"] == "2019"
    with pytest.raises(UsageError, match="from 1 to 10"):
        assess("EU27", 2023, "cobalt", window=0, warehouse=demo_warehouse)


def test_every_year_and_several_economies_in_one_call(demo_warehouse):
    df = assess("EU27,USA,CHN,JPN", None, "cobalt,rare_earths,gallium", warehouse=demo_warehouse)
    assert set(df["economy"]) == {"EU27", "USA", "CHN", "JPN"}
    assert sorted(df["year"].unique()) == list(range(2019, 2025))
    assert len(df) == 4 * 3 * 6
    # gallium has no HS6 line in the trade data: global supply only, the same SR for every economy
    ga = df[(df["material_id"] == "gallium") & (df["year"] == 2023)]
    assert ga["sourcing_basis"].str.contains("no HS6").all() and ga["sr"].nunique() == 1
    # China, largest gallium producer, is the bottleneck: SR well above 1 (an expert's first check)
    assert (ga["sr"] > 3).all() and (ga["top_producer"] == "CHN").all()
    trend = threshold_crossings(df)
    assert set(trend.columns) >= {"years_at_least_1", "crossed_up", "crossed_down"}
    assert len(trend) == 12


def test_scenarios_move_sr_as_the_formula_says(demo_warehouse):
    base = assess("EU27", 2023, "rare_earths,cobalt", warehouse=demo_warehouse).set_index("material_id")
    worse = assess("EU27", 2023, "rare_earths,cobalt", wgi={"CHN": 10}, warehouse=demo_warehouse).set_index(
        "material_id")
    better = assess("EU27", 2023, "rare_earths", wgi=["CHN=0"], warehouse=demo_warehouse).set_index("material_id")
    assert worse.at["rare_earths", "sr"] > base.at["rare_earths", "sr"] > better.at["rare_earths", "sr"]
    assert "CHN=10" in worse.at["rare_earths", "wgi_basis"]
    eol = assess("EU27", 2023, "cobalt", eol_rir={"cobalt": 0.2}, warehouse=demo_warehouse).iloc[0]
    assert eol["sr"] == pytest.approx(base.at["cobalt", "sr"] * 0.8)
    doubled = assess("EU27", 2023, "cobalt", eol_rir=["cobalt=0.2"], eol_rir_factor=2,
                     warehouse=demo_warehouse).iloc[0]
    assert doubled["sr"] == pytest.approx(base.at["cobalt", "sr"] * 0.6)
    assert "scenario" in doubled["eol_rir_source"] and "× 2" in doubled["eol_rir_source"]


def test_unverified_ei_only_on_request_and_then_critical_is_decided(demo_warehouse):
    off = assess("EU27", 2023, "cobalt", warehouse=demo_warehouse).iloc[0]
    on = assess("EU27", 2023, "cobalt,rare_earths", include_unverified=True, warehouse=demo_warehouse)
    co = on.set_index("material_id").loc["cobalt"]
    assert pd.isna(off["ei"]) and co["ei"] == 5.9 and "unverified" in co["ei_source"]
    assert bool(co["critical"]) == bool(co["sr"] >= 1)
    ree = on.set_index("material_id").loc["rare_earths"]
    assert pd.isna(ree["ei"]) and "HREE and LREE" in ree["ei_source"]


def test_comparison_and_agreement_tables(demo_warehouse):
    df = assess("EU27", 2023, "cobalt,lithium,rare_earths", warehouse=demo_warehouse)
    cmp = compare_published(df)
    assert {"sr", "sr_published", "sr_difference", "status"} <= set(cmp.columns)
    assert (cmp["status"] == "unverified").all()
    co = cmp.set_index("label").loc["Cobalt"]
    assert co["sr_difference"] == pytest.approx(co["sr"] - 2.5)
    agree = classification_agreement(df)
    assert agree.set_index("material_id").loc["cobalt", "on_list_2023"]


@pytest.mark.parametrize("kwargs,needle", [
    (dict(years=2010), "no production data"),
    (dict(materials="helium"), "no World Mining Data"),
    (dict(wgi=["CHN=11"]), r"0 \(best\) to 10"),
    (dict(wgi=["XXX=3"]), "not an ISO3"),
    (dict(wgi=["CHN"]), "expected ISO3=score"),
    (dict(eol_rir={"cobalt": 1.5}), "from 0 to 1"),
    (dict(eol_rir_factor=-1), "at least 0"),
    (dict(economy="Atlantis"), "unknown economy"),
])
def test_bad_input_is_refused_with_a_clear_message(demo_warehouse, kwargs, needle):
    args = {"economy": "EU27", "years": 2023, "materials": "cobalt", **kwargs}
    with pytest.raises(UsageError, match=needle):
        assess(args.pop("economy"), args.pop("years"), args.pop("materials"), warehouse=demo_warehouse, **args)


def test_a_user_group_from_critmin_groups_works_without_a_rebuild(demo_warehouse, tmp_path, monkeypatch):
    import critmin.catalog

    path = tmp_path / "groups.yaml"
    path.write_text("groups:\n  - {id: QUAD, name_en: Quad, name_zh: 四方, kind: explicit, citation: test,\n"
                    "     members: [{iso3: USA}, {iso3: JPN}, {iso3: AUS}, {iso3: IND}]}\n", encoding="utf-8")
    monkeypatch.setenv("CRITMIN_GROUPS", str(path))
    critmin.catalog._cached.cache_clear()
    try:
        row = assess("QUAD", 2023, "lithium", warehouse=demo_warehouse).iloc[0]
        assert row["economy"] == "QUAD"
        # Australia, the largest lithium producer, is inside the group: its production is own sourcing
        assert row["sr"] == pytest.approx(_by_hand(demo_warehouse, "QUAD", "lithium", 2023), rel=1e-9)
        assert row["production_t"] > 0
    finally:
        critmin.catalog._cached.cache_clear()
