"""Issue 10: a command opens one warehouse handle and passes it down. `critmin monitor` opened 13 DuckDB
connections (indicators, lists, provenance, CRMA check and the store each their own); now exactly one, for the
default run including the stored alerts. The stress command, which reads the baseline and saves its run, too."""

from __future__ import annotations

import duckdb
import pytest
from typer.testing import CliRunner


@pytest.fixture
def connections(monkeypatch):
    """Every ``duckdb.connect`` call in this process, counted."""
    opened: list[str] = []
    real = duckdb.connect

    def counting(*args, **kwargs):
        opened.append(str(args[0] if args else kwargs.get("database")))
        return real(*args, **kwargs)

    monkeypatch.setattr(duckdb, "connect", counting)
    return opened


def _invoke(args: list[str]) -> None:
    from critmin.cli import app

    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output + repr(res.exception)


@pytest.mark.slow
def test_monitor_opens_one_connection(wh, tmp_path, connections):
    _invoke(["monitor", "--warehouse", str(wh), "--out", str(tmp_path / "report"), "--as-of", "2026-11-23",
             "--no-progress"])
    assert connections == [str(wh)]
    with duckdb.connect(str(wh), read_only=True) as con:  # the alerts were stored through that one handle
        assert con.execute("SELECT count(*) FROM monitor_runs").fetchone()[0] == 1


def test_stress_opens_one_connection(wh, connections):
    _invoke(["stress", "--supplier", "CHN", "--material", "rare_earths", "--stage", "compound", "--cut", "0.4",
             "--months", "12", "--importer", "EU27", "--draws", "200", "--warehouse", str(wh), "--format", "csv"])
    assert connections == [str(wh)]
    with duckdb.connect(str(wh), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM stress_runs").fetchone()[0] == 1
