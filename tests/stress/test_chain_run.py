"""The chain model on the warehouse built from the real bundled data: the EU27 40 % oxide case, MOFCOM No. 18
from the KB, hubs, alternative suppliers by stage, the licence path and the CLI face."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from critmin.cli import app
from critmin.errors import InputError
from critmin.stress.chain import alternatives, hubs, licence_path, run_chain, stage_capacities
from critmin.stress.chain_shock import load_chain_run, parse_shock, shock_from_measure

NO18 = "chn-2025-no18-medium-heavy-ree"


@pytest.fixture(scope="module")
def eu40(built_warehouse):
    spec = load_chain_run("src/critmin/stress/chain_scenarios/eu_oxide_40.yaml")
    return run_chain(spec.shock, ["EU27"], draws=2000, seed=3, weeks=52, warehouse=built_warehouse)


def _tot(r, stage, metric, node="EU27", good="all"):
    t = r.totals
    return t[(t.node == node) & (t.stage == stage) & (t.good == good) & (t.metric == metric)].iloc[0]


def test_eu27_oxide_cut_uses_no_state_stockpile_and_refiners_not_mines(eu40):
    r = eu40
    a = r.assumptions.set_index("parameter")
    assert a.loc["stock.EU27.oxide.state_days", "value"] == "0"
    assert "no strategic rare-earth stockpile" in a.loc["stock.EU27.oxide.state_days", "source"]
    w = _tot(r, "oxide", "withheld_t")
    # a 40 % physical cut of what China (and hubs traced back to it) ships to the EU
    assert 1000 < w["p50"] < 10_000
    covers = sum(_tot(r, "oxide", m)["p50"] for m in ("replacement_t", "stock_draw_t", "substitution_t",
                                                      "recycling_t", "demand_reduction_t", "shortfall_t"))
    assert covers == pytest.approx(w["p50"], rel=0.25)  # medians of parts roughly add up (exact per draw)
    caps = stage_capacities()
    oxide_makers = set(caps.loc[caps.stage == "oxide", "iso3"])
    got = set(r.replacement.loc[r.replacement.stage == "oxide", "supplier"])
    assert "MYS" in got and got <= oxide_makers
    assert not {"MDG", "NGA", "MMR"} & set(r.replacement["supplier"])  # mines never replace oxide or metal
    assert r.meta["hubs"]["oxide"] and {"HKG", "SGP", "CHE"} <= set(r.meta["hubs"]["oxide"])


def test_no18_from_the_kb_bites_dy_tb_and_magnets_not_ndpr_or_cerium(built_warehouse):
    sh = shock_from_measure(NO18)
    r = run_chain(sh, ["EU27", "JPN"], draws=500, seed=1, weeks=26, warehouse=built_warehouse)
    cov = r.meta["coverage"]
    assert cov["oxide:284690:dytb"] == 1.0 and cov["metal:280530:dytb"] == 1.0
    assert "magnet:850511:magnet" in cov
    assert not any(k.endswith(":ndpr") for k in cov)  # Nd and Pr are not in No. 18
    assert not any(k.startswith("oxide:284610") for k in cov)  # cerium compounds are not covered
    assert 0 < cov["oxide:284690:other"] < 0.5  # only Y, Sm, Gd, Lu, Sc of the 'other' group
    assert r.meta["first_day"] == "2025-04-04" and set(r.legal["state"]) == {"in_force"}
    # Dy/Tb withheld is a small tonnage, but the magnet stage loses far more
    dytb = _tot(r, "oxide", "withheld_t", good="dytb")["p50"]
    mag = _tot(r, "magnet", "withheld_t")["p50"]
    assert 0 < dytb < 0.05 * mag
    a = r.assumptions.set_index("parameter")
    assert a.loc["licence.review_delay_days", "tag"] == "K" and "45 working days" in a.loc[
        "licence.review_delay_days", "source"]
    assert a.loc["licence.approval_share", "assumption"]
    s = r.sector_totals[r.sector_totals.node == "EU27"]
    assert (s["shortfall_t_magnet_p50"] >= 0).all() and len(s) == 5


def test_a_suspended_measure_withholds_nothing_and_unknown_stops_the_run(built_warehouse):
    sh = shock_from_measure("chn-2025-no57-more-medium-heavy-ree")  # suspended the day before it took effect
    r = run_chain(sh, ["EU27"], draws=200, seed=0, weeks=20, first_day="2025-10-01", warehouse=built_warehouse)
    assert _tot(r, "oxide", "withheld_t")["p90"] == 0
    late = run_chain(sh, ["EU27"], draws=200, seed=0, weeks=20, first_day="2026-10-01", warehouse=built_warehouse)
    assert late.meta["stopped"] and "unknown" in late.meta["stopped"]
    assert late.meta["weeks"] < 20
    assumed = run_chain(shock_from_measure("chn-2025-no57-more-medium-heavy-ree", unknown_as="in_force"), ["EU27"],
                        draws=200, seed=0, weeks=20, first_day="2026-10-01", warehouse=built_warehouse)
    assert assumed.meta["weeks"] == 20 and any("caller's choice" in n for n in assumed.meta["notes"])


def test_hub_rule_and_alternatives_by_stage(built_warehouse):
    assert {"HKG", "SGP"} <= set(hubs("oxide", 2024, warehouse=built_warehouse))
    alt = alternatives("metal", "EU27", shock=NO18, warehouse=built_warehouse)
    ok = alt[alt.eligible]
    assert set(ok["iso3"]) <= set(stage_capacities(stage="metal")["iso3"])
    assert "CHN" not in set(ok["iso3"])
    assert ok["basis"].str.startswith("metal capacity").all()  # refiners/metal makers, never mine output
    hub_rows = alt[alt.reason.str.contains("hub")]
    assert not hub_rows["eligible"].any()
    jpn = alt.set_index("iso3").loc["JPN"]
    assert not jpn["eligible"] and "same shock" in jpn["reason"]  # its metal makers run on Chinese oxide
    ore = alternatives("ore", "EU27", warehouse=built_warehouse)
    assert "mine production" in ore.set_index("iso3").loc["USA", "basis"]


def test_licence_path_rises_as_decisions_arrive():
    share, ass = licence_path(NO18, ["USA", "DEU"], ["2025-03-01", "2025-04-01", "2025-05-01", "2025-06-01",
                                                      "2025-08-01", "2025-10-01"], draws=400, seed=0)
    p50 = np.median(share, axis=0)
    assert share.shape == (400, 2, 6)
    assert np.allclose(p50[:, 0], 1.0)  # before No. 18
    assert (p50[:, 2] < 0.5).all() and (p50[:, -1] > p50[:, 2]).all()  # approvals arrive over time
    assert "licence.decision_spread_days" in set(ass["parameter"])


def test_shock_file_errors_name_the_field():
    with pytest.raises(InputError) as e:
        parse_shock({"measure": NO18, "start": "2025-01-01"}, "x.yaml")
    assert "x.yaml" in str(e.value) and "knowledge base" in str(e.value)
    with pytest.raises(InputError) as e:
        parse_shock({"start": "2025-01-01", "coverage": {"smelter": "all"}}, "y.yaml")
    assert "coverage.smelter" in str(e.value)
    with pytest.raises(InputError) as e:
        parse_shock({"start": "2025-01-01", "coverage": {"oxide": "all"}, "regime": {"kind": "volume"}}, "z.yaml")
    assert "cut" in str(e.value)


def test_cli_chain_measure_json(built_warehouse):
    res = CliRunner().invoke(app, ["stress", "chain", "--measure", NO18, "--importer", "EU27", "--draws", "200",
                                   "--weeks", "12", "--warehouse", str(built_warehouse), "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["meta"]["nodes"] == ["EU27"] and doc["sector_totals"]
    assert any(a["assumption"] for a in doc["assumptions"])
    bad = CliRunner().invoke(app, ["stress", "chain", "--measure", NO18, "--cut", "0.4"])
    assert bad.exit_code != 0
