"""The shared work: alerts and situations (the inbox), the knowledge base (read; admin edits), incidents
(open, advance, annotate, close)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Body, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from critmin.serve import formats
from critmin.serve.context import Principal, admin, reads, runs, workspace
from critmin.serve.errors import ApiError, not_found

router = APIRouter(tags=["workspace"])
FMT = Query(None, description="json | csv | parquet")
ID = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"
LEVELS = ("blue", "yellow", "orange", "red")


# -- inbox ------------------------------------------------------------------------------------------------
def _filter(df, level: str | None, material: str | None, importer: str | None):
    for col, want in (("level", level), ("material", material), ("importer", importer)):
        if want and col in df.columns:
            df = df[df[col].astype(str).str.lower() == want.lower()]
    if "level" in df.columns:  # red first
        order = {lv: i for i, lv in enumerate(reversed(LEVELS))}
        df = df.assign(_o=df["level"].map(order).fillna(9)).sort_values(["_o"], kind="stable").drop(columns="_o")
    return df.reset_index(drop=True)


def alert_frame(wh, level=None, material=None, importer=None, run_id=None):
    """Alerts of a monitor run (the latest when ``run_id`` is None), filtered, red first."""
    import pandas as pd

    if "monitor_alerts" not in wh.tables():
        return pd.DataFrame(columns=["run_id", "alert_id", "level", "rule_id", "importer", "material"])
    if run_id is None:
        got = wh.sql("select run_id from monitor_runs order by created_at desc limit 1").fetchall()
        run_id = got[0][0] if got else None
    df = wh.sql("select * exclude (alert_json) from monitor_alerts where run_id = ? order by alert_id",
                [run_id]).df()
    return _filter(df, level, material, importer)


def inbox_frame(wh, level=None, material=None, importer=None):
    """The inbox: the latest monitor run's situations when the warehouse stores them (``monitor_situations``),
    else its alerts. Returns (frame, basis) with basis 'situations' or 'alerts'."""
    if "monitor_situations" in wh.tables():
        from critmin.monitor.store import load_situations

        run_id, df = load_situations(wh)
        if run_id:
            return _filter(df, level, material, importer), "situations"
    return alert_frame(wh, level, material, importer), "alerts"


@router.get("/alerts", summary="Alerts of the latest monitor run (or of run_id), filtered")
def alerts(request: Request, level: Literal["blue", "yellow", "orange", "red"] | None = None,
           material: str | None = Query(None, max_length=80), importer: str | None = Query(None, max_length=40),
           run_id: str | None = Query(None, pattern=ID), format: str | None = FMT,
           p: Principal = Depends(reads("alerts"))):
    with workspace(request).store.read() as wh:
        df = alert_frame(wh, level, material, importer, run_id)
    return formats.table(df, formats.pick(request, format), "alerts", {"run_id": run_id or "latest"})


@router.get("/alerts/{alert_id}", summary="One stored alert (latest record)")
def alert(request: Request, alert_id: str, p: Principal = Depends(reads("alerts"))):
    from critmin.monitor.store import load_alert

    ws = workspace(request)
    check_id(alert_id, "alert_id")
    with ws.store.read() as wh:
        if "monitor_alerts" not in wh.tables():
            raise not_found("no alerts stored: run `critmin monitor` first")
        rec = load_alert(alert_id, wh)
    return formats.jsonable({"alert": rec["alert"].model_dump(mode="json"),
                             "run": {k: rec["row"].get(k) for k in ("run_id", "as_of", "created_at")}})


@router.get("/situations", summary="The inbox: situations (once triage has stored them), else the latest alerts")
def situations(request: Request, level: Literal["blue", "yellow", "orange", "red"] | None = None,
               material: str | None = Query(None, max_length=80), importer: str | None = Query(None, max_length=40),
               format: str | None = FMT, p: Principal = Depends(reads("alerts"))):
    ws = workspace(request)
    with ws.store.read() as wh:
        df, basis = inbox_frame(wh, level, material, importer)
    note = None if basis == "situations" else ("no monitor_situations table in this warehouse: the inbox lists "
                                              "the latest monitor run's alerts instead")
    return formats.table(df, formats.pick(request, format), "situations", {"basis": basis, "note": note})


def check_id(value: str, name: str) -> None:
    import re

    if not re.match(ID, value):
        raise ApiError(422, "invalid_input", f"path parameter '{name}': expected letters, digits and ._:- "
                       f"(at most 128), got {value[:60]!r}")


# -- knowledge base ---------------------------------------------------------------------------------------
@router.get("/kb/entries", summary="Knowledge-base entries, filtered")
def kb_entries(request: Request, material: str | None = Query(None, max_length=80),
               actor: str | None = Query(None, max_length=40), kind: list[str] | None = Query(None),
               since: str | None = Query(None, max_length=10), until: str | None = Query(None, max_length=10),
               include_general: bool = False, format: str | None = FMT, p: Principal = Depends(reads("kb"))):
    from critmin.kb.query import entry_frame, select

    ws = workspace(request)
    kb = ws.kb.knowledge_base()
    entries = select(material, actor, kind or None, since, until, include_general, kb)
    df = entry_frame(entries)
    df.insert(len(df.columns), "source_file", [e.source_file for e in entries])
    return formats.table(df, formats.pick(request, format), "kb", {"entries_total": len(kb)})


@router.get("/kb/entries/{entry_id}", summary="One knowledge-base entry with its citations")
def kb_entry(request: Request, entry_id: str, p: Principal = Depends(reads("kb"))):
    check_id(entry_id, "entry_id")
    kb = workspace(request).kb.knowledge_base()
    if entry_id not in kb.entries:
        raise not_found(f"no knowledge-base entry '{entry_id}'")
    e = kb.entries[entry_id]
    return {**e.model_dump(mode="json", by_alias=True), "source_file": e.source_file}


@router.get("/kb/members/{alliance}", summary="Members of an alliance (as of a year)")
def kb_members(request: Request, alliance: str, year: int | None = Query(None, ge=1900, le=2100),
               format: str | None = FMT, p: Principal = Depends(reads("kb"))):
    from critmin.kb.query import members_frame

    check_id(alliance, "alliance")
    df = members_frame(alliance, year, workspace(request).kb.knowledge_base())
    return formats.table(df, formats.pick(request, format), "kb_members")


@router.put("/kb/entries/{entry_id}", summary="Add (or with replace=true overwrite) a workspace KB entry (admin)")
def kb_put(request: Request, entry_id: str, entry: dict[str, Any] = Body(...), replace: bool = False,
           p: Principal = Depends(admin)):
    check_id(entry_id, "entry_id")
    ws = workspace(request)
    ws.kb.put(entry_id, entry, replace)
    e = ws.kb.knowledge_base().entries[entry_id]
    return {"ok": True, "entry": {**e.model_dump(mode="json", by_alias=True), "source_file": e.source_file}}


@router.delete("/kb/entries/{entry_id}", summary="Remove a workspace KB entry (admin)")
def kb_delete(request: Request, entry_id: str, p: Principal = Depends(admin)):
    check_id(entry_id, "entry_id")
    workspace(request).kb.delete(entry_id)
    return {"ok": True, "deleted": entry_id}


# -- incidents --------------------------------------------------------------------------------------------
class StressKnobs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cut: float = Field(0.4, gt=0, le=1)
    months: int = Field(12, ge=1, le=120)
    draws: int = Field(2000, ge=1, le=20000)
    seed: int = Field(0, ge=0, le=2**32 - 1)
    note: str | None = Field(None, max_length=4000)


class OpenIncident(StressKnobs):
    alert_id: str = Field(..., pattern=ID)
    through: Literal["fact_check", "impact_assessment", "transition_arrangements"] = "fact_check"
    as_of: str | None = Field(None, max_length=10)


class Note(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str = Field(..., min_length=1, max_length=4000)


def _incident_json(inc) -> dict:
    return formats.jsonable(inc.to_dict())


@router.get("/incidents", summary="Incidents")
def incidents(request: Request, status: Literal["open", "closed"] | None = None, format: str | None = FMT,
              p: Principal = Depends(reads("incidents"))):
    from critmin.incidents import list_incidents

    with workspace(request).store.read() as wh:
        df = list_incidents(wh, status)
    return formats.table(df, formats.pick(request, format), "incidents")


def get_incident_or_404(wh, incident_id: str):
    from critmin.errors import UsageError
    from critmin.incidents import get_incident

    check_id(incident_id, "incident_id")
    try:
        return get_incident(incident_id, wh)
    except UsageError as exc:
        raise not_found(str(exc)) from None


@router.get("/incidents/{incident_id}", summary="One incident with its stages and history")
def incident(request: Request, incident_id: str, p: Principal = Depends(reads("incidents"))):
    with workspace(request).store.read() as wh:
        return _incident_json(get_incident_or_404(wh, incident_id))


@router.post("/incidents", status_code=201, summary="Open an incident from a stored alert (analyst)")
def open_incident(request: Request, body: OpenIncident, p: Principal = Depends(runs("incidents"))):
    from critmin.incidents import open_incident as run

    note = signed(body.note, p)
    with workspace(request).store.write("incident open") as wh:
        inc = run(body.alert_id, warehouse=wh, through=body.through, as_of=body.as_of, note=note, cut=body.cut,
                  months=body.months, draws=body.draws, seed=body.seed)
        return _incident_json(inc)


@router.post("/incidents/{incident_id}/advance", summary="Run the incident's next stage (analyst)")
def advance(request: Request, incident_id: str, body: StressKnobs | None = None,
            p: Principal = Depends(runs("incidents"))):
    from critmin.incidents import advance_incident

    body = body or StressKnobs()
    with workspace(request).store.write("incident advance") as wh:
        get_incident_or_404(wh, incident_id)
        inc = advance_incident(incident_id, wh, note=signed(body.note, p), cut=body.cut, months=body.months,
                               draws=body.draws, seed=body.seed)
        return _incident_json(inc)


@router.post("/incidents/{incident_id}/notes", status_code=201, summary="Annotate an incident (analyst)")
def annotate(request: Request, incident_id: str, body: Note, p: Principal = Depends(runs("incidents"))):
    from critmin.incidents import store

    with workspace(request).store.write("incident annotate") as wh:
        inc = get_incident_or_404(wh, incident_id)
        store.update(incident_id, {}, "note", inc.stage, inc.stage, signed(body.note, p), wh)
        return _incident_json(get_incident_or_404(wh, incident_id))


@router.post("/incidents/{incident_id}/close", summary="Close an incident (analyst)")
def close(request: Request, incident_id: str, body: Note | None = None, p: Principal = Depends(runs("incidents"))):
    from critmin.incidents import close_incident

    with workspace(request).store.write("incident close") as wh:
        get_incident_or_404(wh, incident_id)
        inc = close_incident(incident_id, wh, note=signed(body.note if body else None, p))
        return _incident_json(get_incident_or_404(wh, inc.incident_id))


def signed(note: str | None, p: Principal) -> str:
    """History notes say who acted (token name and id), so the shared history is attributable."""
    who = f"[{p.name or p.role} {p.token_id}]"
    return f"{who} {note}" if note else who
