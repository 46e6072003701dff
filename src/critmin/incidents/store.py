"""Incidents in the warehouse: ``incident_cases`` (one row per incident, each stage's findings as JSON),
``incident_history`` (every action with its timestamp) and ``incident_alerts`` (the alert each incident was opened
from, as it stood). Every change is one transaction."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

CASES_DDL = """create table if not exists incident_cases (
    incident_id varchar primary key, alert_id varchar, monitor_run_id varchar, opened_at timestamp,
    updated_at timestamp, stage varchar, status varchar, level varchar, rule_id varchar, importer varchar,
    material varchar, material_stage varchar, supplier varchar, period varchar, as_of date, stress_run_id varchar,
    fact_check_json varchar, impact_json varchar, transition_json varchar)"""
HISTORY_DDL = """create table if not exists incident_history (
    incident_id varchar, seq integer, at_utc timestamp, action varchar, from_stage varchar, to_stage varchar,
    note varchar, primary key (incident_id, seq))"""
ALERTS_DDL = """create table if not exists incident_alerts (
    incident_id varchar primary key, alert_id varchar, alert_json varchar, stored_at timestamp)"""
JSON_COLS = {"fact_check_json": "fact_check", "impact_json": "impact", "transition_json": "transition"}


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _write(warehouse, fn):
    """``fn(con)`` in one transaction on the command's writable handle (or on one opened from a path)."""
    from critmin.warehouse.tables import transaction

    return transaction(warehouse, (CASES_DDL, HISTORY_DDL, ALERTS_DDL), fn, command="incident")


def _history(con, incident_id: str, action: str, from_stage: str | None, to_stage: str | None, note: str | None):
    seq = con.execute("select coalesce(max(seq), 0) + 1 from incident_history where incident_id = ?",
                      [incident_id]).fetchall()[0][0]
    con.execute("insert into incident_history values (?, ?, ?, ?, ?, ?, ?)",
                [incident_id, seq, now(), action, from_stage, to_stage, note])


def create(case: dict[str, Any], alert_json: str, note: str | None, warehouse=None,
           situation_id: str | None = None) -> str:
    """Insert a new incident (id INC-0001, INC-0002, … per warehouse) and its first history line. One open
    incident per alert, and per situation when opened from one (the situation travels in the alert's JSON)."""
    from critmin.errors import UsageError
    from critmin.warehouse.tables import insert_row

    def fn(con):
        if situation_id is not None:
            tag = json.dumps({"situation_id": situation_id}, ensure_ascii=False, separators=(",", ":"))[1:-1]
            same = con.execute("""select c.incident_id from incident_cases c join incident_alerts a using (incident_id)
                                  where c.status = 'open' and contains(a.alert_json, ?)""", [tag]).fetchall()
            if same:
                raise UsageError(f"situation {situation_id} already has an open incident {same[0][0]}: use "
                                 f"`critmin incident show {same[0][0]}` or `advance`")
        open_same = con.execute("select incident_id from incident_cases where alert_id = ? and status = 'open'",
                                [case["alert_id"]]).fetchall()
        if open_same:
            raise UsageError(f"alert {case['alert_id']} already has an open incident {open_same[0][0]}: use "
                             f"`critmin incident show {open_same[0][0]}` or `advance`")
        n = con.execute("select coalesce(max(cast(substr(incident_id, 5) as integer)), 0) + 1 from incident_cases "
                        "where incident_id like 'INC-%'").fetchall()[0][0]
        iid = f"INC-{n:04d}"
        row = {k: v for k, v in case.items() if k not in JSON_COLS.values()}
        row.update({"incident_id": iid, "opened_at": now(), "updated_at": now()})
        for col, key in JSON_COLS.items():
            row[col] = None if case.get(key) is None else json.dumps(case[key], ensure_ascii=False, default=str)
        insert_row(con, "incident_cases", row)
        con.execute("insert into incident_alerts values (?, ?, ?, ?)", [iid, case["alert_id"], alert_json, now()])
        _history(con, iid, "open", None, case["stage"], note)
        return iid

    return _write(warehouse, fn)


def update(incident_id: str, changes: dict[str, Any], action: str, from_stage: str | None, to_stage: str | None,
           note: str | None, warehouse=None) -> None:
    """Set columns of an incident (stage findings given under fact_check / impact / transition) and log it."""
    def fn(con):
        sets = {}
        for k, v in changes.items():
            col = next((c for c, key in JSON_COLS.items() if key == k), k)
            sets[col] = json.dumps(v, ensure_ascii=False, default=str) if col in JSON_COLS else v
        sets["updated_at"] = now()
        con.execute(f"update incident_cases set {', '.join(f'{c} = ?' for c in sets)} where incident_id = ?",
                    [*sets.values(), incident_id])
        _history(con, incident_id, action, from_stage, to_stage, note)

    _write(warehouse, fn)


def load(incident_id: str, warehouse=None) -> dict[str, Any]:
    """One incident with its stages parsed, its alert and its history."""
    from critmin.errors import UsageError
    from critmin.warehouse.handle import using

    with using(warehouse) as wh:
        if "incident_cases" not in wh.tables():
            raise UsageError(f"no incidents in {wh.path}: open one with `critmin incident open --alert ID`")
        rows = wh.sql("select * from incident_cases where incident_id = ?", [incident_id]).df()
        if rows.empty:
            raise UsageError(f"no incident '{incident_id}' in {wh.path} (see `critmin incident list`)")
        hist = wh.sql("select seq, at_utc, action, from_stage, to_stage, note from incident_history "
                      "where incident_id = ? order by seq", [incident_id]).df()
        alert = wh.sql("select alert_json from incident_alerts where incident_id = ?", [incident_id]).fetchall()
    row = rows.iloc[0].to_dict()
    for col, key in JSON_COLS.items():
        raw = row.pop(col)
        row[key] = json.loads(raw) if isinstance(raw, str) else None
    row["alert"] = json.loads(alert[0][0]) if alert else None
    row["history"] = hist
    return row


def list_all(warehouse=None, status: str | None = None):
    import pandas as pd

    from critmin.warehouse.handle import using

    cols = ["incident_id", "status", "stage", "level", "rule_id", "importer", "material", "material_stage",
            "supplier", "period", "alert_id", "stress_run_id", "opened_at", "updated_at"]
    with using(warehouse) as wh:
        if "incident_cases" not in wh.tables():
            return pd.DataFrame(columns=cols)
        q = f"select {', '.join(cols)} from incident_cases"
        params = None
        if status:
            q += " where status = ?"
            params = [status]
        return wh.sql(q + " order by incident_id", params).df()
