"""Findings like seed 004's figures: frame profile per economy, shared traits, divergences (with a
distance), sentiment vs subjectivity with bootstrap intervals over documents, evolution over time with
change points, and the evidence sentences behind every score.

Aggregation (no Python loops over rows; DuckDB does the grouping):

* document frame share s_{d,k} = sum of frame-k scores of its sentences / sum over all frames;
  economy profile = mean of s_{d,k} over its documents (each document counts once).
* document sentiment = mean sentence polarity; extremes = share of sentences with |polarity| >= 0.6,
  max and min; subjectivity = mean sentence subjectivity. Economy value = mean over documents, with a
  95 % percentile bootstrap interval over documents (1,000 resamples, seed 0).
* divergence between two economies = Jensen-Shannon distance of their frame profiles (base 2, in [0, 1]).
  A frame is *shared* when its share is >= 1/16 (half the uniform share) in every economy. Seed 004's
  shared traits are tested explicitly: securitisation (security + risk share >= 0.15 everywhere), green
  transition (a shared frame), restrained tone (|mean polarity| < 0.4 everywhere).
* change points: ruptures PELT (model l2, min_size 1) on each economy's yearly series of standardised frame
  shares and polarity, penalty log(n) * d (BIC-like for unit variance, d = dimensions); with
  4-6 yearly points per economy the change points are indicative only.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field

import numpy as np

from critmin.discourse import FRAMES
from critmin.discourse.scoring import STRONG_POLARITY

SHARED_MIN = 1.0 / 16
N_BOOT = 1000
N_EVIDENCE = 3


@dataclass
class Findings:
    economies: list[str]
    documents: object          # DataFrame, one row per document with shares and sentiment
    profile: object            # economy x frame shares
    sentiment: object          # per economy: polarity, CI, extremes, subjectivity, CI, n_docs
    shared: list[str]
    divergence_matrix: object  # JS distances
    frame_divergence: object   # per frame: min, max, range, std across economies
    evolution: object          # economy x year: polarity, subjectivity, shares
    change_points: list[dict]
    evidence: list[dict]
    meta: dict = field(default_factory=dict)
    traits: list[dict] = field(default_factory=list)
    second_opinion: object = None  # per economy: embedding-path agreement and profile (when stored)

    def to_dict(self) -> dict:
        def recs(df):
            return _records(df)

        return {
            "meta": self.meta,
            "economies": self.economies,
            "profile": recs(self.profile.reset_index()),
            "sentiment": recs(self.sentiment),
            "shared_frames": self.shared,
            "shared_traits": self.traits,
            "divergence_matrix": recs(self.divergence_matrix.reset_index()),
            "frame_divergence": recs(self.frame_divergence),
            "evolution": recs(self.evolution),
            "change_points": self.change_points,
            "documents": recs(self.documents),
            "evidence": self.evidence,
            "second_opinion": [] if self.second_opinion is None else recs(self.second_opinion),
        }


def _records(df) -> list[dict]:
    import json

    return json.loads(df.to_json(orient="records", force_ascii=False, date_format="iso"))


def doc_table(con, economies: list[str] | None):
    share_exprs = ", ".join(f"sum({f}) as {f}" for f in FRAMES)
    total = " + ".join(f"sum({f})" for f in FRAMES)
    where = ""
    params: list = []
    if economies:
        where = "where d.economy in (" + ", ".join("?" for _ in economies) + ")"
        params = list(economies)
    sql = f"""
        select d.doc_id, d.economy, d.actor, d.title, d.date, d.year, d.genre, d.language, d.synthetic,
               count(*) as n_sentences, {share_exprs}, {total} as frame_total,
               avg(s.polarity) as polarity, avg(s.subjectivity) as subjectivity,
               avg(case when abs(s.polarity) >= {STRONG_POLARITY} then 1 else 0 end) as strong_share,
               max(s.polarity) as polarity_max, min(s.polarity) as polarity_min
        from discourse_documents d join discourse_sentences s using (doc_id)
        {where}
        group by all order by d.economy, d.date, d.doc_id"""
    df = con.execute(sql, params).df()
    tot = df["frame_total"].replace(0, np.nan)
    for f in FRAMES:
        df[f] = (df[f] / tot).fillna(0.0)
    return df


def bootstrap_ci(values: np.ndarray, n_boot: int = N_BOOT, seed: int = 0, level: float = 0.95):
    """Percentile bootstrap interval of the mean over documents (seeded)."""
    values = np.asarray(values, dtype=float)
    if len(values) == 0:
        return (math.nan, math.nan)
    if len(values) == 1:
        return (float(values[0]), float(values[0]))
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), size=(n_boot, len(values)))].mean(axis=1)
    a = (1 - level) / 2
    return float(np.quantile(means, a)), float(np.quantile(means, 1 - a))


def js_distance(p: np.ndarray, q: np.ndarray) -> float:
    """Jensen-Shannon distance (base 2) between two frame profiles."""
    p = np.asarray(p, float)
    q = np.asarray(q, float)
    p = p / p.sum() if p.sum() else np.full_like(p, 1 / len(p))
    q = q / q.sum() if q.sum() else np.full_like(q, 1 / len(q))
    m = (p + q) / 2

    def kl(a, b):
        mask = a > 0
        return float(np.sum(a[mask] * np.log2(a[mask] / b[mask])))

    return math.sqrt(max(0.0, (kl(p, m) + kl(q, m)) / 2))


def change_points(series: np.ndarray, years: list[int]) -> list[int]:
    """Years at which a new regime starts (ruptures PELT, l2 cost, BIC-like penalty)."""
    import ruptures as rpt

    x = np.asarray(series, float)
    if x.ndim == 1:
        x = x[:, None]
    n = len(x)
    if n < 3:
        return []
    sd = x.std(axis=0)
    keep = sd > 1e-9
    if not keep.any():
        return []
    z = (x[:, keep] - x[:, keep].mean(axis=0)) / sd[keep]
    pen = math.log(n) * z.shape[1]
    bkps = rpt.Pelt(model="l2", min_size=1, jump=1).fit(z).predict(pen=pen)
    return [years[b] for b in bkps if b < n]


def build_findings(warehouse=None, economies: list[str] | None = None, by: str = "year", con=None) -> Findings:
    """Compute every table of the report from the warehouse (read-only)."""
    import pandas as pd

    from critmin.discourse import store
    from critmin.errors import UsageError

    if by != "year":
        raise UsageError(f"--by {by!r} is not supported: expected year")
    own = con is None
    con = con or store.connect(warehouse, read_only=True)
    try:
        if not store.has_tables(con):
            raise UsageError("the warehouse has no discourse tables: run `critmin discourse add` or `demo` first")
        docs = doc_table(con, economies)
        if docs.empty:
            raise UsageError("no documents for the selected economies")
        econs = [e for e in (economies or sorted(docs.economy.unique())) if e in set(docs.economy)]
        evidence = _evidence(con, econs)
        second = _second_opinion(con, econs)
        meta_row = con.execute("select count(*), min(date), max(date), any_value(lexicon_version) from "
                               "discourse_documents").fetchone()
    finally:
        if own:
            con.close()

    profile = docs.groupby("economy")[list(FRAMES)].mean().reindex(econs)
    sent_rows = []
    for e in econs:
        d = docs[docs.economy == e]
        plo, phi = bootstrap_ci(d.polarity.values)
        slo, shi = bootstrap_ci(d.subjectivity.values, seed=1)
        sent_rows.append({"economy": e, "n_docs": len(d), "n_sentences": int(d.n_sentences.sum()),
                          "polarity": d.polarity.mean(), "polarity_lo": plo, "polarity_hi": phi,
                          "subjectivity": d.subjectivity.mean(), "subjectivity_lo": slo, "subjectivity_hi": shi,
                          "strong_share": d.strong_share.mean(), "polarity_max": d.polarity_max.max(),
                          "polarity_min": d.polarity_min.min()})
    sentiment = pd.DataFrame(sent_rows)
    shared = [f for f in FRAMES if (profile[f] >= SHARED_MIN).all()]
    dm = pd.DataFrame([[js_distance(profile.loc[a].values, profile.loc[b].values) for b in econs] for a in econs],
                      index=pd.Index(econs, name="economy"), columns=econs)
    fd = pd.DataFrame({"frame": list(FRAMES),
                       "min_share": [profile[f].min() for f in FRAMES],
                       "max_share": [profile[f].max() for f in FRAMES],
                       "min_economy": [profile[f].idxmin() for f in FRAMES],
                       "max_economy": [profile[f].idxmax() for f in FRAMES],
                       "std": [profile[f].std(ddof=0) for f in FRAMES]})
    fd["range"] = fd.max_share - fd.min_share
    fd = fd.sort_values("range", ascending=False, kind="stable").reset_index(drop=True)
    evo = docs.groupby(["economy", "year"]).agg(
        n_docs=("doc_id", "count"), polarity=("polarity", "mean"), subjectivity=("subjectivity", "mean"),
        **{f: (f, "mean") for f in FRAMES}).reset_index()
    cps = []
    for e in econs:
        ev = evo[evo.economy == e].sort_values("year")
        years = ev.year.tolist()
        for y in change_points(ev[[*FRAMES, "polarity"]].values, years):
            before = ev[ev.year < y]
            after = ev[ev.year >= y]
            delta = (after[list(FRAMES)].mean() - before[list(FRAMES)].mean())
            cps.append({"economy": e, "year": int(y), "largest_shift_frame": str(delta.abs().idxmax()),
                        "shift": float(delta[delta.abs().idxmax()]),
                        "polarity_shift": float(after.polarity.mean() - before.polarity.mean())})
    meta = {"n_documents_in_warehouse": int(meta_row[0]), "first_date": str(meta_row[1]),
            "last_date": str(meta_row[2]), "lexicon_version": meta_row[3], "by": by,
            "shared_min_share": SHARED_MIN, "bootstrap": f"{N_BOOT} resamples over documents, seed 0",
            "distance": "Jensen-Shannon distance (base 2) between frame profiles",
            "synthetic_documents": int(docs.synthetic.fillna(False).sum())}
    return Findings(econs, docs, profile, sentiment, shared, dm, fd, evo, cps, evidence, meta,
                    shared_traits(profile, sentiment), second)


def _second_opinion(con, econs: list[str]):
    """Embedding path vs lexicon path per economy, when ``add --embed`` stored embedding scores:
    sentences embedded, top-frame agreement (sentences with a lexicon frame), the embedding path's most
    frequent frame, and mean embedding polarity (cos(pos) - cos(neg), relative) over documents."""
    from critmin.discourse import store

    if not econs or not con.execute("select count(*) from information_schema.tables where table_name = ?",
                                    [store.EMBED]).fetchone()[0]:
        return None
    ph = ", ".join("?" for _ in econs)
    df = con.execute(f"""
        with j as (
            select d.economy, s.doc_id, s.top_frame, e.emb_top_frame, e.emb_polarity
            from discourse_sentences s join discourse_documents d using (doc_id)
            join {store.EMBED} e on e.doc_id = s.doc_id and e.sent_idx = s.sent_idx
            where d.economy in ({ph})),
        per_doc as (select economy, doc_id, avg(emb_polarity) as emb_polarity from j group by all),
        pol as (select economy, avg(emb_polarity) as emb_polarity from per_doc group by all),
        counts as (select economy, emb_top_frame, count(*) as n from j group by economy, emb_top_frame),
        top as (select economy, emb_top_frame,
                       row_number() over (partition by economy order by n desc, emb_top_frame) as rn
                from counts),
        agg as (select economy, count(*) as n_sentences_embedded,
                       avg(case when top_frame = emb_top_frame then 1.0 else 0.0 end)
                           filter (where top_frame <> 'none') as frame_agreement
                from j group by all)
        select agg.economy, agg.n_sentences_embedded, agg.frame_agreement,
               top.emb_top_frame as emb_most_frequent_frame, pol.emb_polarity
        from agg join top on top.economy = agg.economy and top.rn = 1 join pol on pol.economy = agg.economy
        order by agg.economy""", econs).df()
    return None if df.empty else df


SECURITISED_MIN = 0.15
RESTRAINED_MAX = 0.4


def shared_traits(profile, sentiment) -> list[dict]:
    """The three shared traits seed 004 names, tested on the data: securitisation (security + risk share
    >= 0.15 in every economy), green transition (a shared frame) and a restrained tone (|mean polarity| <
    0.4 in every economy)."""
    sec = profile["security"] + profile["risk"]
    pol = sentiment.set_index("economy").polarity
    return [
        {"trait": "securitisation", "holds": bool((sec >= SECURITISED_MIN).all()),
         "rule": f"security + risk share >= {SECURITISED_MIN} in every economy",
         "values": {k: round(float(v), 3) for k, v in sec.items()}},
        {"trait": "green_transition", "holds": bool((profile["green_transition"] >= SHARED_MIN).all()),
         "rule": "green_transition share >= 1/16 in every economy",
         "values": {k: round(float(v), 3) for k, v in profile["green_transition"].items()}},
        {"trait": "restrained_tone", "holds": bool((pol.abs() < RESTRAINED_MAX).all()),
         "rule": f"|mean polarity| < {RESTRAINED_MAX} in every economy",
         "values": {k: round(float(v), 3) for k, v in pol.items()}},
    ]


def _evidence(con, econs: list[str]) -> list[dict]:
    """Top sentences per economy and frame (by frame score), and the most positive/negative/subjective."""
    if not econs:
        return []
    ph = ", ".join("?" for _ in econs)
    base = f"""select d.economy, d.title, d.date, d.doc_id, s.sent_idx, s.sentence, s.language, s.polarity,
                      s.subjectivity, s.terms, {{score}} as score
               from discourse_sentences s join discourse_documents d using (doc_id)
               where d.economy in ({ph}) and {{cond}}
               qualify row_number() over (partition by d.economy order by {{score}} {{order}}, s.doc_id,
                                          s.sent_idx) <= {N_EVIDENCE}"""
    out = []
    specs = [(f"frame:{f}", f, f"{f} > 0", "desc") for f in FRAMES]
    specs += [("polarity:positive", "polarity", "polarity > 0", "desc"),
              ("polarity:negative", "polarity", "polarity < 0", "asc"),
              ("subjectivity:high", "subjectivity", "subjectivity > 0", "desc")]
    for kind, score, cond, order in specs:
        df = con.execute(base.format(score=score, cond=cond, order=order), econs).df()
        for r in _records(df):
            out.append({"kind": kind, **r})
    return out


# ---------------------------------------------------------------- rendering

def _figures(f: Findings, lang: str):
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    from critmin.i18n import t

    figs = []
    radar = go.Figure()
    for e in f.economies:
        vals = f.profile.loc[e, list(FRAMES)].tolist()
        radar.add_trace(go.Scatterpolar(r=vals + vals[:1], theta=list(FRAMES) + [FRAMES[0]], name=e, fill="toself",
                                        opacity=0.55))
    radar.update_layout(title=t("discourse.report.radar", lang), polar={"radialaxis": {"tickformat": ".0%"}})
    figs.append(("radar", radar))

    heat = go.Figure(go.Heatmap(z=f.profile.values, x=list(FRAMES), y=f.economies, colorscale="Blues",
                                text=[[f"{v:.0%}" for v in row] for row in f.profile.values], texttemplate="%{text}"))
    heat.update_layout(title=t("discourse.report.shared", lang, frames=", ".join(f.shared) or "-"))
    figs.append(("shared", heat))

    div = make_subplots(rows=1, cols=2, subplot_titles=(t("discourse.report.js", lang),
                                                        t("discourse.report.frame_range", lang)))
    dm = f.divergence_matrix
    div.add_trace(go.Heatmap(z=dm.values, x=list(dm.columns), y=list(dm.index), colorscale="Reds", zmin=0,
                             text=[[f"{v:.2f}" for v in row] for row in dm.values], texttemplate="%{text}",
                             showscale=False), 1, 1)
    div.add_trace(go.Bar(x=f.frame_divergence.frame, y=f.frame_divergence["range"], name="max - min share",
                         marker_color="#b22222"), 1, 2)
    div.update_layout(title=t("discourse.report.divergence", lang), showlegend=False)
    figs.append(("divergence", div))

    s = f.sentiment
    scat = go.Figure(go.Scatter(
        x=s.polarity, y=s.subjectivity, mode="markers+text", text=s.economy,
        textposition=["top right" if i % 2 else "bottom left" for i in range(len(s))],
        marker={"size": 12},
        error_x={"type": "data", "symmetric": False, "array": s.polarity_hi - s.polarity,
                 "arrayminus": s.polarity - s.polarity_lo},
        error_y={"type": "data", "symmetric": False, "array": s.subjectivity_hi - s.subjectivity,
                 "arrayminus": s.subjectivity - s.subjectivity_lo}))
    scat.update_layout(title=t("discourse.report.scatter", lang), xaxis_title="polarity (mean over documents)",
                       yaxis_title="subjectivity (mean over documents)")
    figs.append(("sentiment", scat))

    evo = make_subplots(rows=2, cols=1, shared_xaxes=True, subplot_titles=("polarity", "security + risk share"))
    for e in f.economies:
        ev = f.evolution[f.evolution.economy == e].sort_values("year")
        evo.add_trace(go.Scatter(x=ev.year, y=ev.polarity, mode="lines+markers", name=e, legendgroup=e), 1, 1)
        evo.add_trace(go.Scatter(x=ev.year, y=ev.security + ev.risk, mode="lines+markers", name=e, legendgroup=e,
                                 showlegend=False), 2, 1)
    for cp in f.change_points:
        evo.add_vline(x=cp["year"] - 0.5, line_dash="dot", line_color="grey")
        evo.add_annotation(x=cp["year"] - 0.5, y=1.02, yref="paper", showarrow=False,
                           text=f"{cp['economy']} {cp['year']}", font={"size": 10})
    evo.update_layout(title=t("discourse.report.evolution", lang))
    figs.append(("evolution", evo))
    return figs


def _table(df, cols=None, fmt="{:.3f}") -> str:
    cols = cols or list(df.columns)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in cols)
    body = []
    for _, r in df[cols].iterrows():
        cells = []
        for c in cols:
            v = r[c]
            cells.append(f"<td>{fmt.format(v)}</td>" if isinstance(v, float) else f"<td>{html.escape(str(v))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def render_html(f: Findings, lang: str = "en") -> str:
    import pandas as pd
    import plotly.io as pio

    from critmin.i18n import t

    parts = []
    for name, fig in _figures(f, lang):
        fig.update_layout(template="plotly_white", height=480)
        parts.append(f'<section id="{name}">' + pio.to_html(fig, full_html=False, include_plotlyjs=False,
                                                           div_id=f"fig-{name}") + "</section>")
    prof = f.profile.reset_index()
    ev = pd.DataFrame(f.evidence)
    ev_html = []
    for e in f.economies:
        sub = ev[ev.economy == e] if not ev.empty else ev
        ev_html.append(f"<h3>{html.escape(e)}</h3>")
        if not sub.empty:
            sub = sub.assign(date=sub.date.astype(str).str[:10])
            ev_html.append(_table(sub, ["kind", "score", "sentence", "title", "date", "terms"]))
    cps = pd.DataFrame(f.change_points)
    synthetic = f.meta.get("synthetic_documents", 0)
    note = t("discourse.report.synthetic_note", lang, n=synthetic) if synthetic else ""
    css = ("body{font-family:system-ui,'Noto Sans CJK SC',sans-serif;margin:2em;max-width:1200px}"
           "table{border-collapse:collapse;font-size:0.85em;margin:0.5em 0 1.5em}"
           "td,th{border:1px solid #ddd;padding:3px 6px;vertical-align:top}th{background:#f3f3f3}"
           ".note{color:#8a4b00}")
    body = [
        f"<h1>{html.escape(t('discourse.report.title', lang))}</h1>",
        f"<p>{html.escape(t('discourse.report.meta', lang, n=len(f.documents), econ=', '.join(f.economies), version=f.meta.get('lexicon_version')))}</p>",
        f'<p class="note">{html.escape(note)}</p>' if note else "",
        parts[0],
        f"<h2>{html.escape(t('discourse.report.profile_table', lang))}</h2>", _table(prof),
        parts[1],
        f"<p>{html.escape(t('discourse.report.shared', lang, frames=', '.join(f.shared) or '-'))}</p>",
        f"<h2>{html.escape(t('discourse.report.traits', lang))}</h2>",
        _table(pd.DataFrame([{**{k: v for k, v in tr.items() if k != "values"},
                              "values": ", ".join(f"{k} {v:.3f}" for k, v in tr["values"].items())}
                             for tr in f.traits])) if f.traits else "",
        parts[2], _table(f.frame_divergence), _table(f.divergence_matrix.reset_index()),
        parts[3], _table(f.sentiment),
        parts[4],
        (f"<h2>{html.escape(t('discourse.report.second_opinion', lang))}</h2>" + _table(f.second_opinion))
        if f.second_opinion is not None else "",
        f"<h2>{html.escape(t('discourse.report.change_points', lang))}</h2>",
        _table(cps) if not cps.empty else "<p>-</p>",
        f"<h2>{html.escape(t('discourse.report.evidence', lang))}</h2>", *ev_html,
        f"<h2>{html.escape(t('discourse.report.method', lang))}</h2><pre>{html.escape(__doc__ or '')}</pre>",
    ]
    from critmin.html import environment, page_context

    # the family's page frame; plotly.js from the shared file write_report puts beside the page
    return environment().get_template("base.html.j2").render(
        body=f"<style>{css}</style>" + "\n".join(body[1:]),
        **page_context(t("discourse.report.title", lang), lang))


def write_report(f: Findings, out: str, fmt: str = "html", lang: str = "en") -> str:
    """Write the report atomically (temp file + os.replace); returns the path."""
    import json

    from critmin.atomic import write_text

    text = render_html(f, lang) if fmt == "html" else json.dumps(f.to_dict(), ensure_ascii=False, indent=2)
    path = write_text(out, text)
    if fmt == "html":
        from critmin.html import write_asset

        write_asset(path.parent)  # the page's plotly.js, shared by every page in the folder
    return str(path)
