"""Incidents opened from a situation card (the monitor's triaged unit) on the real bundled data: the card's level,
its measures cited in the fact check, its highest stored signal re-checked; one open incident per card."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

pytestmark = pytest.mark.slow

@pytest.fixture(scope="module")
def run(monitored):
    return monitored


def test_open_from_a_situation_card(run):
    from critmin.errors import UsageError
    from critmin.incidents import get_incident, open_incident

    s = run["situations"]
    card = s[s["situation_id"] == "EU27|rare_earths|metal"].iloc[0]
    assert card.level == "red"
    inc = open_incident(situation="EU27|rare_earths|metal", warehouse=run["wh"])
    assert inc.stage == "fact_check" and inc.row["level"] == "red"
    lead = inc.alert
    assert lead["extra"]["situation"]["situation_id"] == "EU27|rare_earths|metal"
    assert lead["extra"]["situation"]["reasons_en"] == card.reasons_en
    assert (lead["importer"], lead["material"], lead["stage"]) == ("EU27", "rare_earths", "metal")
    assert lead["rule_kind"] != "changepoint"
    assert inc.fact_check["verified"] is True  # the lead signal's value is recomputed from the warehouse
    cited = {e["id"] for e in inc.fact_check["kb_entries"]}
    assert set(card.measures.split(";")) <= cited  # the card's measures, e.g. No. 18 in force on the as-of date
    assert "chn-2025-no18-medium-heavy-ree" in cited
    with pytest.raises(UsageError, match="already has an open incident"):
        open_incident(situation="EU27|rare_earths|metal", warehouse=run["wh"])
    assert get_incident(inc.incident_id, run["wh"]).alert["extra"]["situation"]["level"] == "red"


def test_situation_errors_and_cli(run):
    from critmin.cli import app
    from critmin.errors import UsageError
    from critmin.incidents import open_incident

    with pytest.raises(UsageError, match="importer\\|material\\|stage"):
        open_incident(situation="EU27-rare_earths", warehouse=run["wh"])
    with pytest.raises(UsageError, match="no situation 'CHN\\|rare_earths\\|metal'"):
        open_incident(situation="CHN|rare_earths|metal", warehouse=run["wh"])
    with pytest.raises(UsageError, match="either an alert"):
        open_incident(warehouse=run["wh"])
    s = run["situations"]
    calm = s[s["level"] == "none"]
    if len(calm):
        with pytest.raises(UsageError, match="level none"):
            open_incident(situation=calm.iloc[0].situation_id, warehouse=run["wh"])
    res = CliRunner().invoke(app, ["incident", "open", "--situation", "JPN|rare_earths|compound", "--through",
                                   "fact_check", "--warehouse", run["wh"], "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    card = s[s["situation_id"] == "JPN|rare_earths|compound"].iloc[0]
    assert doc["level"] == card.level and doc["alert"]["extra"]["situation"]["situation_id"] == card.situation_id


def test_show_names_the_situation_in_both_languages(run):
    from critmin.cli import app

    runner = CliRunner()
    res = runner.invoke(app, ["incident", "open", "--situation", "EU27|rare_earths|compound", "--through", "fact_check",
                              "--warehouse", run["wh"]])
    assert res.exit_code == 0, res.output
    assert res.output.startswith("Opened from situation EU27|rare_earths|compound")
    iid = res.output.split("Incident ")[1].split()[0]
    zh = runner.invoke(app, ["incident", "show", iid, "--warehouse", run["wh"], "--lang", "zh"])
    assert zh.output.startswith("由态势 EU27|rare_earths|compound") and "等级红色" in zh.output
