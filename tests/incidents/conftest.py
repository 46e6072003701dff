"""The incident tests' shared fixture: a private warehouse copy with one stored monitor run."""

from __future__ import annotations

import shutil

import pytest

AS_OF = "2026-11-23"


@pytest.fixture(scope="module")
def monitored(built_warehouse, tmp_path_factory):
    """A private copy of the session warehouse with one monitor run stored in it (alerts and situations)."""
    from critmin.alerts import sample_feed_path
    from critmin.monitor import run_monitor

    base = tmp_path_factory.mktemp("incidents")
    wh = base / "critmin.duckdb"
    shutil.copy(built_warehouse, wh)
    res = run_monitor(base / "report", importers="EU27,USA,JPN", materials="rare_earths,cobalt", as_of=AS_OF,
                      warehouse=str(wh), feed=sample_feed_path())
    return {"wh": str(wh), "alerts": res.alerts, "situations": res.situations}
