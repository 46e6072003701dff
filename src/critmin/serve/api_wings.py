"""The wings: discourse (documents, scores, findings), compliance (check an uploaded dossier) and custody
ledgers (append, verify) kept in the server's ``ledgers/`` folder by name."""

from __future__ import annotations

import re
from typing import Any, Literal

from fastapi import APIRouter, Body, Depends, File, Form, Query, Request, UploadFile
from pydantic import BaseModel, ConfigDict, Field

from critmin.serve import formats
from critmin.serve.context import Principal, admin, reads, runs, workspace
from critmin.serve.errors import ApiError, not_found

router = APIRouter(tags=["wings"])
FMT = Query(None, description="json | csv | parquet")
LEDGER_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
MAX_UPLOAD = 8 * 1024 * 1024


# -- discourse --------------------------------------------------------------------------------------------
@router.get("/discourse/documents", summary="Stored discourse documents")
def documents(request: Request, format: str | None = FMT, p: Principal = Depends(reads("discourse"))):
    from critmin.discourse.store import list_documents

    with workspace(request).store.read() as wh:
        df = list_documents(wh.path)
    return formats.table(df, formats.pick(request, format), "discourse_documents")


@router.get("/discourse/alerts", summary="Discourse shift alerts (discourse watch)")
def discourse_alerts(request: Request, economy: str | None = Query(None, max_length=10), format: str | None = FMT,
                     p: Principal = Depends(reads("discourse"))):
    from critmin.discourse.store import list_alerts

    with workspace(request).store.read() as wh:
        df = list_alerts(wh.path, economy)
    return formats.table(df, formats.pick(request, format), "discourse_alerts")


