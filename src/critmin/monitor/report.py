"""The monitoring report: Plotly charts and one HTML page rendered with Jinja2.

Plotly's JavaScript is one shared file beside the page (:data:`critmin.html.ASSET_NAME`, written by the job into
the report folder), fetched only after the page is parsed; the page (a member of critmin's HTML family) stays
small and still opens offline, loading nothing from a CDN. Each chart is a ``<div>`` plus a queued
``Plotly.newPlot`` call. Each economy has the colour :func:`critmin.html.economy_colour` gives it. The page opens
with the executive summary (the top situations, what changed, how old the data are), then the sortable,
filterable situation table.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    import plotly.graph_objects as go

    from critmin.monitor.compute import MonitorData

LEVEL_COLOURS = {"red": "#c0392b", "orange": "#e67e22", "yellow": "#f1c40f", "blue": "#2e86c1"}
# charts keep Plotly's "download as PNG" button: readers paste them into briefings
CHART_CONFIG = {"displaylogo": False, "responsive": True,
                "toImageButtonOptions": {"format": "png", "scale": 2, "filename": "critmin-chart"}}


class Texts:
    """Message lookups for the template: ``T(key)`` in the report language, ``B(key)`` bilingual (report language
    first, then the other)."""

    def __init__(self, lang: str):
        from critmin.i18n import current_lang

        self.lang = current_lang(lang)
        self.other = "en" if self.lang == "zh" else "zh"

    def T(self, key: str, **fields) -> str:  # noqa: N802 - short names read better in the template
        from critmin.i18n import t

        return t(key, self.lang, **fields)

    def B(self, key: str, **fields) -> str:  # noqa: N802
        from critmin.i18n import t

        return f"{t(key, self.lang, **fields)} / {t(key, self.other, **fields)}"


@lru_cache(maxsize=4096)
def _name(code: str, lang: str) -> str:
    """A country's name, a group's id (EU27 reads better than its long name in charts), or the code as it is for
    codes the catalog does not know (e.g. BACI's S19)."""
    from critmin.catalog.economies import resolve_one
    from critmin.errors import UsageError

    try:
        e = resolve_one(code)
    except UsageError:
        return code
    return e.id if e.is_group else e.name(lang)


def _material_name(mid: str, lang: str) -> str:
    from critmin.catalog import load_catalog

    try:
        m = load_catalog().material(mid)
    except Exception:  # noqa: BLE001
        return mid
    return m.name_zh if lang == "zh" else m.name_en


LAYOUT = {"paper_bgcolor": "#ffffff", "plot_bgcolor": "#ffffff", "font": {"size": 12},
          "xaxis": {"gridcolor": "#eeeeee", "zeroline": False}, "yaxis": {"gridcolor": "#eeeeee", "zeroline": False},
          "hovermode": "closest"}


def _div(fig: dict | go.Figure, div_id: str) -> str:
    """A chart as a ``<div>`` and its figure queued for ``Plotly.newPlot`` (the library is loaded once per page)."""
    import json

    if not isinstance(fig, dict):
        import plotly.io as pio

        fig = json.loads(pio.to_json(fig, validate=False))
    payload = {k: fig.get(k, {}) for k in ("data", "layout")}
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False,
                      default=lambda o: o.item() if hasattr(o, "item") else str(o))
    text = text.replace("</", "<\\/")
    cfg = json.dumps(CHART_CONFIG)
    # queued, not drawn while the page parses: the queue is drawn one chart per task after DOMContentLoaded
    # (template), so the summary and the tables are usable at once and the charts follow
    return (f'<div id="{div_id}" class="chart"></div>\n<script>(window.cmCharts=window.cmCharts||[])'
            f'.push(["{div_id}",{text},{cfg}]);</script>')


def _crma_pct() -> float:
    """The CRMA single-third-country cap in percent, as the catalog's benchmarks.yaml holds it."""
    from critmin.catalog import benchmark
    from critmin.indicators.crma import BENCHMARK

    return benchmark(BENCHMARK).pct


def _layout(**kw) -> dict:
    out = json_copy(LAYOUT)
    for k, v in kw.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = {**out[k], **v}
        else:
            out[k] = v
    return out


def json_copy(d: dict) -> dict:
    import copy

    return copy.deepcopy(d)


def _nums(values) -> list:
    return [None if v != v else round(float(v), 6) for v in values]


