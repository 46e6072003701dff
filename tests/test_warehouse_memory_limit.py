"""Every warehouse connection honours the memory_limit setting (the scale benchmark's peak-memory cap)."""

import duckdb

from critmin.warehouse.handle import Warehouse


def test_connections_take_the_memory_limit_setting(demo_warehouse, monkeypatch):
    ref = duckdb.connect()
    ref.execute("SET memory_limit = '1GB'")
    (want,) = ref.execute("SELECT current_setting('memory_limit')").fetchone()
    monkeypatch.setenv("CRITMIN_MEMORY_LIMIT", "1GB")
    with Warehouse.open(demo_warehouse) as wh:
        assert wh.con.execute("SELECT current_setting('memory_limit')").fetchone() == (want,)
