"""Open, advance, close and read incidents. An incident walks fact check → impact assessment → transition
arrangements; each step stores its findings and a timestamped history line in the warehouse.

Each function takes ``warehouse``: the command's :class:`~critmin.warehouse.handle.Warehouse` (writable for
open, advance and close) or a path / None, then opened once for the whole call and passed down."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from critmin.incidents.stages import DEFAULT_CUT, DEFAULT_DRAWS, DEFAULT_MONTHS, DEFAULT_SEED

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

STAGES = ("fact_check", "impact_assessment", "transition_arrangements")


@dataclass
class Incident:
    incident_id: str
    alert_id: str
    status: str  # open | closed
    stage: str  # the last stage completed
    alert: dict[str, Any]
    fact_check: dict[str, Any] | None
    impact: dict[str, Any] | None
    transition: dict[str, Any] | None
    history: pd.DataFrame
    row: dict[str, Any] = field(default_factory=dict)

    @property
    def stress_run_id(self) -> str | None:
        return (self.impact or {}).get("stress_run_id")

    def to_dict(self) -> dict[str, Any]:
        from critmin.incidents.stages import records

        meta = {k: (str(v)[:10] if k == "as_of" and v is not None else
                    v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v) for k, v in self.row.items()
                if k not in ("alert", "history", "fact_check", "impact", "transition")}
        meta = {k: (None if isinstance(v, float) and v != v else v) for k, v in meta.items()}
        return {**meta, "incident_id": self.incident_id, "alert_id": self.alert_id, "status": self.status,
                "stage": self.stage, "alert": self.alert, "fact_check": self.fact_check, "impact_assessment": self.impact,
                "transition_arrangements": self.transition, "history": records(self.history)}


def get_incident(incident_id: str, warehouse=None) -> Incident:
    from critmin.incidents.store import load

    row = load(incident_id, warehouse)
    return Incident(incident_id=row["incident_id"], alert_id=row["alert_id"], status=row["status"],
                    stage=row["stage"], alert=row["alert"], fact_check=row["fact_check"], impact=row["impact"],
                    transition=row["transition"], history=row["history"], row=row)


def list_incidents(warehouse=None, status: str | None = None) -> pd.DataFrame:
    from critmin.errors import UsageError
    from critmin.incidents.store import list_all

    if status not in (None, "open", "closed"):
        raise UsageError(f"--status '{status}': expected open or closed")
    return list_all(warehouse, status)


def _alert(inc: Incident):
    from critmin.alerts import Alert

    return Alert.model_validate(inc.alert)


def open_incident(alert_id: str | None = None, warehouse=None, through: str = "fact_check",
                  as_of: str | dt.date | None = None, note: str | None = None, situation: str | None = None,
                  run_id: str | None = None, **stress) -> Incident:
    """Open an incident from a stored alert or from a situation card (``critmin monitor`` stores both) and run
    stage 1 (fact check); ``through`` runs the later stages too ('impact_assessment' or 'transition_arrangements').

    ``situation``: a situation id (``EU27|rare_earths|metal``) of run ``run_id`` (default: the latest run holding
    it). The incident takes the situation's level, and its lead signal (the situation's highest stored alert) is
    what the stages re-check and shock; the situation's reasons and measures travel with it."""
    from critmin.errors import UsageError
    from critmin.kb.query import parse_day
    from critmin.warehouse.handle import using

    if through not in STAGES:
        raise UsageError(f"--through '{through}': expected one of {', '.join(STAGES)}")
    if (alert_id is None) == (situation is None):
        raise UsageError("name either an alert (--alert ID from alerts.csv) or a situation (--situation ID from "
                         "situations.csv), not both and not neither")
    if run_id is not None and situation is None:
        raise UsageError("--run goes with --situation (an alert id already names its run)")
    as_of_d = parse_day(str(as_of), "--as-of") if as_of else None
    with using(warehouse, read_only=False, command="incident open") as wh:
        return _open(alert_id, wh, through, as_of_d, note, situation=situation, run_id=run_id, **stress)


