"""A served workspace on the demo warehouse (real data, real DuckDB, real FastAPI app) with a stored monitor
run, tokens of every role and a sharing agreement granting one partner two datasets."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the serve extra is not installed: pip install -e '.[serve]'")

from serve_helpers import make_served  # noqa: E402 - after the skip


@pytest.fixture(scope="session")
def served_warehouse(demo_warehouse, tmp_path_factory) -> Path:
    """The demo warehouse with one saved monitor run (alerts for rare earths, cobalt and lithium)."""
    from critmin.monitor import run_monitor

    base = tmp_path_factory.mktemp("served")
    wh = base / "critmin.duckdb"
    shutil.copy(demo_warehouse, wh)
    run_monitor(base / "report", lang="en", materials="rare_earths,cobalt,lithium", as_of="2026-11-23",
                warehouse=str(wh), save=True)
    return wh


@pytest.fixture(scope="module")
def served(served_warehouse, tmp_path_factory):
    """A read-mostly workspace shared by a test module (tests that write use ``served_rw``)."""
    s = make_served(served_warehouse, tmp_path_factory.mktemp("srv"))
    yield s
    s.ws.close()


@pytest.fixture()
def served_rw(served_warehouse, tmp_path):
    s = make_served(served_warehouse, tmp_path / "srv")
    yield s
    s.ws.close()


@pytest.fixture()
def a_red_alert(served) -> str:
    rows = served.get("/api/v1/alerts?level=red").json()["rows"]
    assert rows, "the demo monitor run has red alerts"
    return rows[0]["alert_id"]
