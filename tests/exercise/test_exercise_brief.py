"""The brief: a page of critmin's one HTML family with the shared plotly.js beside it, both languages, print CSS,
every inject with its alerts and decision points, the three-stage process with seed 002's transition measures
cited, and the example listed by `critmin examples`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

pytestmark = pytest.mark.slow  # one exercise run (chain model included) per module, ~10 s

EXAMPLE = Path(__file__).parents[2] / "src" / "critmin" / "cli" / "examples" / "exercise_no18_magnets.yaml"


@pytest.fixture(scope="module")
def brief(demo_warehouse, tmp_path_factory):
    from critmin.exercise.api import run_exercise

    out = tmp_path_factory.mktemp("brief")
    res = run_exercise(EXAMPLE, out=out, warehouse=str(demo_warehouse))
    return res, res.brief.read_text(encoding="utf-8")


def test_one_family_page_with_the_shared_plotly_asset(brief):
    from critmin.html import ASSET_NAME

    res, html = brief
    assert res.brief.name == "brief.html" and (res.brief.parent / ASSET_NAME).stat().st_size > 1_000_000
    assert f'<script src="{ASSET_NAME}"' in html and 'meta name="generator" content="critmin' in html
    assert len(html) < 600_000  # plotly.js is not inlined
    assert "@media print" in html and "@page" in html
    assert not list(res.brief.parent.glob(".*.tmp"))  # written atomically, no leftovers


def test_both_languages_every_inject_alert_and_decision(brief):
    from markupsafe import escape

    res, html = brief
    ex = res.exercise

    def has(text: str) -> bool:
        return str(escape(text)) in html

    assert has(ex.title_en) and has(ex.title_zh)
    for inj in ex.injects:
        assert f'data-inject="{inj.id}"' in html and has(inj.title_en) and has(inj.title_zh)
        for d in inj.decisions:
            assert has(d.question_en) and has(d.question_zh)
            assert all(has(o) for o in d.options_en + d.options_zh)
    n_rows = len(re.findall(r'<tr data-rule="[a-z_]+" data-level="', html))
    assert n_rows == res.n_alerts > 0
    # the announcement's level is the export-control rule's, shown on its card
    assert 'data-inject="announcement" data-level="red"' in html
    for p in ex.participants:
        assert has(p.name_en) and has(p.name_zh)
    # inject values without a source are labelled as assumptions, in both languages
    assert "ASSUMPTION: the inject" in html and "假设：本事件的数值为推演输入" in html


def test_three_stages_and_the_seed_transition_measures_cited(brief):
    from critmin.incidents.process import load_process

    res, html = brief
    p = load_process()
    for s in p.stages:
        assert f'id="stage-{s.id}"' in html and s.en in html and s.zh in html
    for m in p.measures:
        assert f'data-measure="{m.id}"' in html and m.en in html and m.zh in html
    assert html.count("seed 002_b15c8e6b3df51052.txt") >= len(p.measures) + len(p.stages)
    for cond in p.trigger.conditions:
        assert f'data-rule="{cond.rule}"><td>' in html
    # licence fast-track carries what later happened, from the knowledge base
    assert "chn-2025-general-licences-eu" in json.dumps(res.data["process"]["measures"])
    # stage 1's facts are the warehouse's shares of the supplier
    facts = {(f["importer"], f["stage"]): f for f in res.data["process"]["facts"]}
    assert facts[("EU27", "metal")]["share_qty"] > 90


def test_exercise_json_and_cli(brief, demo_warehouse, tmp_path, monkeypatch):
    from critmin.cli import app

    res, _ = brief
    data = json.loads((res.brief.parent / "exercise.json").read_text(encoding="utf-8"))
    assert [i["id"] for i in data["timeline"]] == [i.id for i in res.exercise.timeline()]
    params = {p["parameter"]: p for p in data["chain_parameters"]}  # every chain parameter, with its source
    assert params["licence.review_delay_days"]["source"] and params["licence.leakage"]["assumption"] is True
    monkeypatch.setenv("CRITMIN_WAREHOUSE", str(demo_warehouse))
    r = CliRunner().invoke(app, ["exercise", "run", str(EXAMPLE), "--out", str(tmp_path / "b"), "--format", "json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)
    assert rows[0]["inject"] == "announcement" and rows[0]["level"] == "red"
    assert (tmp_path / "b" / "brief.html").exists()
    again = CliRunner().invoke(app, ["exercise", "run", str(EXAMPLE), "--out", str(tmp_path / "b")])
    assert again.exception is not None and "--replace" in str(again.exception)  # the brief is kept
    r = CliRunner().invoke(app, ["exercise", "run", str(EXAMPLE), "--out", str(tmp_path / "b"), "--replace",
                                 "--draws", "200", "--format", "csv"])
    assert r.exit_code == 0 and r.output.startswith("week,date,inject")
    listed = CliRunner().invoke(app, ["examples", "--format", "json"])
    assert "exercise_no18_magnets.yaml" in listed.output
    copied = CliRunner().invoke(app, ["examples", "--copy", str(tmp_path / "ex")])
    assert copied.exit_code == 0 and (tmp_path / "ex" / "exercise_no18_magnets.yaml").exists()


def test_impact_is_the_chain_models_for_the_same_seed(brief, demo_warehouse):
    """The brief's weekly table is the chain run's, week 1 = the exercise's first Monday; the 'all sectors'
    column is the chain's magnet shortfall (its own bands), and every sector row belongs to that total."""
    import pandas as pd

    from critmin.exercise import impact
    from critmin.warehouse.handle import using

    res, html = brief
    ex = res.exercise
    with using(str(demo_warehouse)) as wh:
        r = impact.run(ex, wh)
    again = impact.weekly_table(r)
    got = pd.DataFrame(json.loads((res.brief.parent / "exercise.json").read_text(encoding="utf-8"))["weekly"])
    assert len(got) == len(again) == len(ex.importers) * ex.weeks * 5
    assert got["shortfall_t_p50"].to_numpy() == pytest.approx(again["shortfall_t_p50"].to_numpy(), abs=1e-6)
    assert got["total_t_p90"].to_numpy() == pytest.approx(again["total_t_p90"].to_numpy(), abs=1e-6)
    assert str(again["week_start"].iloc[0])[:10] == ex.start.isoformat()
    assert set(again["sector"]) == {"ev_traction", "auto_other", "industrial_motor", "wind", "other"}
    # the sectors split the magnet shortfall once: over the horizon their P50s sum to about the total's P50
    tot = r.totals
    for imp in ex.importers:
        t = tot[(tot["node"] == imp) & (tot["stage"] == "magnet") & (tot["good"] == "magnet")
                & (tot["metric"] == "shortfall_t")].iloc[0]
        s = r.sector_totals[r.sector_totals["node"] == imp]["shortfall_t_magnet_p50"].sum()
        assert s == pytest.approx(t["p50"], rel=0.15, abs=1.0)
    # the shock's parameters are printed with their sources, assumptions labelled
    assert "licence.approval_share" in html and "licence.review_delay_days" in html
    assert "ASSUMPTION: licence.leakage" in html
    # stage 3 in the brief: alternatives by stage, never the source or a hub
    alts = res.data["alternatives"]
    assert alts and {a["stage"] for a in alts} <= {"oxide", "metal", "magnet"}
    assert not {a["iso3"] for a in alts} & {"CHN", "HKG", "SGP", "CHE"}


def test_relief_lowers_the_eu_shortfall_from_its_week(brief, demo_warehouse):
    from critmin.exercise import impact
    from critmin.warehouse.handle import using

    res, html = brief
    ex = res.exercise
    bare = ex.model_copy(update={"injects": [i.model_copy(update={"relief": None}) for i in ex.injects]})
    with using(str(demo_warehouse)) as wh:
        with_relief, without = impact.weekly_table(impact.run(ex, wh)), impact.weekly_table(impact.run(bare, wh))

    def total(df, week):
        return float(df[(df["importer"] == "EU27") & (df["week"] == week)]["total_t_p90"].iloc[0])

    assert total(with_relief, 12) == pytest.approx(total(without, 12))  # before the fast track: the same
    assert total(with_relief, 20) < total(without, 20)
    assert total(with_relief, 38) < total(with_relief, 20)  # general licences from week 37
    assert "Licence relief from this week" in html