def summary_figure(data: MonitorData, tx: Texts) -> dict:
    df = data.alerts_table
    counts = df.groupby(["importer", "level"]).size().to_dict() if not df.empty else {}
    traces = [{"type": "bar", "name": tx.T(f"monitor.level.{level}"), "marker": {"color": LEVEL_COLOURS[level]},
               "x": [_name(i, tx.lang) for i in data.importers],
               "y": [int(counts.get((i, level), 0)) for i in data.importers]}
              for level in ("red", "orange", "yellow", "blue")]
    return {"data": traces, "layout": _layout(barmode="stack", title={"text": tx.T("monitor.chart.summary")},
                                              height=340, margin={"l": 50, "r": 20, "t": 50, "b": 40},
                                              yaxis={"title": {"text": tx.T("monitor.col.count")}})}


def dependency_figure(d: pd.DataFrame, importers: list[str], material: str, tx: Texts) -> dict | None:
    """Largest supplier's share (solid) and China's share (dotted) of each importer's imports, by year; a dashed
    line at the CRMA cap."""
    if d.empty:
        return None
    cap = _crma_pct()
    traces = []
    for imp in importers:
        s = d[d["importer"] == imp].sort_values("year")
        if s.empty:
            continue
        from critmin.html import economy_colour

        colour = economy_colour(imp)  # the same colour for an economy in every chart
        name = _name(imp, tx.lang)
        years = [int(y) for y in s["year"]]
        traces.append({"type": "scatter", "mode": "lines+markers", "x": years, "y": _nums(s["top1_share"] * 100),
                       "name": f"{name}: {tx.T('monitor.chart.top1_share')}", "line": {"color": colour},
                       "text": [str(x) for x in s["top1_supplier"]],
                       "hovertemplate": "%{x}: %{y:.1f} % (%{text})<extra>" + name + "</extra>"})
        if imp != "CHN":
            traces.append({"type": "scatter", "mode": "lines", "x": years, "y": _nums(s["china_share"] * 100),
                           "name": f"{name}: {tx.T('monitor.chart.china_share')}",
                           "line": {"color": colour, "dash": "dot"},
                           "hovertemplate": "%{x}: %{y:.1f} %<extra>" + name + " CHN</extra>"})
    layout = _layout(
        title={"text": tx.T("monitor.chart.dependency", material=_material_name(material, tx.lang)), "font": {"size": 14}},
        height=360, margin={"l": 50, "r": 20, "t": 50, "b": 40}, legend={"font": {"size": 10}},
        yaxis={"range": [0, 102], "title": {"text": tx.T("monitor.chart.share_pct")}}, xaxis={"dtick": 1},
        shapes=[{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": "y", "y0": cap, "y1": cap,
                 "line": {"color": "#888888", "dash": "dash", "width": 1}}],
        annotations=[{"xref": "paper", "x": 0, "yref": "y", "y": cap, "text": tx.T("monitor.chart.cap", pct=f"{cap:g}"),
                      "showarrow": False, "xanchor": "left", "yanchor": "bottom", "font": {"size": 10}}])
    return {"data": traces, "layout": layout}


def suppliers_figure(s: pd.DataFrame, importers: list[str], material: str, year: int, tx: Texts,
                     top: int = 5) -> dict | None:
    """Stacked shares of each importer's largest suppliers (top ``top`` each, the rest as 'other')."""
    from critmin.html import economy_colour

    if s.empty:
        return None
    importers = [i for i in importers if (s["importer"] == i).any()]
    head = s[s["rank"] < top]
    keep = head.groupby("supplier")["share"].max().sort_values(ascending=False).index.tolist()
    share = {(r.importer, r.supplier): float(r.share) * 100 for r in head.itertuples(index=False)}
    rest = (s[s["rank"] >= top].groupby("importer")["share"].sum() * 100).to_dict()
    ys = [_name(i, tx.lang) for i in importers]
    traces = [{"type": "bar", "orientation": "h", "y": ys, "x": [round(share.get((i, sup), 0.0), 4) for i in importers],
               "name": _name(sup, tx.lang), "marker": {"color": economy_colour(sup)},
               "hovertemplate": "%{y}: %{x:.1f} %<extra>" + sup + "</extra>"}
              for sup in keep]
    traces.append({"type": "bar", "orientation": "h", "y": ys, "x": [round(float(rest.get(i, 0.0)), 4) for i in importers],
                   "name": tx.T("monitor.chart.other"), "marker": {"color": "#cccccc"}})
    layout = _layout(barmode="stack", height=120 + 45 * len(importers),
                     title={"text": tx.T("monitor.chart.suppliers", material=_material_name(material, tx.lang),
                                         year=year), "font": {"size": 14}},
                     xaxis={"range": [0, 100.5], "title": {"text": tx.T("monitor.chart.share_pct")}},
                     yaxis={"automargin": True}, legend={"font": {"size": 10}},
                     margin={"l": 80, "r": 20, "t": 50, "b": 40})
    return {"data": traces, "layout": layout}


