"""The shared writer of area tables (critmin.warehouse.tables): all or nothing."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from critmin.warehouse.tables import delete_where, insert_frame, insert_row, open_warehouse, transaction

DDL = "create table if not exists demo_runs (run_id varchar, n integer)"


def test_transaction_commits_or_leaves_nothing(tmp_path):
    wh = tmp_path / "w.duckdb"
    duckdb.connect(str(wh)).close()

    def write(con):
        delete_where(con, ["demo_runs"], "run_id", "r1")
        insert_row(con, "demo_runs", {"run_id": "r1", "n": 1})
        insert_frame(con, "demo_runs", pd.DataFrame({"n": [2, 3], "run_id": ["r1", "r1"]}), ["run_id", "n"])
        return "ok"

    assert transaction(wh, [DDL], write) == "ok"
    assert transaction(wh, [DDL], write) == "ok"  # saved again: replaced, not doubled

    def fail(con):
        insert_row(con, "demo_runs", {"run_id": "r2", "n": 9})
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        transaction(wh, [DDL], fail)
    with open_warehouse(wh) as w:
        rows = w.sql("select run_id, n from demo_runs order by n").fetchall()
    assert rows == [("r1", 1), ("r1", 2), ("r1", 3)]
