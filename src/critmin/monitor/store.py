"""Alerts of each monitor run, persisted in the warehouse so incidents can be opened from them.

Tables (prefix ``monitor_``): ``monitor_runs`` (one row per run) and ``monitor_alerts`` (one row per alert and
run, with the alert as JSON). Written in one transaction.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

RUNS_DDL = """create table if not exists monitor_runs (
    run_id varchar primary key, created_at timestamp, as_of date, importers varchar, materials varchar,
    years varchar, n_alerts integer, vintage varchar, out_dir varchar, seconds double, critmin_version varchar)"""
ALERTS_DDL = """create table if not exists monitor_alerts (
    run_id varchar, alert_id varchar, level varchar, rule_id varchar, rule_kind varchar, metric varchar,
    importer varchar, material varchar, stage varchar, hs6 varchar, supplier varchar, period varchar,
    value double, threshold double, comparison varchar, transition varchar, vintage varchar,
    provenance_ids varchar, source varchar, cited_events varchar, control_events varchar, date_basis varchar,
    alert_json varchar, primary key (run_id, alert_id))"""


def save_run(run: dict[str, Any], table: pd.DataFrame, alerts: list, warehouse=None) -> str:
    """Write a monitor run and its alerts; returns the run id."""
    from critmin.warehouse.tables import delete_where, insert_frame, insert_row, transaction

    df = table.rename(columns={"id": "alert_id"}).drop(columns=["title_en", "title_zh"])
    df.insert(0, "run_id", run["run_id"])
    by_id = {a.id: a.model_dump_json() for a in alerts}
    df["alert_json"] = df["alert_id"].map(by_id)
    cols = ["run_id", "alert_id", "level", "rule_id", "rule_kind", "metric", "importer", "material", "stage", "hs6",
            "supplier", "period", "value", "threshold", "comparison", "transition", "vintage", "provenance_ids",
            "source", "cited_events", "control_events", "date_basis", "alert_json"]
    df = df[cols]

    def write(con) -> None:
        delete_where(con, ("monitor_alerts", "monitor_runs"), "run_id", run["run_id"])
        insert_row(con, "monitor_runs", run)
        insert_frame(con, "monitor_alerts", df, cols)

    transaction(warehouse, (RUNS_DDL, ALERTS_DDL), write, command="monitor")
    return run["run_id"]


def load_alert(alert_id: str, warehouse=None) -> dict[str, Any]:
    """The most recent stored record of an alert: ``{"run": {...}, "alert": Alert, "row": {...}}``."""
    from critmin.alerts import Alert
    from critmin.errors import UsageError
    from critmin.warehouse.handle import using

    with using(warehouse) as wh:
        if "monitor_alerts" not in wh.tables():
            raise UsageError(f"no alerts stored in {wh.path}: run `critmin monitor` first")
        rows = wh.sql("""select a.*, r.as_of, r.importers as run_importers, r.created_at
                         from monitor_alerts a join monitor_runs r using (run_id)
                         where a.alert_id = ? order by r.created_at desc limit 1""", [alert_id]).df()
    if rows.empty:
        raise UsageError(f"no alert '{alert_id}' stored in the warehouse: run `critmin monitor` and use an id "
                         "from its alerts.csv")
    row = rows.iloc[0].to_dict()
    alert = Alert.model_validate(json.loads(row["alert_json"]))
    return {"alert": alert, "row": row}


def list_alerts(warehouse=None, run_id: str | None = None) -> pd.DataFrame:
    """Alerts of a run (the latest when ``run_id`` is omitted)."""
    from critmin.errors import UsageError
    from critmin.warehouse.handle import using

    with using(warehouse) as wh:
        if "monitor_alerts" not in wh.tables():
            raise UsageError(f"no alerts stored in {wh.path}: run `critmin monitor` first")
        if run_id is None:
            got = wh.sql("select run_id from monitor_runs order by created_at desc limit 1").fetchall()
            if not got:
                raise UsageError("no monitor runs stored")
            run_id = got[0][0]
        return wh.sql("select * exclude (alert_json) from monitor_alerts where run_id = ? order by alert_id",
                      [run_id]).df()
