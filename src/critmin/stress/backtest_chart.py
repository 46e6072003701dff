"""Charts of the backtests against the "nothing changes" baseline (Plotly, one HTML page each).

``critmin stress backtest --episode 2010|2025 --chart PATH`` writes them; the copies in docs/figures/ are
made by that same command (see docs/stress.md), so they can be rebuilt from the bundled data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from pathlib import Path

_LAW = ("rgba(44,160,44,0.20)", "rgb(44,160,44)")
_ENGINE = ("rgba(214,39,40,0.15)", "rgb(214,39,40)")
_BASE = "rgb(127,127,127)"
_CHAIN = ("rgba(31,119,180,0.15)", "rgb(31,119,180)")


def _assumption_note(fig, metas: list[dict], lang: str) -> None:
    """Name, under the chart, every parameter of the plotted models that carries no source (ASSUMPTION)."""
    from critmin.i18n import t

    names = []
    for m in metas:
        for k, v in (m.get("parameters") or {}).items():
            if "ASSUMPTION" in str(v.get("source", "")) and k not in names:
                names.append(k)
    if names:
        fig.add_annotation(text=t("stress.backtest.chart.assumptions", lang, names=", ".join(names)),
                           xref="paper", yref="paper", x=0, y=-0.16, showarrow=False, align="left",
                           font={"size": 10}, xanchor="left", yanchor="top")
        fig.update_layout(margin={"b": 190})


def _write(fig, path: str | Path, offline: bool):
    from critmin.atomic import write_figure_html

    return write_figure_html(path, fig, offline)


def figure_2025(bt, lang: str = "en"):
    """``bt``: one Backtest2025 or a list (e.g. the law path and the chain model's path); the first one's
    scores go in the title, every model gets its band."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    from critmin.i18n import t
    from critmin.stress.chart import add_band

    bts = bt if isinstance(bt, list) else [bt]
    cells = bts[0].cells
    dests = ["WORLD"] + sorted(d for d in cells["destination"].unique() if d != "WORLD")
    cols = 3
    rows = -(-len(dests) // cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=dests, shared_yaxes=True)
    styles = [(_LAW, None), (_ENGINE, "dash")]
    for n, d in enumerate(dests):
        r, c = n // cols + 1, n % cols + 1
        first = n == 0
        for k, b in enumerate(bts):
            (fill, line), dash = styles[k % len(styles)]
            p = b.path
            label = t("stress.backtest.chart.model", lang) + f" [{b.meta.get('model', 'law')}, skill {b.scores['skill']:.2f}]"
            add_band(fig, p["month"], p["model_p10"], p["model_p50"], p["model_p90"], row=r, col=c,
                     fill=fill, line=line, mid_name=label, band_name=None, showlegend=first, dash=dash)
        path = bts[0].path
        fig.add_trace(go.Scatter(x=path["month"], y=[1.0] * len(path), mode="lines",
                                 line={"color": _BASE, "dash": "dot"}, name=t("stress.backtest.chart.baseline", lang),
                                 showlegend=first), row=r, col=c)
        g = cells[(cells["destination"] == d) & cells["ratio"].notna()]
        fig.add_trace(go.Scatter(x=g["month"], y=g["ratio"], mode="markers", marker={"color": "black", "size": 9},
                                 name=t("stress.backtest.chart.actual_2025", lang), showlegend=first,
                                 text=g["sources"], hovertemplate="%{x}: %{y:.2f}<br>%{text}<extra></extra>"),
                      row=r, col=c)
        fig.update_yaxes(title_text=t("stress.backtest.chart.ratio", lang) if c == 1 else None, row=r, col=c)
    s = bts[0].scores
    fig.update_layout(title=t("stress.backtest.chart.title_2025", lang, skill=s["skill"], mae=s["mae"],
                              mae0=s["mae_baseline"], n=s["n"]),
                      height=330 * rows + 110, template="plotly_white", legend={"orientation": "h", "y": -0.08})
    _assumption_note(fig, [b.meta for b in bts], lang)
    return fig


def write_2025_chart(bt, path, *, offline: bool = True, lang: str = "en"):
    return _write(figure_2025(bt, lang), path, offline)


def figure_2010(law, engine=None, lang: str = "en", chain=None):
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    from critmin.i18n import t
    from critmin.stress.chart import add_band

    imp = law.importers
    names = list(dict.fromkeys(imp["importer"]))
    panels = names + [t("stress.backtest.chart.china", lang), t("stress.backtest.chart.others", lang),
                      t("stress.backtest.chart.price", lang)]
    cols = 3
    rows = -(-len(panels) // cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=panels)
    hist = engine.history if engine is not None else None
    sup = law.suppliers
    for n, name in enumerate(panels):
        r, c = n // cols + 1, n % cols + 1
        first = n == 0
        if name in names:
            d = imp[imp["importer"] == name]
            if hist is not None:
                h = hist[hist["importer"] == name].sort_values("year")
                fig.add_trace(go.Scatter(x=h["year"], y=h["actual_t"], mode="lines+markers", line={"color": "black"},
                                         name=t("stress.backtest.chart.actual_baci", lang), showlegend=first),
                              row=r, col=c)
            fig.add_trace(go.Scatter(x=d["year"], y=d["baseline_t"], mode="lines", line={"color": _BASE, "dash": "dot"},
                                     name=t("stress.backtest.chart.baseline", lang), showlegend=first), row=r, col=c)
            if engine is not None:
                e = engine.importers[engine.importers["importer"] == name]
                add_band(fig, e["year"], e["model_t_p10"], e["model_t_p50"], e["model_t_p90"], row=r, col=c,
                         fill=_ENGINE[0], line=_ENGINE[1], mid_name=t("stress.backtest.chart.engine", lang),
                         showlegend=first, dash="dash")
            if chain is not None:
                e = chain.importers[chain.importers["importer"] == name]
                add_band(fig, e["year"], e["model_t_p10"], e["model_t_p50"], e["model_t_p90"], row=r, col=c,
                         fill=_CHAIN[0], line=_CHAIN[1], mid_name=t("stress.backtest.chart.chain", lang),
                         showlegend=first, dash="dot")
            add_band(fig, d["year"], d["model_t_p10"], d["model_t_p50"], d["model_t_p90"], row=r, col=c,
                     fill=_LAW[0], line=_LAW[1], mid_name=t("stress.backtest.chart.law", lang), showlegend=first)
            fig.update_yaxes(title_text="t/yr", row=r, col=c)
        elif n == len(names):
            fig.add_trace(go.Scatter(x=sup["year"], y=sup["china_actual_t"], mode="lines+markers",
                                     line={"color": "black"}, showlegend=False), row=r, col=c)
            add_band(fig, sup["year"], sup["china_model_t_p10"], sup["china_model_t_p50"], sup["china_model_t_p90"],
                     row=r, col=c, fill=_LAW[0], line=_LAW[1], mid_name="", showlegend=False)
            fig.add_trace(go.Scatter(x=sup["year"], y=[law.meta["quota_t"][y] * law.meta["lambda"] for y in sup["year"]],
                                     mode="lines", line={"color": "rgb(148,103,189)", "dash": "dashdot"},
                                     name=t("stress.backtest.chart.quota", lang), showlegend=True), row=r, col=c)
            fig.update_yaxes(title_text="t/yr", row=r, col=c)
        elif n == len(names) + 1:
            fig.add_trace(go.Scatter(x=sup["year"], y=sup["others_extra_actual_t"], mode="lines+markers",
                                     line={"color": "black"}, showlegend=False), row=r, col=c)
            add_band(fig, sup["year"], sup["others_extra_model_t_p10"], sup["others_extra_model_t_p50"],
                     sup["others_extra_model_t_p90"], row=r, col=c, fill=_LAW[0], line=_LAW[1], mid_name="",
                     showlegend=False)
            fig.update_yaxes(title_text="t/yr", row=r, col=c)
        else:
            pr = law.prices
            yearly = pr[pr["what"].str.startswith("BACI")]
            add_band(fig, yearly["year"], yearly["model_p10"], yearly["model_p50"], yearly["model_p90"], row=r, col=c,
                     fill=_LAW[0], line=_LAW[1], mid_name="", showlegend=False)
            fig.add_trace(go.Scatter(x=yearly["year"], y=yearly["actual_ratio"], mode="lines+markers",
                                     line={"color": "black"}, name=t("stress.backtest.chart.uv", lang),
                                     showlegend=True), row=r, col=c)
            if chain is not None:
                cy = chain.prices[chain.prices["what"].str.startswith("BACI")]
                add_band(fig, cy["year"], cy["model_p10"], cy["model_p50"], cy["model_p90"], row=r, col=c,
                         fill=_CHAIN[0], line=_CHAIN[1], mid_name="", showlegend=False, dash="dot")
            other = pr[~pr["what"].str.startswith("BACI")]
            fig.add_trace(go.Scatter(x=[2011] * len(other), y=other["actual_ratio"], mode="markers",
                                     marker={"symbol": "diamond", "size": 10, "color": "rgb(255,127,14)"},
                                     text=other["what"], name=t("stress.backtest.chart.oxide", lang),
                                     showlegend=True), row=r, col=c)
            fig.add_trace(go.Scatter(x=yearly["year"], y=[1.0] * len(yearly), mode="lines",
                                     line={"color": _BASE, "dash": "dot"}, showlegend=False), row=r, col=c)
            fig.update_yaxes(type="log", title_text=t("stress.backtest.chart.price_ratio", lang), row=r, col=c)
    fig.update_layout(title=t("stress.backtest.chart.title_2010", lang, demand_year=law.meta["demand_year"]),
                      height=340 * rows + 110, template="plotly_white", legend={"orientation": "h", "y": -0.06})
    _assumption_note(fig, [law.meta] + ([chain.meta] if chain is not None else []), lang)
    return fig


def write_2010_chart(law, path, *, engine=None, chain=None, offline: bool = True, lang: str = "en"):
    return _write(figure_2010(law, engine, lang, chain), path, offline)
