"""`critmin monitor` end to end on the real bundled data: a cold run (warehouse build included) through the
command line, then its report, alert files and stored alerts checked against the indicator core."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pandas as pd
import pytest

pytestmark = pytest.mark.slow

AS_OF = "2026-11-23"
FIELDS = {"id", "rule_id", "level", "importer", "material", "hs6", "supplier", "metric", "value", "threshold",
          "year", "vintage", "cited_events"}


@pytest.fixture(scope="module")
def cold_run(tmp_path_factory):
    """One cold run: a fresh interpreter, no warehouse yet (so monitor builds it), default importers/materials."""
    base = tmp_path_factory.mktemp("monitor")
    wh, out = base / "critmin.duckdb", base / "report"
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    env.pop("CRITMIN_WAREHOUSE", None)
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "critmin", "monitor", "--out", str(out), "--warehouse", str(wh),
                           "--as-of", AS_OF, "--no-progress"], capture_output=True, text=True, env=env, timeout=600)
    seconds = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    assert proc.returncode == 0, proc.stderr
    return {"wh": wh, "out": out, "seconds": seconds, "cpu": cpu, "stdout": proc.stdout}


def test_cold_run_within_60_seconds(cold_run):
    """The budget is wall time on an idle machine; on a loaded shared one the wall time measures the run queue,
    so the run's own CPU seconds (which on an idle machine are at least its wall time, two DuckDB threads) count
    instead when smaller."""
    assert cold_run["wh"].exists()
    spent = min(cold_run["seconds"], cold_run["cpu"])
    assert spent <= 60, f"cold monitor took {cold_run['seconds']:.1f} s wall, {cold_run['cpu']:.1f} s CPU"
    for name in ("report.html", "alerts.json", "alerts.csv"):
        assert (cold_run["out"] / name).stat().st_size > 0


def test_alert_files_carry_every_field(cold_run):
    records = json.loads((cold_run["out"] / "alerts.json").read_text(encoding="utf-8"))
    assert records and all(FIELDS <= set(r) for r in records)
    assert len({r["id"] for r in records}) == len(records)  # one record per alert id
    csv = pd.read_csv(cold_run["out"] / "alerts.csv", dtype={"hs6": str, "period": str})
    assert len(csv) == len(records)
    assert set(csv["level"]) <= {"blue", "yellow", "orange", "red"}
    assert set(csv["importer"]) <= {"EU27", "USA", "JPN", "CHN"}
    assert all(isinstance(r["hs6"], list) and all(len(h) == 6 for h in r["hs6"]) for r in records if r["hs6"])


def test_eu27_rare_earth_metal_crma_alert_equals_indicator_core(cold_run):
    from critmin.indicators.crma import crma_check
    from critmin.indicators.dependency import dependency

    records = json.loads((cold_run["out"] / "alerts.json").read_text(encoding="utf-8"))
    crma = [r for r in records if r["rule_id"] == "crma_single_country_share" and r["importer"] == "EU27"
            and r["hs6"] == ["280530"] and r["year"] == 2024]
    assert {r["metric"] for r in crma} == {"top1_share_qty_pct", "top1_share_value_pct"}
    # above 65 % in 2023 too and not 5 pp higher: a standing breach, reported yellow and saying it reaches orange
    assert all(r["supplier"] == "CHN" and r["level"] == "yellow" and r["full_level"] == "orange" for r in crma)
    assert all("ASSUMPTION" in r["level_note"] for r in crma)
    assert all("eu-2024-crma" in r["cited_events"] for r in crma)
    wh = str(cold_run["wh"])
    check = crma_check("EU27", years=[2024], materials=["rare_earths"], warehouse=wh, only_breaches=False)
    row = check[check["stage"] == "metal"].iloc[0]
    by_metric = {r["metric"]: r for r in crma}
    assert by_metric["top1_share_qty_pct"]["value"] == pytest.approx(row.top1_share_qty * 100, rel=1e-12)
    assert by_metric["top1_share_value_pct"]["value"] == pytest.approx(row.top1_share_value * 100, rel=1e-12)
    dep = dependency("EU27", "rare_earths", stage="metal", years=[2024], basis="qty", warehouse=wh)
    assert by_metric["top1_share_qty_pct"]["value"] == pytest.approx(dep.top1_share.iloc[0] * 100, rel=1e-12)


def test_crma_rule_fires_only_where_the_act_applies(cold_run):
    """The CRMA alert is calibrated: EU27 and strategic raw materials only, never red, orange only for a new crossing
    or a material rise; it used to fire for every importer (179 signals, 58 red, on this data)."""
    from critmin.alerts.engine import list_materials

    records = json.loads((cold_run["out"] / "alerts.json").read_text(encoding="utf-8"))
    crma = [r for r in records if r["rule_id"] == "crma_single_country_share"]
    strategic = list_materials(["eu_2023_strategic"])
    assert crma and {r["importer"] for r in crma} == {"EU27"} and {r["material"] for r in crma} <= strategic
    assert "red" not in {r["level"] for r in crma}
    orange = [r for r in crma if r["level"] == "orange"]
    assert orange and all(r["transition"] in ("new", "escalated") or r["full_level"] == "" for r in orange)
    assert len(crma) <= 25 and len(orange) <= 5
    # the situations still see Japan's and the USA's concentration through their own single-supplier signal
    sit = json.loads((cold_run["out"] / "situations.json").read_text(encoding="utf-8"))["situations"]
    assert any(s["importer"] != "EU27" and "concentration" in s["signals"] for s in sit)


def test_controls_are_judged_by_their_state_on_the_as_of_date(cold_run):
    """Situations read each export control's state on the as-of date from the knowledge base (no look-back
    window); the alert rule reports changes into force in the year before, and cites what it counts."""
    import datetime as dt

    from critmin.kb import load_kb, state_on

    kb = load_kb()
    day = dt.date.fromisoformat(AS_OF)
    doc = json.loads((cold_run["out"] / "situations.json").read_text(encoding="utf-8"))
    with_controls = [s for s in doc["situations"] if s["control_states"]]
    assert with_controls
    for s in with_controls:
        for entry in s["control_states"].split(";"):
            mid, state = entry.split(":")
            m = kb.find(mid)
            assert state in {state_on(m, day, item.id) for item in m.scope}, (s["situation_id"], entry)
            assert mid in s["measures"]
    reds = [s for s in doc["situations"] if "control=red" in s["signals"] and s["level"] == "red"]
    assert reds and all("in force" in s["reasons_en"] for s in reds)
    records = json.loads((cold_run["out"] / "alerts.json").read_text(encoding="utf-8"))
    assert len({r["id"] for r in records}) == len(records)  # unique ids: one control alert per scope
    for r in (r for r in records if r["rule_id"] == "export_control_dependency"):  # every control counted is cited
        counted = {e.split("@")[0] for e in r["control_events"].split(";")}
        assert counted <= set(r["cited_events"])


def test_no_control_alert_rests_on_a_derived_reactivation(cold_run):
    """As of 2026-11-23 the October-2025 controls are 'unknown' (No. 70's suspension ended 2026-11-10 and no
    source says what followed): no alert may treat them as re-activated (the KB used to derive 2026-11-07)."""
    from critmin.kb import load_kb, state_on

    records = json.loads((cold_run["out"] / "alerts.json").read_text(encoding="utf-8"))
    ctl = [r for r in records if r["rule_id"] == "export_control_dependency"]
    assert not [r for r in ctl if r["date_basis"] == "derived" or "2026-11-07" in r["control_events"]]
    assert len({r["id"] for r in records}) == len(records)  # unique ids: one control alert per scope
    kb = load_kb()
    for r in ctl:  # every control counted is cited and in force on the day judged
        counted = {e.split("@")[0] for e in r["control_events"].split(";")}
        assert counted <= set(r["cited_events"])
        assert all(state_on(kb.entries[c], AS_OF) == "in_force" for c in counted)
    html = (cold_run["out"] / "report.html").read_text(encoding="utf-8")
    assert 'id="kb-currency"' in html  # the report says how current the KB is


def test_report_is_self_contained_and_bilingual(cold_run):
    html = (cold_run["out"] / "report.html").read_text(encoding="utf-8")
    import re

    from plotly.offline import get_plotlyjs

    # nothing fetched from the network: one local script (plotly.js, written once beside the page), no stylesheet
    assert re.findall(r'\.src = "([^"]+)"', html) == ["plotly.min.js"] and "<link " not in html
    assert "<script src=" not in html and "http://" not in html.split("<body")[0]
    assert (cold_run["out"] / "plotly.min.js").read_text(encoding="utf-8") == get_plotlyjs()
    assert get_plotlyjs()[:200] not in html and len(html.encode("utf-8")) <= 2_000_000
    assert html.count("cmCharts||[]).push(") > 20  # summary, per-material charts, timeline
    assert "critmin monitoring report / critmin 关键矿产监测报告" in html
    for section in ('id="summary"', 'id="key-alerts"', 'id="crma"', 'id="materials"', 'id="timeline"',
                    'id="sources"', "Etalab Open Licence 2.0"):
        assert section in html


def test_alerts_stored_for_incidents(cold_run):
    import critmin

    records = json.loads((cold_run["out"] / "alerts.json").read_text(encoding="utf-8"))
    with critmin.open(str(cold_run["wh"])) as wh:
        runs = wh.sql("select run_id, n_alerts from monitor_runs").df()
        stored = wh.sql("select alert_id from monitor_alerts").df()
    assert len(runs) == 1 and int(runs.n_alerts.iloc[0]) == len(records)
    assert set(stored.alert_id) == {r["id"] for r in records}


def test_zh_report_and_rerun_is_deterministic(cold_run, tmp_path):
    from critmin.monitor import run_monitor

    res = run_monitor(tmp_path / "zh", lang="zh", importers="EU27", materials="rare_earths,cobalt", as_of=AS_OF,
                      warehouse=str(cold_run["wh"]), save=False)
    html = res.html.read_text(encoding="utf-8")
    assert "预警等级汇总 / Summary of alerts by level" in html and '<html lang="zh-CN">' in html
    first = json.loads((cold_run["out"] / "alerts.json").read_text(encoding="utf-8"))
    ids = {r["id"] for r in first if r["importer"] == "EU27" and r["material"] in ("rare_earths", "cobalt")}
    assert set(res.alerts["id"]) == ids  # same data and rules: same alert ids


def test_unknown_importer_is_one_line_error(cold_run, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "critmin", "monitor", "--out", str(tmp_path), "--warehouse",
                           str(cold_run["wh"]), "--importers", "EU27,XXX", "--no-progress"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert "XXX" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_bad_date_and_unwritable_out_are_one_line_errors(cold_run, tmp_path):
    from typer.testing import CliRunner

    from critmin.cli import app
    from critmin.errors import InputError, UsageError

    base = ["monitor", "--warehouse", str(cold_run["wh"]), "--importers", "EU27", "--materials", "gallium",
            "--no-progress", "--no-save"]
    res = CliRunner().invoke(app, [*base, "--out", str(tmp_path / "r"), "--as-of", "2025-13-01"])
    assert isinstance(res.exception, UsageError) and "--as-of" in str(res.exception)
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    res = CliRunner().invoke(app, [*base, "--out", str(blocker / "r"), "--as-of", AS_OF])
    assert isinstance(res.exception, InputError) and str(blocker / "r" / "report.html") in str(res.exception)
    assert "\n" not in str(res.exception)
    # a warehouse to build where no folder can be made
    res = CliRunner().invoke(app, ["monitor", "--warehouse", str(blocker / "w" / "c.duckdb"), "--out",
                                   str(tmp_path / "r"), "--no-progress"])
    assert isinstance(res.exception, InputError) and str(blocker / "w" / "c.duckdb") in str(res.exception)


def test_format_option_prints_the_orange_and_red_alerts(cold_run, tmp_path):
    from typer.testing import CliRunner

    from critmin.cli import app

    base = ["monitor", "--warehouse", str(cold_run["wh"]), "--importers", "EU27", "--materials", "rare_earths,cobalt",
            "--as-of", AS_OF, "--no-progress", "--no-save", "--out", str(tmp_path)]
    rows = json.loads(CliRunner().invoke(app, [*base, "--format", "json"]).stdout)
    assert rows and {r["level"] for r in rows} <= {"red", "orange"}
    every = json.loads((tmp_path / "alerts.json").read_text(encoding="utf-8"))
    assert {r["id"] for r in rows} == {r["id"] for r in every if r["level"] in ("red", "orange")}
    csv = CliRunner().invoke(app, [*base, "--format", "csv"]).stdout.strip().splitlines()
    assert csv[0].startswith("id,level,") and len(csv) == len(rows) + 1
    table = CliRunner().invoke(app, [*base, "--format", "table"]).stdout
    assert all(r["id"] in table for r in rows)


def test_crma_table_marks_materials_outside_the_acts_scope(cold_run):
    """Antimony (EU 2023 critical, not strategic) at 86 % from Türkiye is shown for comparison, not as a breach."""
    html = (cold_run["out"] / "report.html").read_text(encoding="utf-8")
    section = html[html.index('<section id="crma">'):]
    section = section[:section.index("</section>")]
    row = section[section.index("Antimony"):]
    row = row[:row.index("</tr>")]
    assert "not in scope" in row and ">yes<" not in row
    assert section.index("Rare earths") < section.index("Antimony")  # strategic raw materials first
