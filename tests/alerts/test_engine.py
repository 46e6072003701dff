"""Early-warning engine: levels, persistence, hysteresis, change points, export-control rule, ids."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from critmin.alerts import Rule, alerts_frame, change_points, evaluate, load_rules, prepare, threshold_levels
from critmin.alerts.models import LEVEL_RANK, ChangePoint
from critmin.alerts.rules import RuleError, parse_rules

SHARE_RULE = dict(
    id="share", title_en="share", title_zh="份额", metric="top1_share_qty_pct", comparison=">",
    thresholds={"blue": 50, "yellow": 60, "orange": 65, "red": 80},
)


def series(values, metric="top1_share_qty_pct", start=2000, importer="EU27", material="rare_earths",
           stage="metal", supplier="CHN", periods=None, vintage="v1"):
    periods = periods if periods is not None else list(range(start, start + len(values)))
    return pd.DataFrame({
        "metric": metric, "importer": importer, "material": material, "stage": stage, "supplier": supplier,
        "period": periods, "value": values, "vintage": vintage, "source": "test",
    })


def levels_of(rule: Rule, values, **kw) -> list[str]:
    df = prepare(series(values, **kw))
    sub = df.assign(cm_x=df["value"])
    names = {0: "-", **{r: lvl for lvl, r in LEVEL_RANK.items()}}
    return [names[int(v)] for v in threshold_levels(rule, sub)]


@pytest.mark.parametrize(
    ("value", "level"),
    [(40, "-"), (50, "-"), (50.1, "blue"), (59.9, "blue"), (60.5, "yellow"), (65, "yellow"), (65.2, "orange"),
     (79, "orange"), (80.01, "red"), (100, "red")],
)
def test_threshold_per_level(value, level):
    assert levels_of(Rule(**SHARE_RULE), [value]) == [level]


def test_threshold_lower_is_worse():
    rule = Rule(id="drop", title_en="d", title_zh="降", metric="import_qty_yoy_pct", comparison="<=",
                thresholds={"blue": -15, "yellow": -30, "orange": -45, "red": -60})
    assert levels_of(rule, [-10, -15, -31, -50, -75, 5], metric="import_qty_yoy_pct") == [
        "-", "blue", "yellow", "orange", "red", "-"]


def test_persistence_needs_consecutive_periods_and_gaps_break_runs():
    rule = Rule(**{**SHARE_RULE, "persistence": 3})
    assert levels_of(rule, [70, 70, 40, 70, 70, 70, 70]) == ["-", "-", "-", "-", "-", "orange", "orange"]
    # a missing year breaks the run: 2000, 2001, [gap], 2003 are not three consecutive periods
    assert levels_of(rule, [70, 70, 70], periods=[2000, 2001, 2003]) == ["-", "-", "-"]
    assert levels_of(rule, [70, 70, 70], periods=["2025-11", "2025-12", "2026-01"]) == ["-", "-", "orange"]


def test_hysteresis_prevents_flapping_around_a_threshold():
    oscillating = [64.0, 65.5, 64.6, 65.4, 64.2, 65.8, 64.9, 65.1, 64.3, 65.6]
    plain = levels_of(Rule(**SHARE_RULE), oscillating)
    held = levels_of(Rule(**{**SHARE_RULE, "hysteresis": 2}), oscillating)

    def changes(levels):
        return sum(a != b for a, b in zip(levels, levels[1:], strict=False))

    assert changes(plain) >= 8  # flaps between yellow and orange
    assert held[0] == "yellow" and set(held[1:]) == {"orange"}  # raised once, then held
    assert changes(held) == 1
    # it clears only when the value falls past the clearing threshold (65 - 2 = 63)
    assert levels_of(Rule(**{**SHARE_RULE, "hysteresis": 2}), [66, 64, 63.5, 62.9]) == [
        "orange", "orange", "orange", "yellow"]
    # explicit clearing thresholds override the margin
    rule = Rule(**{**SHARE_RULE, "clear": {"orange": 60}})
    assert levels_of(rule, [66, 61, 59]) == ["orange", "orange", "blue"]


def test_alerts_carry_numbers_transitions_and_deterministic_ids():
    rules = [Rule(**{**SHARE_RULE, "hysteresis": 2})]
    df = series([55, 62, 70, 90, 70, 40], start=2019)
    alerts = evaluate(rules, df, use_kb=False)
    by_period = {a.period: a for a in alerts}
    assert [by_period[p].level for p in ("2019", "2020", "2021", "2022", "2023")] == [
        "blue", "yellow", "orange", "red", "orange"]
    assert "2024" not in by_period
    assert by_period["2022"].transition == "escalated" and by_period["2023"].transition == "deescalated"
    assert by_period["2021"].value == 70 and by_period["2021"].threshold == 65
    assert by_period["2021"].vintage == "v1" and by_period["2021"].source == "test"
    again = evaluate(rules, df.sample(frac=1, random_state=1), use_kb=False)
    assert sorted(a.id for a in alerts) == sorted(a.id for a in again)
    other = evaluate(rules, series([55, 62, 70, 90, 70, 40], start=2019, vintage="v2"), use_kb=False)
    assert not {a.id for a in alerts} & {a.id for a in other}
    latest = evaluate(rules, series([55, 62, 70, 90, 70], start=2019), use_kb=False, latest_only=True)
    assert [(a.period, a.level) for a in latest] == [("2023", "orange")]
    frame = alerts_frame(alerts)
    assert list(frame["level"])[0] == "red" and len(frame) == 5


def test_scope_filters_series():
    rule = Rule(**{**SHARE_RULE, "scope": {"importer": ["EU27"], "stage": "metal"}})
    df = pd.concat([series([70]), series([70], importer="USA"), series([70], stage="compound")])
    alerts = evaluate([rule], df, use_kb=False)
    assert [(a.importer, a.stage) for a in alerts] == [("EU27", "metal")]


def _naive(values, rule: Rule) -> list[int]:
    """Reference: the per-period state machine the vectorised evaluator must reproduce."""
    ops = {">": np.greater, ">=": np.greater_equal, "<": np.less, "<=": np.less_equal}[rule.comparison]
    count = dict.fromkeys(LEVEL_RANK, 0)
    active = dict.fromkeys(LEVEL_RANK, False)
    out = []
    for x in values:
        level = 0
        for lvl, thr in rule.thresholds.items():
            breach = bool(ops(x, thr))
            held = breach or bool(ops(x, rule.clear_threshold(lvl)))
            count[lvl] = count[lvl] + 1 if breach else 0
            active[lvl] = held and (count[lvl] >= rule.persistence or active[lvl])
            if active[lvl]:
                level = LEVEL_RANK[lvl]
        out.append(level)
    return out


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    values=st.lists(st.floats(0, 100, allow_nan=False), min_size=1, max_size=30),
    hysteresis=st.sampled_from([0, 0.5, 2, 7]),
    persistence=st.integers(1, 3),
    lower=st.booleans(),
)
def test_vectorised_equals_state_machine(values, hysteresis, persistence, lower):
    if lower:
        rule = Rule(id="r", title_en="r", title_zh="r", metric="top1_share_qty_pct", comparison="<",
                    thresholds={"blue": 50, "yellow": 40, "orange": 30, "red": 10},
                    hysteresis=hysteresis, persistence=persistence)
    else:
        rule = Rule(**{**SHARE_RULE, "hysteresis": hysteresis, "persistence": persistence})
    df = prepare(series(values))
    got = threshold_levels(rule, df.assign(cm_x=df["value"])).tolist()
    assert got == _naive(values, rule)
    if persistence == 1:  # hysteresis can only hold a level longer, never lower it
        plain = Rule(**{**rule.model_dump(), "hysteresis": 0})
        assert all(h >= p for h, p in zip(got, _naive(values, plain), strict=True))


def test_change_point_found_at_known_break():
    rng = np.random.default_rng(42)
    x = np.concatenate([100 + rng.normal(0, 3, 12), 55 + rng.normal(0, 3, 10)])
    assert change_points(x, ChangePoint(method="pelt")) == [12]
    assert change_points(x, ChangePoint(method="binseg", n_bkps=1)) == [12]
    flat = 100 + rng.normal(0, 3, 22)
    assert change_points(flat, ChangePoint(method="pelt")) == []
    rule = Rule(id="cp", title_en="cp", title_zh="断点", kind="changepoint", metric="import_qty_t",
                changepoint={"min_shift_pct": 20, "level": "yellow"})
    alerts = evaluate([rule], series(list(x), metric="import_qty_t", start=2001), use_kb=False)
    [a] = alerts
    assert a.period == "2013" and a.level == "yellow"
    assert a.extra["shift_pct"] < -35 and a.extra["before_mean"] == pytest.approx(x[:12].mean())


def test_builtin_rules_cover_the_issue():
    rules = {r.id: r for r in load_rules()}
    assert {"crma_single_country_share", "supplier_hhi", "import_drop_yoy", "unit_value_jump",
            "export_control_dependency", "licence_backlog", "core_firm_disruption", "logistics_corridor",
            "strategic_stock", "imports_change_point"} <= set(rules)
    assert rules["crma_single_country_share"].thresholds.orange == 65
    assert rules["supplier_hhi"].thresholds.yellow == 2500
    assert rules["import_drop_yoy"].thresholds.yellow == -30
    assert rules["unit_value_jump"].thresholds.yellow == 50
    assert rules["export_control_dependency"].thresholds.red == 50
    # EU27 rare-earth metals from China at 70 % in 2023 -> orange (a new breach); 85 % in 2024 -> still orange
    # (15 pp worse, so not a standing breach); concentration alone never reaches red
    alerts = evaluate(load_rules(), series([70.0, 85.0], start=2023, importer="EU27"))
    crma = {a.period: a for a in alerts if a.rule_id == "crma_single_country_share"}
    assert crma["2023"].level == "orange" and crma["2024"].level == "orange"
    assert "eu-2024-crma" in crma["2024"].cited_events


def test_crma_rule_reads_the_acts_scope_and_steps_down_standing_breaches():
    """The CRMA benchmark is EU law on strategic raw materials: Japan's or the EU's non-strategic imports raise no
    CRMA alert; a PGM member counts through the catalog's pgms group; a breach held over without a 5 pp rise is
    reported one level lower and says which level it reaches."""
    [rule] = [r for r in load_rules() if r.id == "crma_single_country_share"]
    assert rule.thresholds.red is None and rule.scope.lists == ["eu_2023_strategic"]
    assert rule.standing is not None and rule.standing.source.startswith("ASSUMPTION")
    assert evaluate([rule], series([90.0, 91.0], importer="JPN"), use_kb=False) == []
    assert evaluate([rule], series([90.0, 91.0], material="antimony"), use_kb=False) == []
    assert {a.material for a in evaluate([rule], series([70.0], material="rhodium"), use_kb=False)} == {"rhodium"}
    got = evaluate([rule], series([40.0, 70.0, 72.0, 80.0, 81.0, 55.0, 56.0], start=2018), use_kb=False)
    by = {a.period: a for a in got}
    assert {p: a.level for p, a in by.items()} == {
        "2019": "orange", "2020": "yellow", "2021": "orange", "2022": "yellow", "2023": "yellow", "2024": "blue"}
    assert by["2019"].transition == "new" and "standing" not in by["2019"].extra
    assert by["2020"].extra == {"standing": True, "full_level": "orange", "previous_value": 70.0}
    assert by["2020"].threshold == 65  # the crossed threshold, not the reported level's
    assert by["2024"].extra["full_level"] == "yellow"  # a standing watch (55 -> 56) is blue
    assert by["2023"].transition == "deescalated" and "standing" not in by["2023"].extra


def test_export_control_rule_uses_kb_and_honours_suspension():
    rules = [r for r in load_rules() if r.id == "export_control_dependency"]
    dep = series([70.0, 70.0], metric="supplier_share_qty_pct", start=2024)
    alerts = evaluate(rules, dep)
    assert len({a.id for a in alerts}) == len(alerts)  # one alert per series and period, all controls cited
    events = {e["event_id"]: a for a in alerts for e in a.extra["events"]}
    assert all({e["event_id"] for e in a.extra["events"]} <= set(a.cited_events) for a in alerts)
    assert "chn-2025-no18-medium-heavy-ree" in events  # new control in 2025
    assert events["chn-2025-no18-medium-heavy-ree"].level == "red"
    assert events["chn-2025-no18-medium-heavy-ree"].period == "2025"
    assert all(a.period == "2025" for a in alerts)  # nothing changed in 2024
    # judged as of 2026-11-23: the October 2025 controls' suspension (No. 70) ended on 2026-11-10 and no
    # source in hand says what followed, so their state is 'unknown': no re-activation alert (the KB used
    # to derive one on 2026-11-07)
    later = evaluate(rules, dep, as_of="2026-11-23")
    assert not any(e["change"] == "reactivated" for a in later for e in a.extra["events"])
    assert not any("chn-2025-no57-more-medium-heavy-ree" in a.cited_events for a in later)
    # as of 2025-12-01 the October controls are suspended: only No. 18 (new in April 2025) counts
    mid = evaluate(rules, dep, as_of="2025-12-01")
    assert {e["event_id"] for a in mid for e in a.extra["events"]} == {"chn-2025-no18-medium-heavy-ree"}
    assert {e["change"] for a in mid for e in a.extra["events"]} == {"new"}
    # low dependency: yellow only; none below 20 %
    low = evaluate(rules, series([30.0], metric="supplier_share_qty_pct", start=2025))
    assert {a.level for a in low} == {"yellow"}
    assert evaluate(rules, series([10.0], metric="supplier_share_qty_pct", start=2025)) == []


def test_bad_rules_refused_with_file_and_key(tmp_path):
    text = """