def _fmt_share(x) -> str:
    return "" if x is None or x != x else f"{x * 100:.1f} %"


def _fmt_value(x) -> str:
    if x is None or x != x:
        return ""
    return f"{x:,.1f}" if abs(x) < 1e5 else f"{x:,.0f}"


def _alert_rows(df, tx: Texts) -> list[dict]:
    rows = []
    for r in df.itertuples(index=False):
        rows.append({
            "id": r.id, "level": r.level, "level_label": tx.T(f"monitor.level.{r.level}"),
            "rule": r.title_zh if tx.lang == "zh" else r.title_en, "rule_id": r.rule_id,
            "importer": _name(r.importer, tx.lang), "material": _material_name(r.material, tx.lang),
            "stage": _stage_name(r.stage, tx.lang), "hs6": r.hs6.replace(",", ", "),
            "supplier": _name(r.supplier, tx.lang) if r.supplier else "", "metric": r.metric,
            "value": _fmt_value(r.value), "threshold": "" if r.threshold is None or r.threshold != r.threshold
            else f"{r.comparison} {_fmt_value(r.threshold)}",
            "period": r.period, "events": [e for e in r.cited_events.split(";") if e],
            "derived": r.date_basis == "derived",
        })
    return rows


def _citation_rows(data: MonitorData, tx: Texts) -> list[dict]:
    from critmin.kb import load_kb

    kb = load_kb()
    ids = sorted({e for s in data.alerts_table["cited_events"] for e in s.split(";") if e})
    rows = []
    for i in ids:
        e = kb.find(i)
        if e is None:  # an id a custom rule cites but the KB lacks
            rows.append({"id": i, "date": "", "title": "", "reference": "", "citations": [], "basis": ""})
            continue
        from critmin.kb.query import citations, derived_periods

        rows.append({
            "id": e.id, "date": e.date.isoformat(), "title": e.title_zh if tx.lang == "zh" else e.title_en,
            "reference": e.reference or "",
            "basis": "derived" if derived_periods(e) or e.basis == "derived" else e.basis,
            "citations": [{"seed": c["seed"], "primary": c["primary"], "url": c["url"] or ""} for c in citations(e)],
        })
    return rows


def _rule_rows(tx: Texts) -> list[dict]:
    from critmin.alerts import load_rules

    return [{"id": r.id, "title": r.title_zh if tx.lang == "zh" else r.title_en, "metric": ", ".join(r.metrics),
             "comparison": r.comparison,
             "thresholds": ", ".join(f"{tx.T('monitor.level.' + k)} {v:g}" for k, v in r.thresholds.items()),
             "cites": ", ".join(r.cites)} for r in load_rules()]


def _definition_rows(tx: Texts) -> list[dict]:
    from critmin.indicators.explain import DEFINITIONS

    cols = ["total_imports", "top1_supplier", "top1_share", "china_share", "hhi", "yoy_imports", "yoy_unit_value",
            "top1_share_value", "top1_share_qty", "breach"]
    return [{"column": c, "definition": DEFINITIONS[c][1 if tx.lang == "zh" else 0], "unit": DEFINITIONS[c][2]}
            for c in cols if c in DEFINITIONS]


SITUATION_ROWS = 400  # rows of the situation table in the page; situations.csv holds them all
KEY_ALERT_ROWS = 600  # orange and red alert rows in the page; alerts.csv holds them all
CHART_IMPORTERS = 8  # a global run charts each material's largest importers only


def _chart_importers(dep: pd.DataFrame, importers: list[str]) -> list[str]:
    """The importers a material's charts show: all of them, or the largest CHART_IMPORTERS in the latest year."""
    if len(importers) <= CHART_IMPORTERS or dep.empty:
        return list(importers)
    last = dep[dep["year"] == dep["year"].max()]
    top = last.groupby("importer")["total_imports"].sum().sort_values(ascending=False).index[:CHART_IMPORTERS]
    return [i for i in importers if i in set(top)]


