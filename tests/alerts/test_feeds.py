"""Operational feeds: schema, rejection of bad rows with file/line/field, evaluation, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from critmin.alerts import FeedError, evaluate, load_feed, load_rules, sample_feed_path
from critmin.errors import InputError

HEADER = "feed,period,value,importer,material,stage,supplier,reference,unit,source,vintage\n"
GOOD_ROW = "licence_backlog_days,2025-05,52,EU27,rare_earths,metal,CHN,,day,survey,2025-12\n"


def write(tmp_path: Path, body: str, name: str = "feed.csv") -> Path:
    p = tmp_path / name
    p.write_text(HEADER + body, encoding="utf-8")
    return p


def test_sample_feed_loads_and_raises_the_four_triggers():
    df = load_feed(sample_feed_path())
    assert set(df["metric"]) == {"licence_backlog_days", "core_firm_disruption_index", "corridor_status",
                                 "strategic_stock_days"}
    assert df.loc[df["metric"] == "corridor_status", "value"].tolist() == [0, 1, 2]
    alerts = evaluate(load_rules(), df)
    rules = {a.rule_id for a in alerts}
    assert rules == {"licence_backlog", "core_firm_disruption", "logistics_corridor", "strategic_stock"}
    backlog = {a.period: a.level for a in alerts if a.rule_id == "licence_backlog"}
    assert backlog == {"2025-04": "blue", "2025-05": "yellow", "2025-06": "orange", "2025-07": "yellow",
                       "2025-08": "blue"}
    stock = {a.period: (a.level, round(a.extra["ratio"], 3)) for a in alerts if a.rule_id == "strategic_stock"}
    # 58 days against a 60-day line -> orange; 62 days stays orange by hysteresis (clears above 1.05)
    assert stock["2025-07"] == ("orange", 0.967) and stock["2025-08"][0] == "orange"
    corridor = {a.period: a.level for a in alerts if a.rule_id == "logistics_corridor"}
    assert corridor == {"2025-06": "yellow", "2025-07": "orange"}
    assert all(a.vintage == "2025-12 sample" and a.source for a in alerts)


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ("licence_backlog_days,2025-05,lots,EU27,rare_earths,metal,CHN,,day,survey,\n", "value"),
        ("licence_backlog_days,2025-13,52,EU27,rare_earths,metal,CHN,,day,survey,\n", "period"),
        ("licence_backlog_days,2025-02-30,52,EU27,rare_earths,metal,CHN,,day,survey,\n", "period"),
        ("licence_backlog_days,2025-05,-3,EU27,rare_earths,metal,CHN,,day,survey,\n", "value"),
        ("core_firm_disruption_index,2025-05,130,DEU,rare_earths,,CHN,,,survey,\n", "value"),
        ("corridor_status,2025-05,jammed,EU27,cobalt,,COD,,,monitor,\n", "value"),
        ("strategic_stock_days,2025-05,50,JPN,rare_earths,,,,day_of_consumption,agency,\n", "reference"),
        ("strategic_stock_days,2025-05,50,JPN,rare_earths,,,0,,agency,\n", "reference"),
        ("licence_backlog_days,2025-05,52,eu27,rare_earths,metal,CHN,,day,survey,\n", "importer"),
        ("licence_backlog_days,2025-05,52,EU27,Rare Earths,metal,CHN,,day,survey,\n", "material"),
        ("licence_backlog_days,2025-05,52,EU27,rare_earths,magnet,CHN,,day,survey,\n", "stage"),
        ("licence_backlog_days,2025-05,52,EU27,rare_earths,metal,CHN,,hours,survey,\n", "unit"),
        ("licence_backlog_days,2025-05,52,EU27,rare_earths,metal,CHN,,day,,\n", "source"),
        (GOOD_ROW, "period"),  # duplicate of line 2
    ],
)
def test_bad_row_rejected_with_file_line_field(tmp_path, row, field):
    path = write(tmp_path, GOOD_ROW + row)
    with pytest.raises(FeedError) as info:
        load_feed(path)
    err = info.value
    assert isinstance(err, InputError)
    assert (Path(err.file).name, err.record, err.field) == ("feed.csv", 3, field)
    assert "feed.csv" in str(err) and "line 3" in str(err) and field in str(err)


def test_all_bad_rows_listed(tmp_path):
    body = GOOD_ROW + GOOD_ROW.replace("52", "x") + GOOD_ROW.replace("2025-05", "2025-06").replace("EU27", "eu")
    with pytest.raises(FeedError) as info:
        load_feed(write(tmp_path, body))
    errors = info.value.extra["errors"]
    assert [(e["line"], e["field"]) for e in errors] == [(3, "value"), (4, "importer")]


def test_bad_header_and_missing_file(tmp_path):
    p = tmp_path / "h.csv"
    p.write_text("feed,period,value,importer,material\n", encoding="utf-8")
    with pytest.raises(FeedError) as info:
        load_feed(p)
    assert info.value.record == 1 and info.value.field == "source"
    p.write_text(HEADER.strip() + ",colour\n", encoding="utf-8")
    with pytest.raises(FeedError) as info:
        load_feed(p)
    assert info.value.field == "colour"
    with pytest.raises(FeedError):
        load_feed(tmp_path / "nope.csv")
    p.write_bytes(HEADER.encode() + GOOD_ROW.encode() + b"licence_backlog_days,2025-06,\xff\n")
    with pytest.raises(FeedError) as info:  # not UTF-8: the file and the line of the first bad byte
        load_feed(p)
    assert info.value.record == 3 and "UTF-8" in str(info.value)


def test_cli_rules_and_feed(tmp_path):
    from critmin.cli import app

    runner = CliRunner()
    res = runner.invoke(app, ["alerts", "rules", "--format", "json"])
    assert res.exit_code == 0, res.output
    rules = json.loads(res.output)
    crma = next(r for r in rules if r["id"] == "crma_single_country_share")
    assert (crma["blue"], crma["yellow"], crma["orange"], crma["red"]) == (None, 50, 65, None)
    assert crma["scope"] == "importer=EU27; lists=eu_2023_strategic"
    res = runner.invoke(app, ["alerts", "feed", str(sample_feed_path()), "--latest", "--format", "csv"])
    assert res.exit_code == 0, res.output
    lines = res.output.strip().splitlines()
    assert lines[0].startswith("id,level,rule_id") and len(lines) == 5
    bad = write(tmp_path, GOOD_ROW.replace("52", "x"))
    res = runner.invoke(app, ["alerts", "feed", str(bad)])
    assert isinstance(res.exception, FeedError) and res.exception.record == 2
