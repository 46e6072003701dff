"""Timeline chart of knowledge-base entries (Plotly): one lane per actor, one marker per entry, and the
status periods of export controls drawn as bars (in force / suspended)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from .loader import KnowledgeBase
from .measures import Measure
from .query import select
from .state import periods

if TYPE_CHECKING:  # pragma: no cover
    import plotly.graph_objects as go

KIND_COLOURS = {
    "export_control": "#c0392b", "measure": "#2c7fb8", "alliance": "#31a354", "membership": "#74c476",
    "agreement": "#756bb1", "strategic_project": "#e6550d", "price_mechanism": "#d4a017", "list": "#636363",
    "report": "#969696", "event": "#1b9e77",
}
STATUS_COLOURS = {"in_force": "rgba(192,57,43,0.35)", "suspended": "rgba(150,150,150,0.35)",
                  "announced": "rgba(241,196,15,0.35)", "unknown": "rgba(52,152,219,0.25)",
                  "ended": "rgba(99,99,99,0.15)"}
TITLES = {"en": "Knowledge base timeline: measures, controls, alliances and agreements",
          "zh": "知识库时间线：措施、出口管制、联盟与协议"}


def timeline_figure(
    material: str | None = None,
    actor: str | None = None,
    kinds=None,
    since: str | dt.date | None = "2008-01-01",
    until: str | dt.date | None = None,
    lang: str = "en",
    include_general: bool = True,
    kb: KnowledgeBase | None = None,
) -> go.Figure:
    """A Plotly figure of the selected entries (same filters as :func:`critmin.kb.events`)."""
    import plotly.graph_objects as go

    zh = str(lang).lower().startswith("zh")
    entries = select(material, actor, kinds, since, until, include_general, kb)
    actors = sorted({e.actor for e in entries})
    fig = go.Figure()
    horizon = dt.date.today()
    for e in entries:
        if not isinstance(e, Measure):
            continue
        for start, last, st in periods(e):
            if st not in STATUS_COLOURS:
                continue
            end = last or max(horizon, start + dt.timedelta(days=30))
            fig.add_trace(go.Scatter(
                x=[start, end], y=[e.actor, e.actor], mode="lines",
                line={"width": 10, "color": STATUS_COLOURS[st]}, hoverinfo="text",
                text=f"{e.id}: {st} {start}→{last or ''}", showlegend=False,
            ))
    for kind, colour in KIND_COLOURS.items():
        sel = [e for e in entries if e.kind == kind]
        if not sel:
            continue
        fig.add_trace(go.Scatter(
            x=[e.date for e in sel], y=[e.actor for e in sel], mode="markers", name=kind,
            marker={"size": 10, "color": colour, "line": {"width": 1, "color": "white"}},
            text=[f"<b>{e.date.isoformat()}</b> {e.title_zh if zh else e.title_en}<br>{e.id}" for e in sel],
            customdata=[e.id for e in sel], hovertemplate="%{text}<extra></extra>",
        ))
    fig.update_layout(
        title=TITLES["zh" if zh else "en"], template="plotly_white",
        height=max(360, 28 * len(actors) + 160), hovermode="closest",
        yaxis={"categoryorder": "array", "categoryarray": actors, "title": None},
        xaxis={"title": None}, legend={"orientation": "h", "y": -0.15},
        margin={"l": 60, "r": 20, "t": 60, "b": 60},
    )
    return fig


def write_timeline(out: str | Path, lang: str = "en", **filters) -> Path:
    """Write the timeline as an offline HTML page of critmin's family (plotly.js in one shared file beside it),
    atomically."""
    fig = timeline_figure(lang=lang, **filters)
    from critmin.html import write_figure_page

    return write_figure_page(out, fig, lang=lang)
