"""The exercise brief: one HTML page of critmin's family (``html/templates/base.html.j2`` + the shared plotly.js
beside it), English and Chinese side by side, with print CSS for A4.

:func:`render_brief` takes plain data (what :func:`critmin.exercise.api.run_exercise` computed) and writes the
page atomically; it computes nothing itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

LEVEL_ZH = {"none": "无", "blue": "蓝", "yellow": "黄", "orange": "橙", "red": "红"}
TOC = [("exercise.brief.purpose", "purpose"), ("exercise.brief.participants", "participants"),
       ("exercise.brief.shock", "shock"), ("exercise.brief.timeline", "timeline"),
       ("exercise.brief.impact", "impact"), ("exercise.brief.process", "process"),
       ("exercise.brief.trigger", "trigger"), ("exercise.brief.sources", "sources")]


def both(key: str, **fields) -> dict[str, str]:
    """A catalogue message in both languages, for a page that prints both."""
    from critmin.i18n import t

    return {"en": t(key, "en", **fields), "zh": t(key, "zh", **fields)}


def fmt(x, digits: int = 0) -> str:
    """A number for a table cell: thousands separated, '—' when missing."""
    if x is None or x != x:
        return "—"
    return f"{x:,.{digits}f}"


def impact_section(weekly: pd.DataFrame | None, marks: dict[int, str] | None = None) -> dict[str, Any]:
    """Charts (one per importer: weekly P50 shortfall stacked by sector) and tables (P50 with P10–P90 per sector
    and the importer's total) from the chain's weekly table: columns week, importer, sector, sector_en,
    sector_zh, shortfall_t_p10/p50/p90 and, per importer and week, total_t_p10/p50/p90 (the chain's own band,
    not a sum of quantiles). ``marks``: week -> what happens that week (the injects and the measure's legal
    state), shown beside the week so the table reads against the timeline."""
    if weekly is None or weekly.empty or not (weekly["shortfall_t_p50"].fillna(0) > 0).any():
        return {"charts": [], "tables": [], "notes": []}
    import plotly.graph_objects as go

    from critmin.html import economy_colour, figure_div

    charts, tables = [], []
    palette = ["#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf"]
    for imp, d in weekly.groupby("importer", sort=False):
        sectors = d.drop_duplicates("sector")[["sector", "sector_en", "sector_zh"]].to_dict("records")
        fig = go.Figure()
        for j, s in enumerate(sectors):
            ds = d[d["sector"] == s["sector"]].sort_values("week")
            fig.add_trace(go.Scatter(x=ds["week"], y=ds["shortfall_t_p50"], mode="lines", stackgroup="one",
                                     name=f"{s['sector_en']} / {s['sector_zh']}",
                                     line={"color": palette[j % len(palette)], "width": 0.5}))
        tot = d.drop_duplicates("week").sort_values("week")
        fig.add_trace(go.Scatter(x=tot["week"], y=tot["total_t_p90"], mode="lines", name="total P90 / 合计P90",
                                 line={"color": economy_colour(imp), "dash": "dot"}))
        fig.update_layout(title=f"{imp}: weekly shortfall by sector, t (P50, stacked) / 各行业每周缺口（吨，P50叠加）",
                          xaxis_title="week / 周", yaxis_title="t / 吨", height=330,
                          margin={"l": 60, "r": 20, "t": 50, "b": 40}, legend={"orientation": "h", "y": -0.25})
        charts.append({"importer": imp, "div": figure_div(fig, div_id=f"impact-{imp}")})
        rows = []
        for wk, dw in d.groupby("week", sort=True):
            by = dw.set_index("sector")
            cells = [f"{fmt(by.at[s['sector'], 'shortfall_t_p50'], 1)} ({fmt(by.at[s['sector'], 'shortfall_t_p10'], 1)}–"
                     f"{fmt(by.at[s['sector'], 'shortfall_t_p90'], 1)})" for s in sectors]
            r0 = dw.iloc[0]
            rows.append({"week": int(wk), "cells": cells, "mark": (marks or {}).get(int(wk), ""),
                         "total": f"{fmt(r0['total_t_p50'], 1)} ({fmt(r0['total_t_p10'], 1)}–{fmt(r0['total_t_p90'], 1)})"})
        tables.append({"importer": imp, "sectors": [{"en": s["sector_en"], "zh": s["sector_zh"]} for s in sectors],
                       "rows": [r for r in rows if r["total"] != "0.0 (0.0–0.0)" or r["mark"]] or rows[:1]})
    return {"charts": charts, "tables": tables, "notes": []}


def render_brief(path: str | Path, ctx: dict[str, Any]) -> Path:
    """Write the brief to ``path`` (atomically) with plotly.js beside it; ``ctx`` is the data the template
    reads (see :func:`critmin.exercise.api.brief_context`)."""
    from critmin.atomic import write_with
    from critmin.html import environment, page_context, write_asset

    path = Path(path)
    ex = ctx["ex"]
    tpl = environment("critmin.exercise").get_template("brief.html.j2")
    html = tpl.render(page_context(f"{ex['title_en']} / {ex['title_zh']}", "en")
                      | {"M": both, "fmt": fmt, "LEVEL_ZH": LEVEL_ZH, "toc": TOC} | ctx)
    write_with(path, lambda tmp: Path(tmp).write_text(html, encoding="utf-8"))
    write_asset(path.parent)
    return path
