"""Incidents on the real bundled data: opened from alerts stored by `critmin monitor`, walked through fact
check → impact assessment (a stress run cited by id) → transition arrangements, persisted with their history."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

pytestmark = pytest.mark.slow

AS_OF = "2026-11-23"


def _alert(alerts, **match):
    sel = alerts
    for k, v in match.items():
        sel = sel[sel[k] == v]
    assert len(sel), f"no alert {match}"
    return sel.iloc[0]


def test_full_walk_on_the_eu27_rare_earth_metal_crma_alert(monitored):
    import critmin
    from critmin.incidents import open_incident
    from critmin.indicators.dependency import dependency

    a = _alert(monitored["alerts"], rule_id="crma_single_country_share", importer="EU27", hs6="280530",
               metric="top1_share_qty_pct")
    inc = open_incident(a.id, warehouse=monitored["wh"], through="transition_arrangements")
    assert inc.stage == "transition_arrangements" and inc.status == "open"

    f = inc.fact_check
    dep = dependency("EU27", "rare_earths", stage="metal", years=[2024], basis="qty", warehouse=monitored["wh"])
    assert f["verified"] is True
    assert f["recomputed_value"] == pytest.approx(dep.top1_share.iloc[0] * 100, rel=1e-12)
    assert f["supplier"] == "CHN" and f["hs6"] == ["280530"]
    rows = f["trade_rows"]
    assert rows["n_rows"] > 0 and rows["qty_t"] == pytest.approx(dep.total_imports.iloc[0])
    assert rows["supplier_rows"]["qty_t"] / rows["qty_t"] == pytest.approx(dep.top1_share.iloc[0])
    assert rows["provenance_ids"] and {p["provenance_id"] for p in f["provenance"]} == set(rows["provenance_ids"])
    assert all(p["vintage"] and p["licence"] for p in f["provenance"])
    kb = {e["id"]: e for e in f["kb_entries"]}
    assert "eu-2024-crma" in kb and kb["eu-2024-crma"]["citations"]
    assert all((c["seed"] or c["url"]) and c["primary"] for c in kb["eu-2024-crma"]["citations"])
    assert "chn-2025-no18-medium-heavy-ree" in {c["id"] for c in f["active_controls"]}

    im = inc.impact
    assert im["shock"] == {"supplier": "CHN", "material": "rare_earths", "stage": "metal", "hs6": ["280530"],
                           "cut": 0.4, "duration_months": 12, "baseline_year": 2024, "draws": 2000, "seed": 0}
    run_id = im["stress_run_id"]
    assert run_id and inc.row["stress_run_id"] == run_id
    affected = {r["importer"]: r for r in im["affected_importers"]}
    assert "EU27" in affected and affected["EU27"]["exposure_share"] > 0.9
    assert im["sectors"] and im["downstream_sectors"]
    with critmin.open(monitored["wh"]) as wh:
        assert wh.sql("select count(*) from stress_runs where run_id = ?", [run_id]).fetchall()[0][0] == 1
        assert wh.sql("select count(*) from incident_alerts where alert_id = ?", [a.id]).fetchall()[0][0] == 1

    tr = inc.transition
    alts = tr["alternatives"]
    from critmin.catalog import load_catalog

    eu = set(load_catalog().members("EU27", 2024))
    assert alts and [r["rank"] for r in alts] == list(range(1, len(alts) + 1))
    assert all(r["iso3"] != "CHN" and r["iso3"] not in eu for r in alts)
    # metal makers by spare capacity (the chain model's, issue 14), never mine output
    assert [r["spare_t_per_year_mid"] for r in alts] == sorted((r["spare_t_per_year_mid"] for r in alts),
                                                                reverse=True)
    assert tr["capacity_criterion"] == "spare_t_per_year" and {r["stage"] for r in alts} == {"metal"}
    cover = tr["stock_cover"]
    assert cover["importer"] == "EU27" and cover["cover_months_p50"] > 0
    assert tr["arrangements"]

    hist = inc.history
    assert list(hist["action"]) == ["open", "advance", "advance"]
    assert list(hist["to_stage"]) == ["fact_check", "impact_assessment", "transition_arrangements"]
    assert hist["at_utc"].is_monotonic_increasing


def test_stage_by_stage_then_close(monitored):
    from critmin.errors import UsageError
    from critmin.incidents import (
        advance_incident,
        close_incident,
        list_incidents,
        open_incident,
    )

    a = _alert(monitored["alerts"], rule_id="supplier_hhi", importer="USA", material="cobalt")
    inc = open_incident(a.id, warehouse=monitored["wh"], note="seen in the weekly run")
    assert inc.stage == "fact_check" and inc.impact is None and inc.transition is None
    assert inc.fact_check["verified"] is True  # HHI recomputed equals the alert
    with pytest.raises(UsageError, match="already has an open incident"):
        open_incident(a.id, warehouse=monitored["wh"])
    inc = advance_incident(inc.incident_id, warehouse=monitored["wh"])
    assert inc.stage == "impact_assessment"
    assert inc.impact["shock"]["supplier"] == inc.fact_check["supplier"]  # HHI alerts shock the top supplier
    inc = advance_incident(inc.incident_id, warehouse=monitored["wh"], note="arrangements agreed")
    assert inc.stage == "transition_arrangements"
    with pytest.raises(UsageError, match="completed every stage"):
        advance_incident(inc.incident_id, warehouse=monitored["wh"])
    inc = close_incident(inc.incident_id, warehouse=monitored["wh"], note="resolved")
    assert inc.status == "closed"
    assert list(inc.history["note"]) == ["seen in the weekly run", None, "arrangements agreed", "resolved"]
    with pytest.raises(UsageError, match="already closed"):
        close_incident(inc.incident_id, warehouse=monitored["wh"])
    listed = list_incidents(monitored["wh"])
    assert inc.incident_id in set(listed["incident_id"])
    assert set(list_incidents(monitored["wh"], status="closed")["incident_id"]) == {inc.incident_id}


def test_no_control_alert_rests_on_a_derived_date(monitored):
    """Control alerts rest on dates the KB states, never on a derived re-activation (the October-2025
    controls are 'unknown' after 2026-11-10, not back in force)."""
    ctl = monitored["alerts"]
    ctl = ctl[ctl["rule_id"] == "export_control_dependency"]
    assert not (ctl["date_basis"] == "derived").any()
    assert not ctl["control_events"].str.contains("2026-11-07").any()


def test_feed_alerts_are_cited_not_recomputed(monitored):
    from critmin.incidents import open_incident

    backlog = _alert(monitored["alerts"], rule_id="licence_backlog", importer="EU27", material="rare_earths")
    inc = open_incident(backlog.id, warehouse=monitored["wh"], through="transition_arrangements")
    f = inc.fact_check
    assert f["verified"] is None and "not recomputable" in f["note"] and backlog.source in f["note"]
    assert inc.impact["stress_run_id"] and inc.impact["shock"]["supplier"] == "CHN"
    assert inc.transition["alternatives"]
    corridor = _alert(monitored["alerts"], rule_id="logistics_corridor", material="cobalt")
    inc = open_incident(corridor.id, warehouse=monitored["wh"], through="transition_arrangements")
    # cobalt ore (HS 260500) is catalogued, but the bundled trade holds no flow of it: nothing to stress
    assert "imports these codes in 2024" in inc.impact["skipped"]
    # alternatives still come from World Mining Data production (spare capacity), never the shocked supplier
    assert inc.transition["alternatives"] and "COD" not in {a["iso3"] for a in inc.transition["alternatives"]}


def test_unknown_alert_and_incident_are_refused(monitored):
    from critmin.errors import UsageError
    from critmin.incidents import get_incident, open_incident

    with pytest.raises(UsageError, match="no alert 'A-000000000000'"):
        open_incident("A-000000000000", warehouse=monitored["wh"])
    with pytest.raises(UsageError, match="no incident 'INC-9999'"):
        get_incident("INC-9999", warehouse=monitored["wh"])


def test_cli_open_show_list(monitored):
    from critmin.cli import app

    a = _alert(monitored["alerts"], rule_id="supplier_hhi", importer="JPN", material="rare_earths")
    runner = CliRunner()
    res = runner.invoke(app, ["incident", "open", "--alert", a.id, "--warehouse", monitored["wh"], "--format",
                              "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    iid = doc["incident_id"]
    assert doc["stage"] == "transition_arrangements" and doc["impact_assessment"]["stress_run_id"]
    assert doc["fact_check"]["verified"] is True and len(doc["history"]) == 3
    zh = runner.invoke(app, ["incident", "show", iid, "--warehouse", monitored["wh"], "--lang", "zh"])
    assert zh.exit_code == 0, zh.output
    for heading in ("第一阶段——事实核查", "第二阶段——影响评估", "第三阶段——过渡安排", "处理记录"):
        assert heading in zh.output
    assert {"red": "红色", "orange": "橙色", "yellow": "黄色", "blue": "蓝色"}[a.level] in zh.output
    en = runner.invoke(app, ["incident", "show", iid, "--warehouse", monitored["wh"]])
    assert "Stage 1 — fact check" in en.output and doc["impact_assessment"]["stress_run_id"] in en.output
    ls = runner.invoke(app, ["incident", "list", "--warehouse", monitored["wh"], "--format", "csv"])
    assert ls.exit_code == 0 and iid in ls.output


def test_bad_status_and_date_are_refused(monitored):
    from critmin.errors import UsageError
    from critmin.incidents import list_incidents, open_incident

    with pytest.raises(UsageError, match="--status 'shut'"):
        list_incidents(monitored["wh"], status="shut")
    a = _alert(monitored["alerts"], rule_id="supplier_hhi", importer="USA")
    with pytest.raises(UsageError, match="--as-of"):
        open_incident(a.id, warehouse=monitored["wh"], as_of="2025-02-30")