class ScoreText(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(..., min_length=1, max_length=200_000)
    lang: Literal["auto", "zh", "en", "ja"] = "auto"
    detail: bool = False


@router.post("/discourse/score", summary="Score a text sentence by sentence: frames, polarity, subjectivity")
def score(request: Request, body: ScoreText, format: str | None = FMT, p: Principal = Depends(runs("discourse"))):
    from critmin.discourse.scoring import score_frame

    df = score_frame(body.text, body.lang, detail=body.detail)
    return formats.table(df, formats.pick(request, format), "discourse_score")


@router.get("/discourse/report", summary="Discourse findings (JSON) or the offline HTML report")
def discourse_report(request: Request, economies: str | None = Query(None, max_length=100, pattern=r"^[A-Za-z,]*$"),
                     format: Literal["json", "html"] = "json", lang: Literal["en", "zh"] = "en",
                     p: Principal = Depends(reads("discourse"))):
    from fastapi.responses import HTMLResponse

    from critmin.discourse.report import build_findings, render_html

    econ = [e.strip().upper() for e in economies.split(",") if e.strip()] if economies else None
    with workspace(request).store.read() as wh:
        f = build_findings(wh.path, econ, "year", con=wh.con)
    if format == "html":
        return HTMLResponse(render_html(f, lang))
    return formats.jsonable({k: v for k, v in vars(f).items()})


# -- compliance -------------------------------------------------------------------------------------------
async def _upload(file: UploadFile, allowed: tuple[str, ...]) -> tuple[bytes, str]:
    name = (file.filename or "upload").replace("\\", "/").rsplit("/", 1)[-1][:120]
    suffix = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    if suffix not in allowed:
        raise ApiError(415, "unsupported_media_type", f"file '{name}': expected a {' or '.join(allowed)} file")
    data = await file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise ApiError(413, "too_large", f"file '{name}' exceeds {MAX_UPLOAD // (1024 * 1024)} MiB")
    return data, name


@router.post("/compliance/check", summary="Check an uploaded dossier against rule packs (analyst)")
async def compliance_check(request: Request, dossier: UploadFile = File(...),
                           regimes: str = Form("cn-export,eu-csddd,eu-crma-magnet", max_length=200),
                           as_of: str | None = Form(None, max_length=10), lang: Literal["en", "zh"] = Form("en"),
                           p: Principal = Depends(runs("compliance"))):
    import datetime as dt
    import tempfile
    from pathlib import Path

    from starlette.concurrency import run_in_threadpool

    from critmin.compliance.check import check
    from critmin.compliance.loader import load_dossier

    data, name = await _upload(dossier, (".json", ".yaml", ".yml"))
    try:
        day = dt.date.fromisoformat(as_of) if as_of else None
    except ValueError:
        raise ApiError(422, "invalid_input", f"form field 'as_of': expected YYYY-MM-DD, got {as_of!r}") from None

    def run() -> dict[str, Any]:
        with tempfile.TemporaryDirectory(prefix="critmin-dossier-") as tmp:
            path = Path(tmp) / ("dossier" + Path(name).suffix.lower())
            path.write_bytes(data)
            try:
                doc = load_dossier(path)
            except Exception as exc:  # the error names our temp file: say the upload's name instead
                if hasattr(exc, "file"):
                    exc.file = name
                raise
            res = check(doc, regimes, as_of=day)
        return {"dossier": name, **formats.jsonable(res.to_dict(lang))}

    return await run_in_threadpool(run)


# -- ledgers ----------------------------------------------------------------------------------------------
def _ledger_path(request: Request, name: str, must_exist: bool = True):
    if not LEDGER_RE.match(name):
        raise ApiError(422, "invalid_input", f"ledger name {name[:80]!r}: expected lower-case letters, digits, "
                       "- or _ (at most 64)")
    path = workspace(request).config.ledgers / f"{name}.ledger"
    if must_exist and not path.is_file():
        raise not_found(f"no ledger '{name}'")
    return path


class NewLedger(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(..., max_length=64)
    yield_tolerance: float = Field(0.0, ge=0, le=1)


@router.get("/ledgers", summary="Ledgers kept by this server")
def ledgers(request: Request, p: Principal = Depends(reads("ledger"))):
    folder = workspace(request).config.ledgers
    names = sorted(f.name[:-7] for f in folder.glob("*.ledger")) if folder.is_dir() else []
    return {"count": len(names), "ledgers": names}


@router.post("/ledgers", status_code=201, summary="Create a ledger (admin)")
def ledger_create(request: Request, body: NewLedger, p: Principal = Depends(admin)):
    from critmin.compliance.ledger import Ledger

    path = _ledger_path(request, body.name, must_exist=False)
    if path.exists():
        raise ApiError(409, "conflict", f"ledger '{body.name}' exists (ledgers are never overwritten)")
    path.parent.mkdir(parents=True, exist_ok=True)
    Ledger.init(path, yield_tolerance=body.yield_tolerance).close()
    return {"ok": True, "ledger": body.name}


@router.get("/ledgers/{name}/events", summary="Every event of a ledger")
def ledger_events(request: Request, name: str, format: str | None = FMT, p: Principal = Depends(reads("ledger"))):
    from critmin.compliance.ledger import Ledger

    with Ledger(_ledger_path(request, name)) as led:
        df = led.events()
    return formats.table(df, formats.pick(request, format), f"ledger_{name}")


@router.post("/ledgers/{name}/events", status_code=201, summary="Append events, all or nothing (analyst)")
def ledger_append(request: Request, name: str, events: list[dict[str, Any]] | dict[str, Any] = Body(...),
                  p: Principal = Depends(runs("ledger"))):
    from critmin.compliance.ledger import Ledger

    items = events if isinstance(events, list) else [events]
    if not items or len(items) > 1000:
        raise ApiError(422, "invalid_input", "body: expected one event object or a list of 1 to 1000 events")
    with Ledger(_ledger_path(request, name)) as led:
        done = led.append_many(items, sources=[f"request[{i}]" for i in range(len(items))])
    return {"ok": True, "appended": [{"seq": r.seq, "kind": r.kind, "event_id": r.event_id, "hash": r.hash}
                                     for r in done]}


@router.get("/ledgers/{name}/verify", summary="Verify hash chain, signatures, mass balance and custody")
def ledger_verify(request: Request, name: str, anchor: str | None = Query(None, pattern=r"^[0-9a-f]{64}$"),
                  lang: Literal["en", "zh"] = "en", p: Principal = Depends(reads("ledger"))):
    from critmin.compliance.ledger import Ledger

    with Ledger(_ledger_path(request, name)) as led:
        rep = led.verify(anchor=anchor)
    return {"ok": rep.ok, "events": rep.events, "head": rep.head_hash, "exit_code": rep.exit_code,
            "problems": formats.jsonable(rep.to_frame(lang))}
