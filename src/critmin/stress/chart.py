"""Plotly chart of a stress result: stock and shortfall bands (P10–P90, P50 line) per importer and month,
written as self-contained (offline) HTML.

``result`` is a :class:`critmin.stress.result.StressResult`; this module does not import it: the result offers
``chart()`` by calling down here, so the dependency runs one way (result → chart).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from pathlib import Path

_COLORS = {"stock_t": ("rgba(31,119,180,0.20)", "rgb(31,119,180)"),
           "shortfall_t": ("rgba(214,39,40,0.20)", "rgb(214,39,40)"),
           "supply_t": ("rgba(44,160,44,0.15)", "rgb(44,160,44)")}


def add_band(fig, x, lo, mid, hi, *, row: int, col: int, fill: str, line: str, mid_name: str, showlegend: bool,
             band_name: str | None = None, dash: str | None = None) -> None:
    """A P10–P90 band (filled between two invisible lines) and its P50 line in one subplot. The band gets a
    legend entry only when ``band_name`` is given; otherwise it is skipped by hover too."""
    import plotly.graph_objects as go

    fig.add_trace(go.Scatter(x=x, y=hi, mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip"),
                  row=row, col=col)
    low = {"name": band_name, "showlegend": showlegend} if band_name else {"showlegend": False, "hoverinfo": "skip"}
    fig.add_trace(go.Scatter(x=x, y=lo, mode="lines", line={"width": 0}, fill="tonexty", fillcolor=fill, **low),
                  row=row, col=col)
    fig.add_trace(go.Scatter(x=x, y=mid, mode="lines+markers", line={"color": line, **({"dash": dash} if dash else {})},
                             name=mid_name, showlegend=showlegend), row=row, col=col)


def figure(result, importers: list[str] | None = None, lang: str = "en"):
    from plotly.subplots import make_subplots

    from critmin.i18n import t

    names = importers or result.summary["importer"].tolist()[:6]
    metrics = ("stock_t", "shortfall_t")
    titles = []
    for n in names:
        for m in metrics:
            titles.append(f"{n} — {t('stress.chart.' + m, lang)}")
    fig = make_subplots(rows=len(names), cols=2, subplot_titles=titles, shared_xaxes=True,
                        vertical_spacing=0.08 if len(names) > 1 else 0.15)
    mon = result.monthly
    for r, n in enumerate(names, start=1):
        for c, m in enumerate(metrics, start=1):
            d = mon[(mon["importer"] == n) & (mon["metric"] == m)].sort_values("month")
            fill, line = _COLORS[m]
            first = r == 1
            label = t("stress.chart." + m, lang)
            add_band(fig, d["month"], d["p10"], d["p50"], d["p90"], row=r, col=c, fill=fill, line=line,
                     mid_name=f"{label} P50", band_name=f"{label} P10–P90", showlegend=first)
            fig.update_yaxes(title_text="t", row=r, col=c)
        fig.update_xaxes(title_text=t("stress.chart.month", lang), row=r)
    meta = result.meta
    title = t("stress.chart.title", lang, supplier=meta["supplier"], material=meta["material"],
              cut=result.scenario.shock.cut if isinstance(result.scenario.shock.cut, float) else "dist",
              months=meta["duration_months"], year=meta["baseline_year"], draws=meta["draws"], run_id=result.run_id)
    fig.update_layout(title=title, height=320 * len(names) + 120, template="plotly_white",
                      legend={"orientation": "h", "y": -0.08})
    return fig


def write_chart(result, path, importers: list[str] | None = None, lang: str = "en",
                offline: bool = True) -> Path:
    """Write the chart to ``path`` (HTML; plotly.js from one shared file beside it when ``offline``, else from
    the CDN), atomically."""
    if offline:
        from critmin.html import write_figure_page

        return write_figure_page(path, figure(result, importers, lang), lang=lang)
    from critmin.atomic import write_figure_html

    return write_figure_html(path, figure(result, importers, lang), offline)
