"""One warehouse handle per command (issue 10): `dependency`, `crma` and `incident open`, run in-process through
the CLI, each open exactly one DuckDB connection and pass it down to every function they call."""

from __future__ import annotations

import json
import shutil

import duckdb
import pytest
from typer.testing import CliRunner


@pytest.fixture
def connections(monkeypatch):
    """The paths of every ``duckdb.connect`` call made while the test runs."""
    opened: list[str] = []
    real = duckdb.connect

    def counting(database=":memory:", *args, **kwargs):
        opened.append(str(database))
        return real(database, *args, **kwargs)

    monkeypatch.setattr(duckdb, "connect", counting)
    return opened


def _run(*args: str) -> str:
    from critmin.cli import app

    res = CliRunner().invoke(app, list(args))
    assert res.exit_code == 0, res.output
    return res.stdout


@pytest.mark.parametrize("command", [
    ["dependency", "--importer", "EU27,JPN", "--material", "rare_earths", "--years", "2022-2024", "--explain"],
    ["crma", "--importer", "EU27", "--years", "2023-2024", "--explain"],
])
def test_indicator_commands_open_one_connection(built_warehouse, connections, command):
    _run(*command, "--warehouse", str(built_warehouse))
    assert connections == [str(built_warehouse)]


@pytest.fixture(scope="module")
def monitored(built_warehouse, tmp_path_factory):
    """A private copy of the warehouse with one monitor run (and its alerts) stored in it."""
    from critmin.alerts import sample_feed_path
    from critmin.monitor import run_monitor

    base = tmp_path_factory.mktemp("connections")
    wh = base / "critmin.duckdb"
    shutil.copy(built_warehouse, wh)
    res = run_monitor(base / "report", importers="EU27", materials="rare_earths", as_of="2026-11-23",
                      warehouse=str(wh), feed=sample_feed_path())
    return wh, res.alerts


@pytest.mark.slow
def test_incident_open_through_every_stage_opens_one_connection(monitored, connections):
    wh, alerts = monitored
    a = alerts[(alerts["rule_id"] == "crma_single_country_share") & (alerts["hs6"] == "280530")].iloc[0]
    out = json.loads(_run("incident", "open", "--alert", a.id, "--draws", "200", "--format", "json",
                          "--warehouse", str(wh)))
    assert out["stage"] == "transition_arrangements" and out["impact_assessment"]["stress_run_id"]
    assert out["fact_check"]["verified"] is True
    assert connections == [str(wh)]
