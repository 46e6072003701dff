"""Each inject is judged by the built-in rules and engine the monitor uses: the same alerts as the same values in a
feed CSV, persistence and de-escalation as on a live feed, and control alerts only for measures in force on the
inject's date, at the importer's real dependence on the supplier."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).parents[2] / "src" / "critmin" / "cli" / "examples" / "exercise_no18_magnets.yaml"


@pytest.fixture(scope="module")
def example():
    from critmin.exercise import load_exercise

    return load_exercise(EXAMPLE)[0]


@pytest.fixture(scope="module")
def judged(example, demo_warehouse):
    from critmin.exercise.alerts import dependency_tables, inject_alerts
    from critmin.warehouse.handle import using

    with using(str(demo_warehouse)) as wh:
        tables = dependency_tables(example, wh)
    return {j["inject"]: j for j in inject_alerts(example, tables)}, tables


def test_feed_injects_raise_exactly_what_the_same_feed_csv_raises(example, judged, tmp_path):
    """The observations written as a feed CSV (the monitor's --feed path) give the same alerts, ids included."""
    from critmin.alerts import evaluate, load_feed, load_rules
    from critmin.exercise.alerts import feed_series

    series = feed_series(example)
    path = tmp_path / "feed.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["feed", "period", "value", "importer", "material", "stage", "supplier", "reference", "source",
                    "vintage"])
        for r in series.itertuples():
            w.writerow([r.metric, r.period, r.value, r.importer, r.material, r.stage, r.supplier,
                        "" if r.reference != r.reference else r.reference, r.source, r.vintage])
    direct = evaluate([r for r in load_rules() if r.source == "feed"], load_feed(path))
    got = {a["id"]: a["level"] for j in judged[0].values() for a in j["alerts"] if a["rule_id"] != "export_control_dependency"}
    assert got == {a.id: a.level for a in direct}
    assert len(got) == 14


def test_persistence_escalation_and_easing_follow_the_rules(judged):
    by = judged[0]

    def level(inject, rule, importer):
        hits = [a for a in by[inject]["alerts"] if a["rule_id"] == rule and a["importer"] == importer]
        return (hits[0]["level"], hits[0]["transition"]) if hits else None

    # core-firm disruption needs two consecutive reports: 45 in week 7 raises nothing, 62 in week 8 yellow
    assert level("backlog_grows", "core_firm_disruption", "DEU") is None
    assert level("line_stops", "core_firm_disruption", "DEU") == ("yellow", "new")
    assert level("stock_line", "core_firm_disruption", "DEU") == ("orange", "escalated")
    assert level("fast_track", "core_firm_disruption", "DEU") == ("blue", "deescalated")
    # backlog 28 days is under the 30-day blue line; 48 yellow; 64 orange; 47 back to yellow; 33 blue
    assert level("backlog_first", "licence_backlog", "EU27") is None
    assert level("backlog_first", "licence_backlog", "JPN") == ("blue", "new")
    assert [level(i, "licence_backlog", "EU27")[0] for i in ("backlog_grows", "line_stops", "stock_line",
                                                               "fast_track", "backlog_eases")] == \
        ["yellow", "yellow", "orange", "yellow", "blue"]
    # the stock touching its warning line (58/60 days) is orange; back above 1.2x the line it is blue... 66/60
    # = 1.1 stays yellow
    assert level("stock_line", "strategic_stock", "JPN") == ("orange", "new")
    assert level("fast_track", "strategic_stock", "JPN")[0] == "yellow"
    assert level("corridor", "logistics_corridor", "EU27") == ("yellow", "new")
    assert by["general_licences"]["alerts"] == [] and by["general_licences"]["level"] == "none"
    assert by["stock_line"]["level"] == "orange"  # the inject's level is its highest alert


def test_the_announcement_is_judged_on_the_real_dependence(example, judged):
    by, tables = judged
    ctl = by["announcement"]["alerts"]
    assert ctl and {a["rule_id"] for a in ctl} == {"export_control_dependency"}
    assert all("chn-2025-no18-medium-heavy-ree" in a["cited_events"] for a in ctl)
    for a in ctl:
        basis = "qty" if a["metric"].endswith("_qty_pct") else "value"
        dep = tables[basis]
        row = dep[(dep["importer"] == a["importer"]) & (dep["stage"] == a["stage"])].iloc[0]
        assert a["value"] == pytest.approx(row["china_share"] * 100)
        expected = "red" if a["value"] > 50 else "orange" if a["value"] > 35 else "yellow"
        assert a["level"] == expected
    # No. 18 covers metals and non-cerium compounds: the EU's metal imports are nearly all Chinese -> red
    assert any(a["importer"] == "EU27" and a["stage"] == "metal" and a["level"] == "red" for a in ctl)
    assert by["announcement"]["level"] == "red"


def test_a_measure_not_in_force_on_the_day_raises_nothing(example, judged):
    """No. 18 a month before it existed, and No. 57 while it was announced but never in force (No. 70 suspended
    it the day before it would have taken effect): the export-control rule stays silent."""
    import datetime as dt

    from critmin.exercise.alerts import inject_alerts

    tables = judged[1]
    early = example.model_copy(update={"start": dt.date(2025, 3, 3)})
    assert not any(a["rule_id"] == "export_control_dependency" for j in inject_alerts(early, tables)
                   for a in j["alerts"])
    ann = example.injects[0].model_copy(update={"measure": "chn-2025-no57-more-medium-heavy-ree"})
    later = example.model_copy(update={"start": dt.date(2025, 10, 20), "injects": [ann]})
    assert inject_alerts(later, tables)[0]["alerts"] == []
    # the same day with No. 18 (in force since 2025-04-04, not suspended) does raise: the silence is the state
    same_day = later.model_copy(update={"injects": [example.injects[0]]})
    assert inject_alerts(same_day, tables)[0]["level"] == "red"