def _stage_name(stage: str, lang: str) -> str:
    from critmin.catalog.models import STAGE_NAMES

    names = STAGE_NAMES.get(stage)
    return stage if names is None else names[1 if lang == "zh" else 0]


def _situation_rows(df, tx: Texts, limit: int | None = None) -> list[dict]:
    rows = []
    for r in (df if limit is None else df.head(limit)).itertuples(index=False):
        sup = r.worst_supplier or r.top1_supplier_value or ""
        rows.append({
            "id": r.situation_id, "rank": int(r.rank), "priority": f"{r.priority:,.1f}", "level": r.level,
            "level_label": tx.T(f"monitor.level.{r.level}"), "importer_code": r.importer,
            "importer": _name(r.importer, tx.lang), "material_id": r.material,
            "material": _material_name(r.material, tx.lang), "stage": _stage_name(r.stage, tx.lang),
            "supplier": _name(sup, tx.lang) if sup else "", "supplier_code": sup,
            "imports": _fmt_value(r.imports_kusd / 1000 if r.imports_kusd == r.imports_kusd else None),
            "imports_raw": float(r.imports_kusd or 0.0),
            "reasons": r.reasons_zh if tx.lang == "zh" else r.reasons_en,
            "first_reason": (r.reasons_zh if tx.lang == "zh" else r.reasons_en).split(" | ")[0],
            "change": tx.T(f"monitor.change.{r.novelty}"), "change_key": r.novelty,
            "confidence": tx.T(f"monitor.confidence.{r.confidence}"), "data_year": int(r.data_year),
            "measures": [m for m in r.measures.split(";") if m], "hs6": r.hs6.replace(",", ", "),
        })
    return rows


def watch_rows(policy, data: MonitorData, warehouse, tx: Texts) -> list[dict]:
    """Watched materials (policy watchlist) with no trade in the latest year, and why."""
    from critmin.catalog import load_catalog
    from critmin.warehouse.handle import using

    cat = load_catalog()
    year = int(data.dependency["year"].max()) if not data.dependency.empty else max(data.years)
    out = []
    with using(warehouse) as wh:
        for w in policy.watchlist:
            try:
                m = cat.material(w.material)
                codes = sorted(set(cat.hs6_for(m.id)) | set(w.hs6))
                name, known = _material_name(m.id, tx.lang), True
            except Exception:  # noqa: BLE001 - a watched item outside the catalog (magnets)
                codes, name, known = sorted(w.hs6), w.material, False
            have = {c for (c,) in wh.sql("select distinct hs6 from trade where year = ? and hs6 in "
                                         "(select unnest(?::varchar[]))", [year, codes or [""]]).fetchall()}
            if have and known and m.id in data.materials:
                continue
            if not codes:
                why = tx.T("monitor.watch.no_codes")
            elif not known:
                why = tx.T("monitor.watch.not_in_catalog", codes=", ".join(codes))
            else:
                why = tx.T("monitor.watch.no_trade", codes=", ".join(codes), year=year)
            out.append({"material": name, "why": why, "note": w.note})
    return out


