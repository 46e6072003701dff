"""End to end on the warehouse built from the real bundled data: quick form, scenario files, JSON shape,
reproducibility, saving and loading a run, the CLI faces and the chart."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from typer.testing import CliRunner

from critmin.cli import app
from critmin.stress import load_run, quick_scenario, run


@pytest.fixture(scope="module")
def wh(built_warehouse, tmp_path_factory):
    """A private copy of the session warehouse, since these tests write stress tables into it."""
    path = tmp_path_factory.mktemp("stresswh") / "critmin.duckdb"
    shutil.copy(built_warehouse, path)
    return path


@pytest.fixture(scope="module")
def eu_result(wh):
    sc = quick_scenario("CHN", "rare_earths", 0.4, 12, stage="compound", importers=["EU27"], draws=5000, seed=11)
    return run(sc, warehouse=wh)


def test_eu27_quick_run_on_real_flows(eu_result):
    r = eu_result
    assert r.meta["hs6"] == ["284610", "284690"]
    s = r.summary.set_index("importer").loc["EU27"]
    # EU27 is one node: extra-EU imports only, and China supplies a real part of them
    assert 0 < s["exposed_t"] < s["demand_t"]
    assert 0 <= s["shortfall_t_p10"] <= s["shortfall_t_p50"] <= s["shortfall_t_p90"]
    # a 40 % cut of the exposed flow bounds what can go missing
    assert s["shortfall_t_p90"] <= 0.4 * s["exposed_t"] + 1e-6
    # a compound shock is replaced by separation plants (the chain data's capacities), never by mine output,
    # and re-export hubs replace nothing (issue 14: USA mine output, Madagascar, Nigeria; Lynas got none)
    assert "capacity of refiners" in r.meta["spare_source"] and "World Mining Data" not in r.meta["spare_source"]
    alts = set(r.suppliers["exporter"])
    assert "MYS" in alts and r.suppliers.iloc[0]["exporter"] == "MYS"
    assert not alts & {"MDG", "NGA", "HKG", "SGP", "CHE", "CHN"}
    # the EU holds no strategic stockpile: its stock is firm inventories of weeks, from the one stock table
    assert "none for the EU" in r.meta["parameters"]["stock_days"]
    assert s["shortfall_t_p50"] > 0
    assert set(r.downstream["sector"]) == {"ev_traction_motor", "wind_direct_drive", "industrial_motor"}
    pp = r.market[r.market["metric"] == "price_pressure"]
    assert (pp["p50"] > 0).all()


def test_same_seed_same_bands_and_run_id(wh, eu_result):
    sc = quick_scenario("CHN", "rare_earths", 0.4, 12, stage="compound", importers=["EU27"], draws=5000, seed=11)
    again = run(sc, warehouse=wh)
    assert again.run_id == eu_result.run_id
    np.testing.assert_array_equal(again.monthly["p50"].to_numpy(), eu_result.monthly["p50"].to_numpy())
    other = run(quick_scenario("CHN", "rare_earths", 0.4, 12, stage="compound", importers=["EU27"],
                               draws=5000, seed=12), warehouse=wh)
    assert other.run_id != eu_result.run_id


def test_json_shape(eu_result):
    doc = json.loads(eu_result.to_json())
    (imp,) = doc["importers"]
    for key in ("importer", "shortfall_t_p10", "shortfall_t_p50", "shortfall_t_p90", "stockout_month_p50",
                "monthly"):
        assert key in imp
    assert len(imp["monthly"]["month"]) == 12
    assert len(imp["monthly"]["stock_t_p50"]) == 12


def test_save_and_load_run(wh, eu_result):
    rid = eu_result.save(wh)
    got = load_run(rid, wh)
    assert got["run"]["material"] == "rare_earths"
    assert got["run"]["scenario"]["shock"]["cut"] == 0.4
    res = got["results"]
    tot = res[(res["importer"] == "EU27") & (res["metric"] == "shortfall_t") & res["month"].isna()].iloc[0]
    assert tot["p50"] == pytest.approx(float(eu_result.summary["shortfall_t_p50"].iloc[0]))
    # saving again replaces, not duplicates
    eu_result.save(wh)
    assert len(load_run(rid, wh)["results"]) == len(res)


def test_larger_cut_larger_shortfall_on_real_data(wh):
    kw = dict(stage=None, importers=["JPN", "USA"], draws=2000, seed=5)
    lo = run(quick_scenario("CHN", "rare_earths", 0.3, 6, **kw), warehouse=wh).summary.set_index("importer")
    hi = run(quick_scenario("CHN", "rare_earths", 0.7, 6, **kw), warehouse=wh).summary.set_index("importer")
    for imp in ("JPN", "USA"):
        for q in ("p10", "p50", "p90"):
            assert hi.loc[imp, f"shortfall_t_{q}"] >= lo.loc[imp, f"shortfall_t_{q}"]


def test_cli_quick_form_json(wh):
    res = CliRunner().invoke(app, [
        "stress", "--supplier", "CHN", "--material", "rare_earths", "--stage", "compound", "--cut", "0.4",
        "--months", "12", "--importer", "EU27", "--draws", "2000", "--seed", "3", "--format", "json",
        "--warehouse", str(wh), "--no-save"])
    assert res.exit_code == 0, res.output
    start = res.stdout.index("[")
    rows = json.loads(res.stdout[start:])
    assert rows[0]["importer"] == "EU27"
    assert {"shortfall_t_p10", "shortfall_t_p50", "shortfall_t_p90", "stockout_month_p50", "monthly"} <= set(rows[0])


def test_cli_run_file_writes_outputs_and_saves(wh, tmp_path):
    from importlib import resources

    f = resources.files("critmin.stress") / "scenarios" / "joint_exercise_magnets_2024.yaml"
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["stress", "run", str(f), "--draws", "1000", "--out", str(out),
                                   "--warehouse", str(wh)])
    assert res.exit_code == 0, res.output
    doc = json.loads((out / "result.json").read_text(encoding="utf-8"))
    names = [i["importer"] for i in doc["importers"]]
    assert names == ["EU27", "JPN", "USA", "KOR"]
    kor = doc["importers"][3]
    assert kor["targeted"] is False and kor["shortfall_t_p90"] == 0
    html = (out / f"{doc['run_id']}.html").read_text(encoding="utf-8")
    # works offline: plotly.js is the shared file written beside the page (issue 16)
    assert 'src="plotly.min.js"' in html and (out / "plotly.min.js").stat().st_size > 1_000_000
    listed = CliRunner().invoke(app, ["stress", "runs", "--format", "json", "--warehouse", str(wh)])
    assert doc["run_id"] in listed.stdout


def test_cli_bad_file_one_line_error(tmp_path, wh):
    bad = tmp_path / "bad.yaml"
    bad.write_text("shock: {supplier: CHN, material: rare_earths, cut: 1.4, duration_months: 3}\n"
                   "baseline: {year: 2024}\n", encoding="utf-8")
    import subprocess
    import sys

    p = subprocess.run([sys.executable, "-c", "from critmin.cli import main; main()", "stress", "run", str(bad),
                        "--warehouse", str(wh)], capture_output=True, text=True)
    assert p.returncode != 0
    assert "bad.yaml" in p.stderr and "shock.cut" in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("name", ["backtest_2010", "eu_rare_earth_compounds_2024", "graphite_battery_2024",
                                  "joint_exercise_magnets_2024"])
def test_every_example_scenario_runs_in_every_format(wh, name):
    from importlib import resources

    f = str(resources.files("critmin.stress") / "scenarios" / f"{name}.yaml")
    base = ["stress", "run", f, "--draws", "200", "--no-save", "--warehouse", str(wh)]
    res = CliRunner().invoke(app, [*base, "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert rows and {"importer", "shortfall_t_p50", "monthly"} <= set(rows[0])
    csv = CliRunner().invoke(app, [*base, "--format", "csv"])
    assert csv.exit_code == 0 and csv.stdout.splitlines()[0].startswith("importer,")
    assert len(csv.stdout.strip().splitlines()) == len(rows) + 1
    table = CliRunner().invoke(app, [*base, "--format", "table"])
    assert table.exit_code == 0 and rows[0]["importer"] in table.stdout


def test_unwritable_out_is_one_line_error(wh, tmp_path):
    from critmin.errors import InputError

    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    res = CliRunner().invoke(app, ["stress", "--supplier", "CHN", "--material", "rare_earths", "--cut", "0.4",
                                   "--months", "3", "--draws", "100", "--no-save", "--warehouse", str(wh),
                                   "--out", str(blocker / "out")])
    assert isinstance(res.exception, InputError) and str(blocker / "out") in str(res.exception)
    assert "\n" not in str(res.exception)


@pytest.mark.slow
def test_backtest_2010_numbers(wh):
    from critmin.stress.backtest import backtest_2010

    bt = backtest_2010(wh, draws=500, seed=0)
    assert bt.meta["hs6"] == ["280530", "284610", "284690"]
    assert list(bt.suppliers["year"]) == [2010, 2011, 2012]
    # China's actual exports in BACI (t): 2009 baseline ~43.8 kt; 2012 ~24.9 kt
    assert bt.meta["supplier_baseline_t"] == pytest.approx(43_844, rel=0.01)
    s2012 = bt.suppliers.set_index("year").loc[2012]
    assert s2012["supplier_actual_t"] == pytest.approx(24_893, rel=0.01)
    assert set(bt.importers["importer"]) == {"JPN", "USA", "EU27", "KOR"}
    assert bt.errors["value"].notna().all()


def test_monthly_feed_even_split_matches_annual(wh, tmp_path):
    """A monthly feed that splits the year evenly gives the same bands as the annual baseline."""
    import pandas as pd

    import critmin
    from critmin.stress.network import read_trade

    with critmin.open(str(wh)) as w:  # the same rows (incl. quantities imputed from value) as the baseline
        tr = read_trade(w, ["284610", "284690"], 2024)
    tr = tr.groupby(["exporter", "importer"], as_index=False)["qty_t"].sum().rename(columns={"qty_t": "q"})
    feed = pd.concat([tr.assign(month=m, qty_t=tr["q"] / 12) for m in range(1, 13)])[
        ["month", "exporter", "importer", "qty_t"]]
    path = tmp_path / "feed.csv"
    feed.to_csv(path, index=False)
    base = quick_scenario("CHN", "rare_earths", 0.4, 6, stage="compound", importers=["JPN", "USA"], draws=500,
                          seed=4)
    with_feed = base.model_copy(deep=True)
    with_feed.baseline.monthly_feed = str(path)
    a = run(base, warehouse=wh).summary.set_index("importer")
    b = run(with_feed, warehouse=wh).summary.set_index("importer")
    for col in ("demand_t", "exposed_t", "shortfall_t_p50", "shortfall_t_p90"):
        np.testing.assert_allclose(b[col].to_numpy(), a[col].to_numpy(), rtol=1e-6, atol=1e-6)


def test_every_stress_command_is_documented():
    from pathlib import Path

    from critmin.cli.commands.stress import stress_app

    doc = (Path(__file__).resolve().parents[2] / "docs" / "stress.md").read_text(encoding="utf-8")
    for cmd in stress_app.registered_commands:
        name = cmd.name or cmd.callback.__name__
        assert f"critmin stress {name}" in doc, name