ok_rule:
  title_en: t
  title_zh: 规
  metric: x
  thresholds: {blue: 1, yellow: 2}
bad_rule:
  title_en: t
  title_zh: 规
  metric: x
  comparison: ">"
  thresholds: {blue: 5, yellow: 2}
"""
    p = tmp_path / "my_rules.yaml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(RuleError) as info:
        parse_rules(p)
    err = info.value  # the line of the thresholds and the rule's key in the field
    assert (err.file, err.record, err.field) == ("my_rules.yaml", 12, "bad_rule.thresholds")
    assert "strictly rising from blue to red" in str(err)
    p.write_text(text.replace("comparison: \">\"", "comparison: \"=>\""), encoding="utf-8")
    with pytest.raises(RuleError) as info:
        parse_rules(p)
    assert (info.value.record, info.value.field) == (11, "bad_rule.comparison")
    p.write_text(text.split("bad_rule")[0] + "  cites: [no-such-entry]\n", encoding="utf-8")
    with pytest.raises(RuleError) as info:
        load_rules(p)
    assert info.value.field == "cites" and info.value.got == "no-such-entry"


def test_series_table_checked():
    from critmin.errors import UsageError

    with pytest.raises(UsageError):
        evaluate([Rule(**SHARE_RULE)], pd.DataFrame({"metric": ["x"], "value": [1]}), use_kb=False)
    with pytest.raises(UsageError):
        evaluate([Rule(**SHARE_RULE)], series([70], periods=["2024/05"]), use_kb=False)


def test_adapter_from_dependency_table():
    from critmin.alerts import series_from_dependency

    dep = pd.DataFrame({
        "importer": "EU27", "material_id": "rare_earths", "stage": "metal", "year": [2023, 2024],
        "basis": "qty", "total_imports": [100.0, 60.0], "top1_supplier": "CHN", "top1_share": [0.7, 0.9],
        "hhi": [5200.0, 8200.0], "china_share": [0.7, 0.9], "yoy_imports": [None, -0.4],
    })
    s = series_from_dependency(dep, vintage="baci-2024")
    assert set(s["metric"]) == {"top1_share_qty_pct", "supplier_share_qty_pct", "supplier_hhi_qty",
                                "import_qty_yoy_pct", "import_qty_t"}
    alerts = evaluate(load_rules(), s, use_kb=False)
    got = {(a.rule_id, a.period): a.level for a in alerts}
    assert got[("crma_single_country_share", "2023")] == "orange"
    assert got[("crma_single_country_share", "2024")] == "orange"  # 20 pp worse: no step-down; no red
    # 5200 -> 8200: orange both years, 3000 points worse, so not stepped down; no red from concentration alone
    assert got[("supplier_hhi", "2023")] == "orange" and got[("supplier_hhi", "2024")] == "orange"
    assert got[("import_drop_yoy", "2024")] == "yellow"


def test_export_control_alerts_only_where_items_meet_the_traded_codes():
    """As of 2025-10-20 (No. 18, No. 61 clause 3 and No. 62 in force): a rare-earth metal flow (HS 280530) is
    raised for No. 18's goods only; No. 62 (technology) and No. 61 (exporters abroad) never raise a
    trade-flow alert; an item whose codes the flow does not trade does not match."""
    from critmin.alerts.engine import _hs6_overlap

    rules = [r for r in load_rules() if r.id == "export_control_dependency"]
    dep = series([70.0], metric="supplier_share_qty_pct", start=2025)
    alerts = evaluate(rules, dep, as_of="2025-10-20")
    ids = {e["event_id"] for a in alerts for e in a.extra["events"]}
    assert ids == {"chn-2025-no18-medium-heavy-ree"}
    assert not {"chn-2025-no62-ree-technologies", "chn-2025-no61-extraterritorial-ree"} & {
        c for a in alerts for c in a.cited_events}
    no18 = "280530,284690,382499,848690,850511"
    assert _hs6_overlap(no18, "rare_earths", "metal") and _hs6_overlap(no18, "rare_earths", "compound")
    assert not _hs6_overlap("284690", "rare_earths", "metal")  # an item's codes that the flow does not trade


def test_rule_citations_follow_the_alerts_material():
    """import_drop_yoy is calibrated on the 2010 rare-earth quota cut: a rare-earth drop cites it, a cobalt drop
    does not (it would read as a rare-earth measure behind a cobalt alert); the CRMA, naming no material, is
    cited on every CRMA alert."""
    rules = [r for r in load_rules() if r.id in ("import_drop_yoy", "crma_single_country_share")]
    df = pd.concat([series([100.0, 40.0], metric="import_qty_yoy_pct", material=m, supplier="", start=2023)
                    .assign(value=[0.0, -50.0]) for m in ("rare_earths", "cobalt")]
                   + [series([70.0], material="cobalt", start=2024)])
    got = {(a.rule_id, a.material): a.cited_events for a in evaluate(rules, df)}
    assert "chn-2010-ree-quota-cut" in got[("import_drop_yoy", "rare_earths")]
    assert "chn-2010-ree-quota-cut" not in got[("import_drop_yoy", "cobalt")]
    assert "eu-2024-crma" in got[("crma_single_country_share", "cobalt")]


def test_a_control_on_exports_to_one_country_alerts_only_that_importer():
    """MOFCOM/GAC 2024 No. 46 bans dual-use gallium exports to the USA: a US gallium series is raised for it, an
    EU27 one is not (the monitor's situations apply the same test through their control index)."""
    from critmin.monitor.controls import ControlIndex

    rules = [r for r in load_rules() if r.id == "export_control_dependency"]
    df = pd.concat([series([90.0], metric="supplier_share_qty_pct", importer=imp, material="gallium", stage="",
                           start=2024) for imp in ("USA", "EU27")])
    by_imp = {a.importer: {e["event_id"] for e in a.extra["events"]} for a in evaluate(rules, df)}
    assert "chn-2024-no46-dual-use-usa" in by_imp.get("USA", set())
    assert "chn-2024-no46-dual-use-usa" not in by_imp.get("EU27", set())
    cited = {a.importer: a.cited_events for a in evaluate([Rule(**SHARE_RULE)], df.assign(metric="top1_share_qty_pct",
                                                                                          period=2025))}
    assert "chn-2024-no46-dual-use-usa" in cited["USA"] and "chn-2024-no46-dual-use-usa" not in cited["EU27"]
    import datetime as dt

    hits = {h.measure_id: h for h in ControlIndex(dt.date(2025, 6, 1)).hits("gallium", ("811291",))}
    h = hits["chn-2024-no46-dual-use-usa"]
    assert h.destinations == ("USA",) and h.binds_exports_to({"USA"}) and not h.binds_exports_to({"DEU", "FRA"})
