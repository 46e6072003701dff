"""Figures of an assessment (Plotly), for the CLI's HTML output and, later, the monitoring report and dashboard:
the SR–EI scatter with the two thresholds as the Commission draws it, and SR by year per material with the
SR = 1 line. Labels come from the message catalogue (en/zh)."""

from __future__ import annotations

from critmin.criticality.method import EI_THRESHOLD, SR_THRESHOLD


def scatter_figure(df, lang: str | None = None):
    """SR (y) against EI (x) for one economy-year of :func:`critmin.criticality.assess`; materials without a
    known EI are drawn at EI = 0 (said in the subtitle), the critical quadrant shaded."""
    import plotly.graph_objects as go

    from critmin.i18n import t

    economy = ", ".join(sorted(df["economy"].unique()))
    year = ", ".join(map(str, sorted(df["year"].unique())))
    ei = df["ei"].fillna(0.0)
    fig = go.Figure()
    fig.add_shape(type="rect", x0=EI_THRESHOLD, x1=10, y0=SR_THRESHOLD, y1=max(6.0, float(df["sr"].max()) + 0.5),
                  fillcolor="rgba(200,30,30,0.07)", line_width=0, layer="below")
    fig.add_trace(go.Scatter(x=ei, y=df["sr"], mode="markers+text", text=df["material"],
                             textposition="top center", textfont={"size": 9},
                             marker={"size": 8, "color": df["critical"].map({True: "#c0392b", False: "#2c7fb8"})
                                     .fillna("#999999").tolist()},
                             hovertemplate="%{text}<br>EI %{x:.2f}<br>SR %{y:.2f}<extra></extra>"))
    fig.add_hline(y=SR_THRESHOLD, line_dash="dash", annotation_text=f"SR {SR_THRESHOLD:g} {t('criticality.threshold', lang)}")
    fig.add_vline(x=EI_THRESHOLD, line_dash="dash", annotation_text=f"EI {EI_THRESHOLD:g} {t('criticality.threshold', lang)}")
    fig.update_layout(title={"text": t("criticality.scatter_title", lang, economy=economy, year=year)
                             + f"<br><sup>{t('criticality.no_ei_note', lang)}</sup>"},
                      xaxis={"title": t("criticality.axis_ei", lang), "range": [-0.3, 10]},
                      yaxis={"title": t("criticality.axis_sr", lang), "rangemode": "tozero"},
                      showlegend=False, template="plotly_white", height=600)
    return fig


def trend_figure(df, lang: str | None = None, materials: list[str] | None = None):
    """SR by year, one line per material (of one economy), with the SR = 1 line."""
    import plotly.graph_objects as go

    from critmin.i18n import t

    economy = ", ".join(sorted(df["economy"].unique()))
    fig = go.Figure()
    for mat, g in df.sort_values("year").groupby("material", sort=True):
        if materials and g["material_id"].iloc[0] not in materials:
            continue
        fig.add_trace(go.Scatter(x=g["year"], y=g["sr"], mode="lines+markers", name=mat))
    fig.add_hline(y=SR_THRESHOLD, line_dash="dash", annotation_text=f"SR {SR_THRESHOLD:g}")
    fig.update_layout(title=t("criticality.trend_fig_title", lang, economy=economy),
                      xaxis={"title": t("criticality.axis_year", lang), "dtick": 1},
                      yaxis={"title": t("criticality.axis_sr", lang), "rangemode": "tozero"},
                      template="plotly_white", height=600)
    return fig


def write_html(path, df, lang: str | None = None):
    """A page of the HTML family (plotly.js in a shared file beside it) with the scatter of the last year and the trend lines,
    written atomically."""
    from critmin.html import figure_div, write_page
    from critmin.i18n import current_lang, t

    last = df[df["year"] == df["year"].max()]
    parts = [figure_div(scatter_figure(last, lang))]
    if df["year"].nunique() > 1:
        parts.append(figure_div(trend_figure(df, lang)))
    title = t("criticality.title", lang, economy=", ".join(sorted(df["economy"].unique())),
              years=f"{df['year'].min()}-{df['year'].max()}")
    return write_page(path, title, "".join(parts), current_lang(lang))