def render_html(data: MonitorData, lang: str = "en", situations=None, policy=None, changes=None,
                previous_run: str = "", flagged=None, warehouse=None) -> str:
    """The whole report as one HTML string (situations first when given)."""
    import critmin
    from critmin.html import ASSET_NAME, environment, page_context
    from critmin.kb import timeline_figure

    tx = Texts(lang)
    at = data.alerts_table
    latest = max(int(p[:4]) for p in at["period"]) if not at.empty else max(data.years)
    charts = {"summary": _div(summary_figure(data, tx), "chart-summary")}
    sup_year = int(data.suppliers["year"].max()) if not data.suppliers.empty else latest
    materials = []
    dep_by = dict(tuple(data.dependency_material.groupby("material_id")))
    sup_latest = data.suppliers[data.suppliers["year"] == sup_year]
    sup_by = dict(tuple(sup_latest.groupby("material_id")))
    level_counts = at.groupby(["material", "level"]).size().to_dict() if not at.empty else {}
    empty = data.dependency_material.iloc[0:0]
    for k, m in enumerate(data.materials):
        shown = _chart_importers(dep_by.get(m, empty), data.importers)
        dep = dependency_figure(dep_by.get(m, empty), shown, m, tx)
        sup = suppliers_figure(sup_by.get(m, sup_latest.iloc[0:0]), shown, m, sup_year, tx)
        materials.append({
            "id": m, "name": _material_name(m, tx.lang), "other_name": _material_name(m, tx.other),
            "dependency": _div(dep, f"chart-dep-{k}") if dep is not None else "",
            "suppliers": _div(sup, f"chart-sup-{k}") if sup is not None else "",
            "counts": {lv: int(level_counts.get((m, lv), 0)) for lv in ("red", "orange", "yellow", "blue")},
        })
    tl = timeline_figure(since="2010-01-01", lang=tx.lang)
    charts["timeline"] = _div(tl, "chart-timeline")
    key = at[at["level"].isin(["red", "orange"])]
    other = at[~at["level"].isin(["red", "orange"])]
    other_limit = 400
    from critmin.alerts.engine import list_materials
    from critmin.monitor.priority import load_policy

    # the 65 % benchmark binds strategic raw materials only (Art. 5(1)(b), Annex I): other rows are shown for
    # comparison, never as a breach
    strategic = list_materials((policy or load_policy()).levels.crma.lists)
    crma_rows = [{
        "in_scope": r.material_id in strategic,
        "material": _material_name(r.material_id, tx.lang), "stage": r.stage, "hs6": r.hs6,
        "top_value": r.top1_supplier_value or "", "share_value": _fmt_share(r.top1_share_value),
        "top_qty": r.top1_supplier_qty if isinstance(r.top1_supplier_qty, str) else "",
        "share_qty": _fmt_share(r.top1_share_qty), "imports_kusd": _fmt_value(r.imports_kusd),
        "breach": bool(r.breach) and r.material_id in strategic,
        "years_in_breach": r.years_in_breach if isinstance(r.years_in_breach, str) and r.material_id in strategic
        else "",
    } for r in data.crma.itertuples(index=False)]
    crma_rows.sort(key=lambda r: not r["in_scope"])  # strategic raw materials first
    prov = [{"id": r.provenance_id, "table": r.table, "source": r.source, "vintage": r.vintage,
             "licence": r.licence, "url": getattr(r, "url", "") or ""}
            for r in data.provenance.itertuples(index=False)] if "url" in data.provenance.columns else \
        [{"id": r.provenance_id, "table": r.table, "source": r.source, "vintage": r.vintage, "licence": r.licence,
          "url": ""} for r in data.provenance.itertuples(index=False)]
    tpl = environment("critmin.monitor").get_template("report.html.j2")  # extends critmin's base page
    sit = _situation_context(data, tx, situations, policy, changes, previous_run, flagged, warehouse)
    # plotly_src stays unset for the base page (its <script src> would block parsing): the page's own loader
    # fetches plotly_file after the page is parsed
    return tpl.render(page_context(tx.B("monitor.title"), tx.lang) | dict(
        plotly_file=ASSET_NAME, plotly_src=None, sit=sit,
        T=tx.T, B=tx.B, lang=tx.lang, version=critmin.__version__,
        as_of=data.as_of.isoformat(), generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        importers=[f"{i} ({_name(i, tx.lang)})" if _name(i, tx.lang) != i else i for i in data.importers],
        materials=materials, years=f"{min(data.years)}–{max(data.years)}", latest=latest, vintage=data.vintage,
        counts={lv: int((at["level"] == lv).sum()) for lv in ("red", "orange", "yellow", "blue")},
        total=len(at), charts=charts, key_alerts=_alert_rows(key.head(KEY_ALERT_ROWS), tx),
        key_more=max(0, len(key) - KEY_ALERT_ROWS),
        other_alerts=_alert_rows(other.head(other_limit), tx), other_more=max(0, len(other) - other_limit),
        any_derived=bool((at["date_basis"] == "derived").any()), crma=crma_rows, crma_year=latest,
        crma_pct=f"{_crma_pct():g}",
        provenance=prov, cited=_citation_rows(data, tx), rules=_rule_rows(tx), definitions=_definition_rows(tx),
        level_colours=LEVEL_COLOURS, kb_currency=_kb_currency(tx),
    ))


