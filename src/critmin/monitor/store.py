"""Alerts of each monitor run, persisted in the warehouse so incidents can be opened from them.

Tables (prefix ``monitor_``): ``monitor_runs`` (one row per run), ``monitor_alerts`` (one row per alert and
run, with the alert as JSON) and ``monitor_situations`` (one row per situation and run: what ``critmin monitor
diff`` compares). Written in one transaction.
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


SITUATIONS_DDL = """create table if not exists monitor_situations (
    run_id varchar, situation_id varchar, rank integer, priority double, level varchar, importer varchar,
    material varchar, stage varchar, hs6 varchar, data_year integer, as_of varchar, confidence varchar,
    imports_kusd double, worst_share double, worst_where varchar, worst_basis varchar, worst_supplier varchar,
    signals varchar, reasons_en varchar, reasons_zh varchar, measures varchar, novelty varchar,
    flagged_flows integer, detail varchar, primary key (run_id, situation_id))"""
SITUATION_COLS = ["run_id", "situation_id", "rank", "priority", "level", "importer", "material", "stage", "hs6",
                  "data_year", "as_of", "confidence", "imports_kusd", "worst_share", "worst_where", "worst_basis",
                  "worst_supplier", "signals", "reasons_en", "reasons_zh", "measures", "novelty", "flagged_flows",
                  "detail"]


def save_run(run: dict[str, Any], table: pd.DataFrame, alerts: list, warehouse=None,
             situations: pd.DataFrame | None = None) -> str:
    """Write a monitor run, its alerts and its situations; returns the run id."""
    from critmin.warehouse.tables import delete_where, insert_frame, insert_row, transaction

    df = table.rename(columns={"id": "alert_id"}).drop(columns=["title_en", "title_zh"])
    df.insert(0, "run_id", run["run_id"])
    by_id = {a.id: a.model_dump_json() for a in alerts}
    df["alert_json"] = df["alert_id"].map(by_id)
    cols = ["run_id", "alert_id", "level", "rule_id", "rule_kind", "metric", "importer", "material", "stage", "hs6",
            "supplier", "period", "value", "threshold", "comparison", "transition", "vintage", "provenance_ids",
            "source", "cited_events", "control_events", "date_basis", "alert_json"]
    df = df[cols]

    sit = None
    if situations is not None:
        sit = situations.copy()
        sit.insert(0, "run_id", run["run_id"])

    def write(con) -> None:
        delete_where(con, ("monitor_alerts", "monitor_situations", "monitor_runs"), "run_id", run["run_id"])
        insert_row(con, "monitor_runs", run)
        insert_frame(con, "monitor_alerts", df, cols)
        if sit is not None:
            insert_frame(con, "monitor_situations", sit, SITUATION_COLS)

    transaction(warehouse, (RUNS_DDL, ALERTS_DDL, SITUATIONS_DDL), write, command="monitor")
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


def load_situations(warehouse=None, run_id: str | None = None, before: str | None = None) -> tuple[str, pd.DataFrame]:
    """``(run_id, situations)`` of a stored run: ``run_id``, else the latest run with situations (created before
    run ``before`` when given). ``("", empty)`` when there is none."""
    import pandas as pd

    from critmin.errors import UsageError
    from critmin.warehouse.handle import using

    with using(warehouse) as wh:
        if "monitor_situations" not in wh.tables():
            if run_id is not None:
                raise UsageError(f"no situations stored in {wh.path}: run `critmin monitor` first")
            return "", pd.DataFrame(columns=SITUATION_COLS)
        if run_id is None:
            q = """select r.run_id from monitor_runs r where exists (select 1 from monitor_situations s
                   where s.run_id = r.run_id)"""
            params: list = []
            if before is not None:
                q += " and r.created_at < (select created_at from monitor_runs where run_id = ?)"
                params.append(before)
            got = wh.sql(q + " order by r.created_at desc limit 1", params or None).fetchall()
            if not got:
                return "", pd.DataFrame(columns=SITUATION_COLS)
            run_id = got[0][0]
        df = wh.sql("select * from monitor_situations where run_id = ? order by rank", [run_id]).df()
    if df.empty:
        raise UsageError(f"no situations stored for run '{run_id}': use a run id from `critmin monitor diff`")
    return run_id, df


def run_scope(warehouse, run_id: str) -> tuple[set[str], set[str]]:
    """The importers and materials a stored run covered (what its situations can say anything about)."""
    from critmin.warehouse.handle import using

    with using(warehouse) as wh:
        got = wh.sql("select importers, materials from monitor_runs where run_id = ?", [run_id]).fetchall()
    if not got:
        return set(), set()
    return set(filter(None, (got[0][0] or "").split(","))), set(filter(None, (got[0][1] or "").split(",")))


#: Which stored alert of a situation leads its incident when levels tie: a control first (it names the measure),
#: then the legal benchmark, the market rules and the concentration index.
LEAD_RULES = ("export_control_dependency", "crma_single_country_share", "import_drop_yoy", "unit_value_jump",
              "supplier_hhi")


def load_situation(situation_id: str, warehouse=None, run_id: str | None = None) -> dict[str, Any]:
    """A stored situation and the alert that leads its incident: ``{"situation": {...}, "alert": Alert,
    "row": {...}}`` (``row`` as :func:`load_alert` gives it). The run is ``run_id``, else the latest run holding
    the situation. The lead is the situation's highest stored signal (change points are context, never a lead),
    so stage 1 re-checks a real rule value; a situation without one is refused."""
    from critmin.alerts import Alert
    from critmin.alerts.models import LEVEL_RANK
    from critmin.errors import UsageError
    from critmin.warehouse.handle import using

    parts = situation_id.split("|")
    if len(parts) != 3 or not all(parts):
        raise UsageError(f"--situation '{situation_id}': expected importer|material|stage as in situations.csv "
                         "(e.g. EU27|rare_earths|metal)")
    with using(warehouse) as wh:
        if "monitor_situations" not in wh.tables():
            raise UsageError(f"no situations stored in {wh.path}: run `critmin monitor` first")
        q = """select s.*, r.as_of as run_as_of, r.importers as run_importers, r.created_at
               from monitor_situations s join monitor_runs r using (run_id) where s.situation_id = ?"""
        params: list = [situation_id]
        if run_id is not None:
            q += " and s.run_id = ?"
            params.append(run_id)
        got = wh.sql(q + " order by r.created_at desc limit 1", params).df()
        if got.empty:
            where = f" in run '{run_id}'" if run_id else ""
            raise UsageError(f"no situation '{situation_id}' stored{where}: use a situation_id from situations.csv")
        sit = got.iloc[0].to_dict()
        alerts = wh.sql("""select a.*, r.as_of, r.importers as run_importers, r.created_at
                           from monitor_alerts a join monitor_runs r using (run_id)
                           where a.run_id = ? and a.importer = ? and a.material = ? and a.stage = ?
                           and a.rule_kind <> 'changepoint'""", [sit["run_id"], *parts]).df()
    if sit["level"] not in LEVEL_RANK:
        raise UsageError(f"situation '{situation_id}' is at level {sit['level']} in run {sit['run_id']}: "
                         "nothing to open an incident on")
    situation = {k: sit[k] for k in ("situation_id", "run_id", "level", "signals", "reasons_en", "reasons_zh",
                                     "measures", "worst_share", "worst_where", "worst_basis", "worst_supplier",
                                     "data_year", "confidence")}
    situation = {k: (None if isinstance(v, float) and v != v else v) for k, v in situation.items()}
    if not alerts.empty:
        pref = {r: i for i, r in enumerate(LEAD_RULES)}
        alerts["k_level"] = -alerts["level"].map(LEVEL_RANK)
        alerts["k_rule"] = alerts["rule_id"].map(pref).fillna(len(pref))
        row = alerts.sort_values(["k_level", "k_rule", "metric", "alert_id"]).iloc[0].to_dict()
        alert = Alert.model_validate(json.loads(row["alert_json"]))
    else:
        raise UsageError(f"situation '{situation_id}' has no stored rule signal to re-check in run {sit['run_id']} "
                         "(its level rests on knowledge-base states alone): open an incident from an alert instead")
    return {"situation": situation, "alert": alert, "row": row}