def _lead(alert_id: str | None, situation: str | None, run_id: str | None, wh) -> tuple[Any, dict, dict | None]:
    """The alert the stages work on, its stored row, and the situation it leads (None when opened from an alert)."""
    from critmin.monitor.store import load_alert, load_situation

    if situation is None:
        rec = load_alert(alert_id, wh)
        return rec["alert"], rec["row"], None
    rec = load_situation(situation, wh, run_id)
    sit, alert = rec["situation"], rec["alert"]
    cited = list(dict.fromkeys([*alert.cited_events, *[m for m in (sit["measures"] or "").split(";") if m]]))
    alert = alert.model_copy(update={"cited_events": cited, "extra": {**alert.extra, "situation": sit}})
    return alert, rec["row"], sit


def _open(alert_id: str | None, wh, through: str, as_of_d: dt.date | None, note, situation: str | None = None,
          run_id: str | None = None, **stress) -> Incident:
    from critmin.incidents import store
    from critmin.incidents.stages import fact_check

    alert, row, sit = _lead(alert_id, situation, run_id, wh)
    as_of_d = as_of_d or (
        row["as_of"].date() if hasattr(row.get("as_of"), "date") else dt.date.fromisoformat(str(row["as_of"])[:10]))
    fact = fact_check(alert, as_of=as_of_d, warehouse=wh)
    case = {
        "alert_id": alert.id, "monitor_run_id": row["run_id"], "stage": "fact_check", "status": "open",
        "level": alert.level, "rule_id": alert.rule_id, "importer": alert.importer, "material": alert.material,
        "material_stage": alert.stage, "supplier": fact.get("supplier") or alert.supplier, "period": alert.period,
        "as_of": as_of_d, "stress_run_id": None, "fact_check": fact,
    }
    if sit is not None:  # the card's level, not its lead signal's; one open incident per situation
        case["level"] = sit["level"]
    iid = store.create(case, alert.model_dump_json(), note, wh, situation_id=None if sit is None else sit["situation_id"])
    inc = get_incident(iid, wh)
    while STAGES.index(inc.stage) < STAGES.index(through):
        inc = advance_incident(iid, wh, **stress)
    return inc


def advance_incident(incident_id: str, warehouse=None, note: str | None = None, cut: float = DEFAULT_CUT,
                     months: int = DEFAULT_MONTHS, draws: int = DEFAULT_DRAWS, seed: int = DEFAULT_SEED) -> Incident:
    """Run the next stage: impact assessment (a stress run, saved and cited by id), then transition
    arrangements."""
    from critmin.errors import UsageError
    from critmin.incidents import store
    from critmin.incidents.stages import impact_assessment, transition_arrangements
    from critmin.warehouse.handle import using

    with using(warehouse, read_only=False, command="incident advance") as wh:
        inc = get_incident(incident_id, wh)
        if inc.status != "open":
            raise UsageError(f"incident {incident_id} is {inc.status}")
        k = STAGES.index(inc.stage)
        if k + 1 >= len(STAGES):
            raise UsageError(f"incident {incident_id} has completed every stage; close it with "
                             f"`critmin incident close {incident_id}`")
        nxt = STAGES[k + 1]
        alert = _alert(inc)
        if nxt == "impact_assessment":
            impact = impact_assessment(alert, inc.fact_check or {}, warehouse=wh, cut=cut, months=months,
                                       draws=draws, seed=seed)
            changes = {"impact": impact, "stage": nxt, "stress_run_id": impact.get("stress_run_id")}
        else:
            trans = transition_arrangements(alert, inc.fact_check or {}, inc.impact or {}, warehouse=wh)
            changes = {"transition": trans, "stage": nxt}
        store.update(incident_id, changes, "advance", inc.stage, nxt, note, wh)
        return get_incident(incident_id, wh)


def close_incident(incident_id: str, warehouse=None, note: str | None = None) -> Incident:
    from critmin.errors import UsageError
    from critmin.incidents import store
    from critmin.warehouse.handle import using

    with using(warehouse, read_only=False, command="incident close") as wh:
        inc = get_incident(incident_id, wh)
        if inc.status == "closed":
            raise UsageError(f"incident {incident_id} is already closed")
        store.update(incident_id, {"status": "closed"}, "close", inc.stage, inc.stage, note, wh)
        return get_incident(incident_id, wh)