def _situation_context(data: MonitorData, tx: Texts, situations, policy, changes, previous_run, flagged,
                       warehouse) -> dict | None:
    """What the executive summary, the situation table and the honesty notes show (None: no situations)."""
    if situations is None or policy is None:
        return None
    from critmin.monitor.priority import assumptions
    from critmin.monitor.situations import level_counts, tonnes

    counts = level_counts(situations)
    year = int(situations["data_year"].max()) if len(situations) else max(data.years)
    stale = data.as_of.year - year
    confs = set(situations["confidence"]) if len(situations) else {"high"}
    best = next((c for c in ("high", "medium", "low") if c in confs), "low")
    ch = changes if changes is not None else situations.iloc[0:0]
    by_change = {k: int((ch["change"] == k).sum()) for k in ("new", "escalated", "deescalated", "cleared")} \
        if len(ch) else {"new": 0, "escalated": 0, "deescalated": 0, "cleared": 0}
    change_rows = [{"importer": _name(r.importer, tx.lang), "material": _material_name(r.material, tx.lang),
                    "stage": _stage_name(r.stage, tx.lang), "change": tx.T(f"monitor.change.{r.change}"),
                    "previous": tx.T(f"monitor.level.{r.previous_level}"), "level": r.level,
                    "level_label": tx.T(f"monitor.level.{r.level}")} for r in ch.itertuples(index=False)]
    fl = flagged if flagged is not None else None
    flagged_rows = [] if fl is None else [
        {"hs6": r.hs6, "exporter": _name(r.exporter, tx.lang), "importer": _name(r.importer, tx.lang),
         "qty_t": tonnes(r.qty_t), "value": f"{r.value_kusd / 1000:,.1f}", "uv": f"{r.usd_per_kg:,.2f}",
         "median": f"{r.median_usd_per_kg:,.2f}", "z": f"{r.robust_z:+.1f}"}
        for r in fl[fl["importer"].isin(_iso_members(data))].head(40).itertuples(index=False)]
    shown = _situation_rows(situations, tx, SITUATION_ROWS)
    return {
        "top": _situation_rows(situations, tx, 10), "rows": shown, "more": max(0, len(situations) - len(shown)),
        "n": len(situations), "counts": counts, "year": year, "stale": stale,
        "confidence": tx.T(f"monitor.confidence.{best}"), "previous_run": previous_run, "by_change": by_change,
        "changes": change_rows, "flagged": flagged_rows, "n_flagged": 0 if fl is None else len(fl),
        "flagged_method": policy.levels.unit_value.source,
        "watch": watch_rows(policy, data, warehouse, tx) if warehouse is not None else [],
        "assumptions": assumptions(policy), "policy": policy.path,
        "importers": sorted({(r["importer_code"], r["importer"]) for r in shown}),
        "economies": _economy_sections(situations, tx),
        "levels": ["red", "orange", "yellow", "blue", "none"],
    }


ECONOMY_SECTIONS = 12  # economies with a section of their own (most red/orange first); all are in the table


def _economy_sections(situations, tx: Texts) -> list[dict]:
    """Per economy: its level counts and its five highest-priority situations at yellow or above."""
    out = []
    hot = situations[situations["level"].isin(["red", "orange", "yellow"])]
    for imp, g in situations.groupby("importer", sort=False):
        h = hot[hot["importer"] == imp]
        out.append({"code": imp, "name": _name(imp, tx.lang),
                    "counts": {lv: int((g["level"] == lv).sum()) for lv in ("red", "orange", "yellow")},
                    "top": _situation_rows(h, tx, 5), "key": (-(g["level"] == "red").sum(),
                                                              -(g["level"] == "orange").sum(), imp)})
    out.sort(key=lambda e: e["key"])
    return out[:ECONOMY_SECTIONS]


def _iso_members(data: MonitorData) -> set[str]:
    """ISO3 codes of the run's importers (group members included) in the latest year."""
    from critmin.catalog.economies import resolve

    year = max(data.years)
    return {iso for e in resolve(data.importers) for iso in e.members(year)}


def _kb_currency(tx: Texts) -> str:
    """How current the knowledge base behind the cited events is (latest record, reviews)."""
    from critmin.kb import load_kb
    from critmin.kb.check import currency

    c = currency(load_kb())
    return tx.T("kb.currency", latest=c["latest_date"], latest_id=c["latest_id"], reviewed=c["reviewed"],
                records=c["records"], m_reviewed=c["measures_reviewed"], measures=c["measures"],
                oldest=c["oldest_measure_review"] or "-", user=c["user_files"])
