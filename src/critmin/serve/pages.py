"""The dashboard: server-rendered pages (Jinja2) over the same functions as the API; charts are Plotly
figures drawn by the locally served plotly.js (the map reads its shapes from /static/topojson).

Pages authenticate with the same tokens (a sign-in form sets an HttpOnly, SameSite=Strict cookie) and apply
the same roles and sharing agreement as the API; a refusal is a page with the API's message and status."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from critmin.serve.context import COOKIE, Principal, can_read, principal, readable, workspace
from critmin.serve.errors import ApiError, forbidden

router = APIRouter(include_in_schema=False)
LANG_COOKIE = "critmin_lang"
NAV = [("inbox", "/ui/inbox", "alerts"), ("materials", "/ui/material/rare_earths?importer=EU27", "dependency"),
       ("economies", "/ui/economy/EU27", "dependency"), ("incidents", "/ui/incidents", "incidents"),
       ("runs", "/ui/runs", "stress"), ("kb", "/ui/kb", "kb"), ("datasets", "/ui/datasets", None)]


@lru_cache(maxsize=1)
def _env():
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("critmin.serve", "templates"), autoescape=select_autoescape(["html"]))
    return env


def lang_of(request: Request | None) -> str:
    if request is None:
        return "en"
    want = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or "en"
    return "zh" if want.startswith("zh") else "en"


def render(template: str, request: Request | None, lang: str, **ctx: Any) -> str:
    from critmin.i18n import t

    def tr(key: str, **fields) -> str:
        return t(key, lang, **fields)

    return _env().get_template(template).render(t=tr, lang=lang, request=request, **ctx)


def page(request: Request, template: str, p: Principal | None, status: int = 200, **ctx: Any) -> HTMLResponse:
    lang = lang_of(request)
    ws = workspace(request)
    nav = [(key, url) for key, url, ds in NAV if p is not None and (ds is None or can_read(ws, p, ds))]
    home = _home_importer(ws, p)
    if home != "EU27":  # a partner limited to some importers starts on one of them
        nav = [(k, u.replace("?importer=EU27", f"?importer={home}").replace("/economy/EU27", f"/economy/{home}"))
               for k, u in nav]
    resp = HTMLResponse(render(template, request, lang, p=p, nav=nav, **ctx), status_code=status)
    if request.query_params.get("lang") in ("en", "zh"):
        resp.set_cookie(LANG_COOKIE, lang, samesite="strict", httponly=True)
    return resp


def _home_importer(ws, p: Principal | None) -> str:
    """EU27, or for a partner whose agreement names importers, the first of them."""
    if p is not None and p.is_partner:
        allowed = ws.agreement.get().importers_of(p.party)
        if allowed:
            return allowed[0]
    return "EU27"


def _who(request: Request) -> Principal | None:
    try:
        return principal(request)
    except ApiError:
        return None


def _need(request: Request, dataset: str | None = None, role: str | None = None) -> Principal:
    p = _who(request)
    if p is None:
        raise _Login()
    request.state.dataset = dataset
    if dataset and not can_read(workspace(request), p, dataset):
        raise forbidden(f"role '{p.role}'" + (f" (party '{p.party}')" if p.party else "")
                        + f" may not read dataset '{dataset}'")
    if role == "analyst" and p.role not in ("analyst", "admin"):
        raise forbidden(f"role '{p.role}' may not change '{dataset}': an analyst or admin token is needed")
    if role == "admin" and p.role != "admin":
        raise forbidden(f"role '{p.role}' may not do this: an admin token is needed")
    return p


class _Login(Exception):
    pass


def guarded(fn):
    """Turn refusals and errors into pages (and a missing sign-in into a redirect)."""
    import functools

    from critmin.errors import CritminError
    from critmin.serve.errors import from_critmin

    @functools.wraps(fn)
    def wrapper(request: Request, *a, **kw):
        try:
            return fn(request, *a, **kw)
        except _Login:
            return RedirectResponse("/login", status_code=303)
        except ApiError as exc:
            return page(request, "error.html", _who(request), status=exc.status, message=exc.message)
        except CritminError as exc:
            status, body = from_critmin(exc)
            return page(request, "error.html", _who(request), status=status, message=body["error"]["message"])

    return wrapper


def fig_json(fig) -> str:
    return fig.to_json().replace("</", "<\\/")  # safe inside <script type="application/json">


# -- sign-in ----------------------------------------------------------------------------------------------
@router.get("/")
def home(request: Request):
    return RedirectResponse("/ui/inbox" if _who(request) else "/login", status_code=303)


@router.get("/login")
def login_form(request: Request):
    return page(request, "login.html", None, bad=False)


@router.post("/login")
def login(request: Request, token: str = Form(..., max_length=200)):
    ws = workspace(request)
    tok = ws.tokens.check(token.strip())
    if tok is None:
        return page(request, "login.html", None, status=401, bad=True)
    target = "/ui/datasets" if tok.role == "partner" else "/ui/inbox"
    resp = RedirectResponse(target, status_code=303)
    resp.set_cookie(COOKIE, token.strip(), httponly=True, samesite="strict", max_age=12 * 3600)
    return resp


@router.post("/logout")
def logout(request: Request):
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(COOKIE)
    return resp


# -- pages ------------------------------------------------------------------------------------------------
@router.get("/ui/datasets")
@guarded
def datasets_page(request: Request):
    from critmin.serve.sharing import DATASETS

    p = _need(request)
    ws = workspace(request)
    names = readable(ws, p)
    ag = ws.agreement.get()
    return page(request, "datasets.html", p, datasets=[(d, DATASETS[d][0]) for d in names],
                agreement=ag.agreement if p.is_partner else None,
                importers=ag.importers_of(p.party) if p.is_partner else None)


@router.get("/ui/inbox")
@guarded
def inbox(request: Request, level: str | None = None, material: str | None = None, importer: str | None = None):
    from critmin.serve.api_work import LEVELS, inbox_frame

    p = _need(request, "alerts")
    level = level if level in LEVELS else None
    material = (material or "").strip()[:80] or None
    importer = (importer or "").strip()[:40] or None
    with workspace(request).store.read() as wh:
        df, basis = inbox_frame(wh, level, material, importer)
        all_df, _ = inbox_frame(wh)
        if basis == "situations" and len(df):  # an incident opens from an alert: the situation's most severe one
            from critmin.serve.api_work import alert_frame

            alerts = alert_frame(wh).drop_duplicates(["importer", "material", "stage"])  # red first
            df = df.merge(alerts[["importer", "material", "stage", "alert_id"]], how="left",
                          on=["importer", "material", "stage"])
    reasons = "reasons_zh" if lang_of(request) == "zh" else "reasons_en"
    cols = [c for c in ("rank", "situation_id", "alert_id", "level", "rule_id", "importer", "material", "stage",
                        "supplier", "worst_supplier", "worst_share", "period", "value", "threshold", "confidence",
                        reasons) if c in df.columns]
    rows = df[cols].head(500).to_dict(orient="records")
    materials = sorted(all_df["material"].dropna().unique()) if "material" in all_df.columns else []
    importers = sorted(all_df["importer"].dropna().unique()) if "importer" in all_df.columns else []
    return page(request, "inbox.html", p, rows=rows, cols=cols, basis=basis, count=len(df), level=level,
                material=material, importer=importer, materials=materials, importers=importers,
                can_open=p.role in ("analyst", "admin"))


def _latest_year(df) -> int | None:
    return int(df["year"].max()) if len(df) and "year" in df.columns else None


@router.get("/ui/material/{material}")
@guarded
def material_page(request: Request, material: str, importer: str | None = None):
    import plotly.graph_objects as go

    from critmin.catalog import benchmark, load_catalog
    from critmin.indicators.crma import BENCHMARK, crma_check
    from critmin.indicators.dependency import dependency, suppliers
    from critmin.serve.context import importer_allowed

    p = _need(request, "dependency")
    ws = workspace(request)
    importer = (importer or _home_importer(ws, p))[:40]
    importer_allowed(ws, p, importer)
    cat = load_catalog()
    if material not in cat.materials:
        raise ApiError(404, "not_found", f"no material '{material[:80]}' in the catalog")
    lang = lang_of(request)
    with ws.store.read() as wh:
        dep = dependency(importer, material, None, None, None, "value", None, wh)
        sup = suppliers(importer, material, None, None, None, "value", wh)
        crma = crma_check(importer, None, None, [material], wh, only_breaches=False) \
            if can_read(ws, p, "crma") else None
    year = _latest_year(dep)
    trend = go.Figure()
    trend.add_scatter(x=dep["year"], y=dep["top1_share"], name="top-1 share", mode="lines+markers")
    trend.add_scatter(x=dep["year"], y=dep["china_share"], name="China share", mode="lines")
    trend.add_scatter(x=dep["year"], y=dep["hhi"] / 10000, name="HHI / 10 000", mode="lines", line={"dash": "dot"})
    trend.update_layout(height=320, margin={"l": 40, "r": 10, "t": 10, "b": 30}, yaxis={"tickformat": ".0%"})
    latest = sup[sup["year"] == year].sort_values("share", ascending=False) if year else sup.iloc[0:0]
    geo = go.Figure(go.Choropleth(locations=latest["supplier"], z=latest["share"], locationmode="ISO-3",
                                  colorscale="Reds", colorbar={"tickformat": ".0%"},
                                  hovertemplate="%{location}: %{z:.1%}<extra></extra>"))
    geo.update_layout(height=360, margin={"l": 0, "r": 0, "t": 0, "b": 0},
                      geo={"projection": {"type": "natural earth"}, "showframe": False})
    measures = []
    if can_read(ws, p, "kb"):  # legal state read from the knowledge base (kb.controls / kb.state), never re-derived
        from critmin.kb.controls import controls_on
        from critmin.kb.query import select
        from critmin.kb.state import state_on

        today = dt.date.today()
        kb = ws.kb.knowledge_base()
        for h in controls_on(today, material=material, kb=kb):
            measures.append({"id": h.measure_id, "what": f"{h.instrument} · {h.item_id} ({h.kind})",
                             "hs6": ", ".join(h.hs6), "state": h.state, "verification": h.verification})
        seen = {m["id"] for m in measures}
        for e in select(material=material, kb=kb):
            state = state_on(e, today)
            if e.id not in seen and getattr(e, "kind", None) == "measure" and state in ("in_force", "unknown"):
                title = getattr(e, "title_zh" if lang == "zh" else "title_en", "") or e.id
                measures.append({"id": e.id, "what": title, "hs6": "", "state": state, "verification": ""})
    m = cat.materials[material]
    crma_rows = None if crma is None else crma[crma["year"] == _latest_year(crma)][
        ["stage", "hs6", "year", "top1_supplier_value", "top1_share_value", "breach"]].to_dict(orient="records")
    prov = sorted({i for v in dep.get("provenance_ids", []) for i in str(v).split(",") if i})
    return page(request, "material.html", p, material=material,
                title=m.name_zh if lang == "zh" else m.name_en,
                importer=importer, year=year, trend=fig_json(trend), geo=fig_json(geo),
                suppliers=latest.head(10)[["supplier", "imports_kusd", "share"]].to_dict(orient="records"),
                crma=crma_rows, crma_pct=f"{benchmark(BENCHMARK).pct:g}", measures=measures,
                today=str(dt.date.today()), provenance=prov,
                materials=sorted(cat.materials))


@router.get("/ui/economy/{economy}")
@guarded
def economy_page(request: Request, economy: str, year: int | None = None):
    import plotly.graph_objects as go

    from critmin.catalog.economies import resolve_one
    from critmin.indicators.dependency import dependency
    from critmin.serve.context import importer_allowed

    p = _need(request, "dependency")
    ws = workspace(request)
    econ = resolve_one(economy[:60])
    importer_allowed(ws, p, econ.id if hasattr(econ, "id") else economy)
    with ws.store.read() as wh:
        y = year or max(wh.trade_years())
        df = dependency(economy, None, None, None, str(y), "value", "material", wh)
    df = df.sort_values("top1_share", ascending=False)
    fig = go.Figure(go.Bar(x=df["material_id"], y=df["top1_share"], text=df["top1_supplier"],
                           hovertemplate="%{x}: %{y:.1%} (%{text})<extra></extra>"))
    fig.update_layout(height=340, margin={"l": 40, "r": 10, "t": 10, "b": 90}, yaxis={"tickformat": ".0%"})
    cols = ["material_id", "top1_supplier", "top1_share", "china_share", "hhi", "total_imports", "n_suppliers"]
    return page(request, "economy.html", p, economy=economy, name=econ.name_en if lang_of(request) == "en" else getattr(econ, "name_zh", econ.name_en), year=y,
                chart=fig_json(fig), rows=df[cols].to_dict(orient="records"), cols=cols)


@router.get("/ui/incidents")
@guarded
def incidents_page(request: Request):
    from critmin.incidents import list_incidents

    p = _need(request, "incidents")
    with workspace(request).store.read() as wh:
        df = list_incidents(wh)
    return page(request, "incidents.html", p, rows=df.to_dict(orient="records"))


@router.get("/ui/incidents/{incident_id}")
@guarded
def incident_page(request: Request, incident_id: str, done: str | None = None):
    from critmin.serve.api_work import get_incident_or_404

    p = _need(request, "incidents")
    with workspace(request).store.read() as wh:
        inc = get_incident_or_404(wh, incident_id)
    hist = inc.history.to_dict(orient="records")
    return page(request, "incident.html", p, inc=inc, history=hist, can_act=p.role in ("analyst", "admin"),
                done=done)


@router.post("/ui/incidents")
@guarded
def incident_open_form(request: Request, alert_id: str = Form(..., max_length=128)):
    from critmin.incidents import open_incident
    from critmin.serve.api_work import check_id, signed

    p = _need(request, "incidents", role="analyst")
    check_id(alert_id, "alert_id")
    with workspace(request).store.write("incident open") as wh:
        inc = open_incident(alert_id, warehouse=wh, through="fact_check", note=signed(None, p))
    return RedirectResponse(f"/ui/incidents/{inc.incident_id}", status_code=303)


@router.post("/ui/incidents/{incident_id}/{action}")
@guarded
def incident_action(request: Request, incident_id: str, action: str, note: str = Form("", max_length=4000)):
    from critmin.incidents import advance_incident, close_incident
    from critmin.incidents import store as istore
    from critmin.serve.api_work import get_incident_or_404, signed

    p = _need(request, "incidents", role="analyst")
    if action not in ("advance", "note", "close"):
        raise ApiError(404, "not_found", f"no action '{action[:40]}'")
    with workspace(request).store.write(f"incident {action}") as wh:
        inc = get_incident_or_404(wh, incident_id)
        who_note = signed(note.strip() or None, p)
        if action == "advance":
            advance_incident(incident_id, wh, note=who_note, draws=2000)
        elif action == "note":
            istore.update(incident_id, {}, "note", inc.stage, inc.stage, who_note, wh)
        else:
            close_incident(incident_id, wh, note=who_note)
    return RedirectResponse(f"/ui/incidents/{incident_id}?done={action}", status_code=303)


@router.get("/ui/runs")
@guarded
def runs_page(request: Request):
    import pandas as pd

    from critmin.serve.api_runs import bundled_scenarios
    from critmin.stress.store import list_runs

    p = _need(request, "stress")
    ws = workspace(request)
    with ws.store.read() as wh:
        saved = list_runs(wh) if "stress_runs" in wh.tables() else pd.DataFrame()
    jobs = [j.public() for j in ws.jobs.list() if p.role == "admin" or j.owner == p.token_id]
    return page(request, "runs.html", p, exercises=sorted(bundled_scenarios()), jobs=jobs,
                saved=saved.head(50).to_dict(orient="records"), can_run=p.role in ("analyst", "admin"))


@router.post("/ui/runs")
@guarded
def runs_start(request: Request, exercise: str = Form(..., max_length=100), draws: int = Form(2000, ge=1, le=20000)):
    from critmin.serve.api_runs import bundled_scenarios, start_job

    p = _need(request, "stress", role="analyst")
    found = bundled_scenarios()
    if exercise not in found:
        raise ApiError(404, "not_found", f"no exercise '{exercise[:80]}'")
    start_job(request, p, "exercise", str(found[exercise]), {"exercise": exercise}, draws, None)
    return RedirectResponse("/ui/runs", status_code=303)


@router.get("/ui/kb")
@guarded
def kb_page(request: Request, material: str | None = None, saved: str | None = None):
    from critmin.kb.query import select
    from critmin.kb.timeline import timeline_figure

    p = _need(request, "kb")
    ws = workspace(request)
    kb = ws.kb.knowledge_base()
    material = (material or "").strip()[:80] or None
    lang = lang_of(request)
    fig = timeline_figure(material=material, lang=lang, kb=kb)
    entries = [{"id": e.id, "date": str(e.date), "kind": e.kind, "actor": e.actor, "source_file": e.source_file,
                "title": getattr(e, "title_zh" if lang == "zh" else "title_en", "") or ""}
               for e in select(material=material, kb=kb, include_general=True)]
    return page(request, "kb.html", p, fig=fig_json(fig), entries=list(reversed(entries)), material=material,
                is_admin=p.role == "admin", saved=saved)


@router.post("/ui/kb")
@guarded
def kb_save(request: Request, entry_id: str = Form(..., max_length=128), body: str = Form(..., max_length=100_000),
            replace: bool = Form(False)):
    from critmin.datafile import parse_data
    from critmin.kb.loader import KBError
    from critmin.serve.api_work import check_id

    _need(request, "kb", role="admin")
    check_id(entry_id, "entry_id")
    data = parse_data(body, "entry (form)", error=KBError, expected="one knowledge-base entry (YAML or JSON)")
    workspace(request).kb.put(entry_id, data, replace)
    return RedirectResponse(f"/ui/kb?saved={entry_id}", status_code=303)
