"""Backtest: the 2010 rare-earth episode on the 2009 network, against the actual BACI flows of 2010–2012.

China cut its 2010 rare-earth export quota by about 40 % against 2009 (methods_brief §6.2; seed 002 carries
the same figure). The engine runs ``scenarios/backtest_2010.yaml`` (cut uniform 0.3–0.5 for 36 months on the
2009 flows of HS 280530, 284610, 284690) and we compare, per calendar year:

* each importer's imports received (model: baseline − withheld + replacement) with its actual imports;
* the shocked supplier's deliveries (model: baseline × (1 − cut)) with China's actual exports;
* the other suppliers' extra deliveries (model: replacement delivered) with the actual change of
  non-Chinese exports against the baseline year.

Imports received do not depend on stocks, substitution or recycling (those act after the border), so this
part of the model is tested without them.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

import numpy as np

from critmin.errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

QS = (10, 50, 90)


@dataclass
class Backtest:
    importers: pd.DataFrame
    suppliers: pd.DataFrame
    errors: pd.DataFrame
    history: pd.DataFrame  # actual imports per node and year, baseline − 1 … baseline + 4
    meta: dict[str, Any]


def _scenario(baseline_year: int, shock_year: int, importers: list[str] | None, draws: int, seed: int):
    """The bundled backtest scenario on another baseline/shock year, draws and seed, validated like any
    scenario file (so a negative seed or a start month beyond the bounds is an InputError, not a crash)."""
    from critmin.datafile import read_yaml
    from critmin.errors import UsageError
    from critmin.stress.scenario import parse_scenario

    f = str(resources.files("critmin.stress") / "scenarios" / "backtest_2010.yaml")
    data = read_yaml(f, InputError, "the backtest scenario")
    data["baseline"]["year"] = baseline_year
    lead = shock_year - baseline_year - 1  # whole years between the baseline and the shock
    if lead < 0:
        raise UsageError(f"the shock year ({shock_year}) must come after the baseline year ({baseline_year})")
    data["shock"]["start_month"] = 12 * lead + 1
    data["horizon_months"] = 12 * lead + data["shock"]["duration_months"]
    if importers:
        data["importers"] = list(importers)
    data["draws"], data["seed"] = draws, seed
    return parse_scenario(data, f)


def _actual(wh, res, years: list[int], node_members: dict[str, list[str]]):
    """Actual imports per node and year (intra-node flows dropped), from China and from all."""
    import pandas as pd

    from critmin.stress.network import read_trade

    node_of = {m: n for n, ms in node_members.items() for m in ms}
    rows = []
    sup = set(res.supplier_members)
    for y in years:
        tr = read_trade(wh, res.hs6, y)
        tr = tr[tr["qty_t"].notna()]
        tr["node"] = tr["importer"].map(lambda c: node_of.get(c, c))
        tr = tr[tr["exporter"].map(lambda c: node_of.get(c, "\0")) != tr["node"]]
        g = tr.assign(from_sup=np.where(tr["exporter"].isin(sup), tr["qty_t"], 0.0)).groupby("node")
        agg = g.agg(actual_t=("qty_t", "sum"), actual_from_supplier_t=("from_sup", "sum")).reset_index()
        agg["year"] = y
        rows.append(agg)
        world = tr["qty_t"].sum()
        sup_exports = tr.loc[tr["exporter"].isin(sup), "qty_t"].sum()
        rows.append(pd.DataFrame([{"node": "__world__", "actual_t": world, "actual_from_supplier_t": sup_exports,
                                   "year": y}]))
    return pd.concat(rows, ignore_index=True).rename(columns={"node": "importer"})


def backtest_2010(warehouse=None, *, draws: int = 2000, seed: int = 0, baseline_year: int = 2009,
                  shock_year: int = 2010, importers: list[str] | None = None, catalog=None) -> Backtest:
    """Run the 2010 episode on the ``baseline_year`` network and compare with BACI for 2010–2012.

    With an earlier baseline (e.g. 2008, before the 2009 slump) the shock starts in ``shock_year`` all the same.
    """
    from critmin.warehouse.handle import using

    sc = _scenario(baseline_year, shock_year, importers, draws, seed)
    with using(warehouse) as wh:  # one handle for the baseline and the actual flows
        return _backtest(wh, sc, draws, seed, baseline_year, shock_year, catalog)


def _backtest(wh, sc, draws: int, seed: int, baseline_year: int, shock_year: int, catalog) -> Backtest:
    import pandas as pd

    from critmin.stress import engine
    from critmin.stress.api import engine_params, make_network, prepare, report_idx
    from critmin.stress.params import describe

    res, base = prepare(sc, wh, catalog)
    net = make_network(sc, base)
    p = engine.sample_parameters(engine_params(sc, base.spare_param), draws, seed)
    market = engine.solve_market(net, p)
    idx = report_idx(net, res)
    out = engine.simulate_importers(net, p, market, idx)
    s0 = sc.shock.start_month - 1
    ny = sc.shock.duration_months // 12
    years = [shock_year + k for k in range(ny)]
    win = slice(s0, s0 + ny * 12)
    supply = out["supply_t"][:, :, win].reshape(draws, len(idx), ny, 12).sum(axis=3)  # (D, R, Y)
    base_imports = net.demand[:12].sum(axis=0)  # (I,)
    sup_base = float(base.annual[base.supplier].sum())
    china_model = sup_base - market.withheld[:, win].reshape(draws, ny, 12).sum(axis=2)  # (D, Y)
    extra_model = market.replaced[:, win].reshape(draws, ny, 12).sum(axis=2)  # (D, Y)
    act = _actual(wh, res, list(range(baseline_year - 1, years[-1] + 2)), base.node_members)
    a = act.set_index(["importer", "year"])
    rows = []
    for j, i in enumerate(idx):
        name = net.importers[i]
        for k, y in enumerate(years):
            q = np.percentile(supply[:, j, k], QS)
            actual = float(a["actual_t"].get((name, y), 0.0))
            rows.append({
                "importer": name, "year": y, "baseline_t": float(base_imports[i]),
                "model_t_p10": q[0], "model_t_p50": q[1], "model_t_p90": q[2], "actual_t": actual,
                "error_pct": 100.0 * (q[1] - actual) / actual if actual else np.nan,
                "in_band": bool(q[0] <= actual <= q[2]),
                "actual_change_pct": 100.0 * (actual / base_imports[i] - 1.0) if base_imports[i] else np.nan,
                "model_change_pct": 100.0 * (q[1] / base_imports[i] - 1.0) if base_imports[i] else np.nan,
            })
    imp = pd.DataFrame(rows)
    world_base = float(a["actual_t"].get(("__world__", baseline_year)))
    sup_rows = []
    for k, y in enumerate(years):
        world = float(a["actual_t"].get(("__world__", y)))
        china = float(a["actual_from_supplier_t"].get(("__world__", y)))
        others = world - china
        others_base = world_base - sup_base
        qc = np.percentile(china_model[:, k], QS)
        qe = np.percentile(extra_model[:, k], QS)
        sup_rows.append({
            "year": y, "supplier_baseline_t": sup_base,
            "supplier_model_t_p50": qc[1], "supplier_actual_t": china,
            "supplier_error_pct": 100.0 * (qc[1] - china) / china,
            "others_extra_model_t_p10": qe[0], "others_extra_model_t_p50": qe[1], "others_extra_model_t_p90": qe[2],
            "others_extra_actual_t": others - others_base,
        })
    sup = pd.DataFrame(sup_rows)
    errs = pd.DataFrame([
        {"measure": "importer supply: mean absolute % error of P50", "value": float(imp["error_pct"].abs().mean())},
        {"measure": "importer supply: median absolute % error of P50", "value": float(imp["error_pct"].abs().median())},
        {"measure": "reference: persistence (baseline unchanged) mean absolute % error",
         "value": float((100.0 * (imp["baseline_t"] - imp["actual_t"]) / imp["actual_t"]).abs().mean())},
        {"measure": "importer supply: share of importer-years inside P10-P90", "value": float(imp["in_band"].mean())},
        {"measure": "importer supply: direction of change right (share)",
         "value": float((np.sign(imp["model_change_pct"]) == np.sign(imp["actual_change_pct"])).mean())},
        {"measure": "supplier deliveries: mean absolute % error of P50",
         "value": float(sup["supplier_error_pct"].abs().mean())},
        {"measure": "other suppliers' extra deliveries: mean absolute error (t/yr)",
         "value": float((sup["others_extra_model_t_p50"] - sup["others_extra_actual_t"]).abs().mean())},
    ])
    hist = act[act["importer"].isin([net.importers[i] for i in idx] + ["__world__"])].copy()
    meta = {"baseline_year": baseline_year, "shock_year": shock_year, "years": years, "draws": draws, "seed": seed, "hs6": res.hs6,
            "spare_source": base.spare_source, "supplier_baseline_t": sup_base,
            "parameters": {k: describe(v) for k, v in engine_params(sc, base.spare_param).items()}}
    return Backtest(imp, sup, errs, hist, meta)


def write_backtest_chart(bt: Backtest | list[Backtest], path, offline: bool = False):
    """Model bands against actual flows, one panel per importer plus the suppliers' panel (HTML)."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    from critmin.stress.chart import add_band

    bts = bt if isinstance(bt, list) else [bt]
    first = bts[0]
    names = list(dict.fromkeys(first.importers["importer"]))
    panels = names + ["China's exports", "Other suppliers' extra exports vs baseline"]
    cols = 3
    rows = -(-len(panels) // cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=panels)
    colors = ["rgb(214,39,40)", "rgb(255,127,14)"]
    for n, name in enumerate(panels):
        r, c = n // cols + 1, n % cols + 1
        if name in names:
            h = first.history[first.history["importer"] == name].sort_values("year")
            fig.add_trace(go.Scatter(x=h["year"], y=h["actual_t"], mode="lines+markers", name="BACI actual",
                                     line={"color": "black"}, showlegend=n == 0), row=r, col=c)
        for b_i, b in enumerate(bts):
            label = f"model (baseline {b.meta['baseline_year']})"
            col = colors[b_i % len(colors)]
            if name in names:
                d = b.importers[b.importers["importer"] == name]
                x, lo, mid, hi = d["year"], d["model_t_p10"], d["model_t_p50"], d["model_t_p90"]
            elif name.startswith("China"):
                s = b.suppliers
                if b_i == 0:
                    fig.add_trace(go.Scatter(x=s["year"], y=s["supplier_actual_t"], mode="lines+markers",
                                             line={"color": "black"}, showlegend=False), row=r, col=c)
                x, lo, mid, hi = s["year"], s["supplier_model_t_p50"], s["supplier_model_t_p50"], s["supplier_model_t_p50"]
            else:
                s = b.suppliers
                if b_i == 0:
                    fig.add_trace(go.Scatter(x=s["year"], y=s["others_extra_actual_t"], mode="lines+markers",
                                             line={"color": "black"}, showlegend=False), row=r, col=c)
                x, lo, mid, hi = (s["year"], s["others_extra_model_t_p10"], s["others_extra_model_t_p50"],
                                  s["others_extra_model_t_p90"])
            add_band(fig, x, lo, mid, hi, row=r, col=c, fill=col.replace("rgb", "rgba").replace(")", ",0.2)"),
                     line=col, mid_name=label + " P50 (band P10–P90)", showlegend=n == 0, dash="dash")
        fig.update_yaxes(title_text="t/yr", row=r, col=c)
    fig.update_layout(title="Backtest of the 2010 rare-earth quota cut (HS 280530, 284610, 284690): model vs BACI",
                      height=360 * rows + 80, template="plotly_white", legend={"orientation": "h", "y": -0.05})
    if offline:  # plotly.js from one shared file beside the page
        from critmin.html import write_figure_page

        return write_figure_page(path, fig)
    from critmin.atomic import write_figure_html

    return write_figure_html(path, fig, offline)
