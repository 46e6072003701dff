"""Backtest 2010–2012, "the law as it worked": a quota is a ceiling on legal exports, not a cut of the flow.

The engine backtest (:mod:`critmin.stress.backtest`) withholds 30–50 % of China's 2009 flows. What the law
did was different, and this variant models that instead:

1. **Ceiling.** China's legal exports in year y cannot exceed the quota Q_y (MOFCOM allocations, in
   ``data/backtest_2010_anchors.yaml``) plus, in the first year, a share ``carry_over`` of the previous
   year's unused quota (2010 exports exceeded the 2010 quota by China's own count; MOFCOM did not explain,
   the press suggested 2009 allocations still in use). China's statistics and the importers' (BACI) differ
   in coverage and by unrecorded trade, so the ceiling is carried into BACI tonnes with the 2009 ratio
   λ = BACI China exports 2009 / China-reported exports 2009 (the latter derived from MOFCOM's Jan–Nov 2010
   figure and its year-on-year change). λ is the only number taken from trade data, and it comes from the
   year before the shock, never from a scored year.
2. **Leakage.** Smuggling beyond the quota adds a share ``leakage`` of the ceiling (ASSUMPTION range).
3. **Demand for China's material.** Without the quota, buyers would have taken China's exports of
   ``demand_year`` (default 2008: 2009 was the recession trough, China's exports fell 36 % that year; 2009 is
   reported as a sensitivity), less substitution and thrifting that grows by ``substitution_per_year`` of
   demand per year from the second year (Sprecher et al. 2017: ~10 % of demand per year), plus a
   precautionary stock of ``stock_days`` of demand built in the first year and drawn down in the third
   (Sprecher et al. 2017: stockpiling played a distinct role; recovery took about two years).
4. **Price.** When that demand exceeds the ceiling, China ships the ceiling and the price rises until the
   market clears: P = (ceiling / demand)^(−1 / (ε_s − ε_d)), the constant-elasticity form (the engine's
   Δp/p = s / (ε_s − ε_d) is its first-order approximation and fails for a large shortage s). China supplied
   ~95 % of the world's rare earths, so its shortfall is the market's. Otherwise China ships the demand and
   the price does not move: the quota then cuts nothing.
5. **Others' response** to that price: non-Chinese exporters raise shipments by a factor P^ε_s.
6. **Japan's informal halt** (21 Sep–20 Nov 2010, Global Trade Alert) removes that share of Japan's 2010
   imports from China, of which ``japan_halt_catchup`` is shipped later in the year.

Each importer keeps its 2009 split between China and the others: imports = from-China × shipped / China's
2009 exports × halt + from-others × P^ε_s. Nothing here is fitted to 2010–2012: the mechanisms and ranges come from the sources named, but they
were chosen by someone who had seen the 2010–2012 figures (there is one episode and no period to hold out).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from critmin.stress.params import Triangular, Uniform

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

QS = (10, 50, 90)

PARAMETERS: dict[str, tuple[Any, str]] = {
    "leakage": (Uniform(dist="uniform", low=0.0, high=0.3),
                "ASSUMPTION: unrecorded exports beyond the quota, as a share of the ceiling"),
    "elasticity_demand": (Uniform(dist="uniform", low=-0.3, high=-0.05),
                          "[U] short-run, minor metals and REE (methods brief §6.5; Dahl 2020 survey)"),
    "elasticity_supply": (Uniform(dist="uniform", low=0.05, high=0.3), "[U] methods brief §6.5"),
    "japan_halt_catchup": (Uniform(dist="uniform", low=0.0, high=1.0),
                           "ASSUMPTION: share of the halted Japan-bound shipments sent later in 2010"),
    "carry_over": (Uniform(dist="uniform", low=0.0, high=1.0),
                   "ASSUMPTION: share of the previous year's unused quota still used in the first year"),
    "substitution_per_year": (Uniform(dist="uniform", low=0.05, high=0.10),
                              "Sprecher et al. 2017 [C]: substitution ~10 % of demand per year"),
    "stock_days": (Triangular(dist="triangular", low=30, mode=60, high=90),
                   "[U] firm inventories 1-3 months; Japan's stockpile target 60 days (methods brief §6.5)"),
}


@dataclass
class LawBacktest:
    importers: pd.DataFrame
    suppliers: pd.DataFrame
    prices: pd.DataFrame
    errors: pd.DataFrame
    meta: dict[str, Any]
    from_china: pd.DataFrame | None = None  # China's exports by destination (law model only)


def _china_reported_2009(anchors) -> tuple[float, str]:
    """China-reported 2009 exports, derived: Jan–Nov 2010 level / (1 + yoy) × 12/11."""
    from critmin.stress.backtest_data import period_months

    r = next(x for x in anchors.china_reported if x.period.startswith("2010-01"))
    n = period_months(r.period)
    v = r.qty_t / (1 + r.yoy_pct / 100) * 12 / n
    return v, (f"[D] {r.qty_t:,.0f} t in {r.period} / (1 {r.yoy_pct:+g} %) x 12/{n} "
               f"(source {r.source})")


def _uv_ratios(wh, hs6: list[str], base_year: int, years: list[int]) -> dict[int, float]:
    """Unit value of China's exports (value / tonnes, BACI) relative to ``base_year``: a price index [D]."""
    from critmin.stress.network import placeholders

    rows = wh.sql(f"select year, sum(value_kusd) / sum(qty_t) from trade where exporter = 'CHN' and qty_t > 0 "
                  f"and hs6 in ({placeholders(hs6)}) and year between ? and ? group by year",
                  [*hs6, base_year, max(years)]).fetchall()
    uv = {int(y): float(v) for y, v in rows}
    return {y: uv[y] / uv[base_year] for y in years if y in uv}


def _engine_and_prices(wh, draws: int, seed: int, engine):
    """The engine backtest (``engine``, run here when not given) whose importer-years both models are scored
    on, and BACI's unit-value index of China's exports over its years."""
    from critmin.stress.backtest import backtest_2010

    bt = engine if engine is not None else backtest_2010(wh, draws=draws, seed=seed)
    return bt, _uv_ratios(wh, bt.meta["hs6"], bt.meta["baseline_year"], bt.meta["years"])


def _importer_row(r, m: np.ndarray) -> dict:
    """One importer-year: the model's draws ``m`` against BACI and against nothing changes."""
    q = np.percentile(m, QS)
    actual = float(r["actual_t"])
    return {"importer": r["importer"], "year": int(r["year"]), "baseline_t": r["baseline_t"], "model_t_p10": q[0],
            "model_t_p50": q[1], "model_t_p90": q[2], "actual_t": actual,
            "error_pct": 100 * (q[1] - actual) / actual, "in_band": bool(q[0] <= actual <= q[2]),
            "baseline_error_pct": 100 * (r["baseline_t"] - actual) / actual}


def _price_rows(price_of, uv: dict[int, float], years: list[int], anchors):
    """Price checks: the model's price (``price_of(element or None, year)`` -> draws) against BACI's unit value
    each year and against each cited price episode (at the year of BACI's peak unit value)."""
    import pandas as pd

    from critmin.stress.backtest_score import price_check

    def row(year, what, actual, draws):
        q = np.percentile(draws, QS)
        chk = price_check(q[1], actual)
        return {"year": year, "what": what, "actual_ratio": actual, "model_p10": q[0], "model_p50": q[1],
                "model_p90": q[2], "log10_gap": chk["log10_gap"], "direction_right": chk["direction_right"],
                "order_of_magnitude_right": chk["order_of_magnitude_right"]}

    rows = [row(y, "BACI unit value of China's exports vs 2009 [D]", uv[y], price_of(None, y)) for y in years
            if y in uv]
    peak = max(years, key=lambda y: uv.get(y, 0))
    rows += [row(pr.to_date, f"{pr.element}: {pr.product}, {pr.from_date}->{pr.to_date} ({pr.source})", pr.ratio,
                 price_of(pr.element, peak)) for pr in anchors.prices]
    return pd.DataFrame(rows)


def _errors(imp, sup, prices):
    import pandas as pd

    from critmin.stress.backtest_score import pct_errors

    mape, mape0, sk = pct_errors(imp)
    rows = [
        {"measure": "importer supply: mean absolute % error of P50", "value": mape},
        {"measure": "reference: nothing changes (2009 imports) mean absolute % error", "value": mape0},
        {"measure": "skill vs nothing changes (goal >= 0.30)", "value": sk},
        {"measure": "importer supply: share of importer-years inside P10-P90", "value": float(imp["in_band"].mean())},
    ]
    if len(sup):
        rows += [{"measure": "China's deliveries: mean absolute % error of P50",
                  "value": float(sup["china_error_pct"].abs().mean())},
                 {"measure": "other suppliers' extra deliveries: mean absolute error (t/yr)",
                  "value": float((sup["others_extra_model_t_p50"] - sup["others_extra_actual_t"]).abs().mean())}]
    rows += [{"measure": "prices: direction right (share of checks)", "value": float(prices["direction_right"].mean())},
             {"measure": "prices: order of magnitude right (share of checks)",
              "value": float(prices["order_of_magnitude_right"].mean())}]
    return pd.DataFrame(rows)


def backtest_2010_law(warehouse=None, *, draws: int = 2000, seed: int = 0, demand_year: int = 2008,
                      engine=None) -> LawBacktest:
    """Score the quota-as-ceiling model on the same importer-years as the engine backtest (``engine``, run
    here when not given), against the same baseline."""
    import pandas as pd

    from critmin.stress.backtest_data import load_anchors
    from critmin.stress.backtest_params import draw, listed
    from critmin.warehouse.handle import using

    with using(warehouse) as wh:
        bt, uv = _engine_and_prices(wh, draws, seed, engine)
    base_year, years = bt.meta["baseline_year"], bt.meta["years"]
    anchors = load_anchors()
    quota = {q.year: q.quota_t for q in anchors.quotas}
    reported09, reported_how = _china_reported_2009(anchors)
    h = bt.history.set_index(["importer", "year"])
    china09 = float(h.loc[("__world__", base_year), "actual_from_supplier_t"])
    world09 = float(h.loc[("__world__", base_year), "actual_t"])
    others09 = world09 - china09
    lam = china09 / reported09
    if ("__world__", demand_year) not in h.index:
        from critmin.errors import UsageError

        raise UsageError(f"no BACI flows for the demand year {demand_year}")
    demand = float(h.loc[("__world__", demand_year), "actual_from_supplier_t"])
    p = draw(PARAMETERS, draws, seed)
    eps = p["elasticity_supply"] - p["elasticity_demand"]
    halt = next((x for x in anchors.destination_halts if x.destination == "JPN"), None)
    shipped, price, others_factor, wanted = {}, {}, {}, {}
    stock = p["stock_days"] / 365 * demand
    prev_unused = max(0.0, quota.get(years[0] - 1, 0.0) - reported09)
    for k, y in enumerate(years):
        legal = quota[y] + (p["carry_over"] * prev_unused if k == 0 else 0.0)
        ceiling = lam * legal * (1 + p["leakage"])
        want = demand * (1 - p["substitution_per_year"] * k)
        want = want + (stock if k == 0 else -stock if k == 2 else 0.0)
        want = np.maximum(want, 0.0)
        x = np.minimum(ceiling, want)
        ratio = np.where(want > 0, x / np.maximum(want, 1e-9), 1.0)
        price[y] = np.clip(ratio, 1e-3, 1.0) ** (-1 / eps)
        shipped[y], wanted[y] = x, want
        others_factor[y] = price[y] ** p["elasticity_supply"]
    rows, china_rows = [], []
    for _, r in bt.importers.iterrows():
        name, y = r["importer"], int(r["year"])
        from_china = float(h.loc[(name, base_year), "actual_from_supplier_t"])
        from_others = float(h.loc[(name, base_year), "actual_t"]) - from_china
        hf = 1.0
        if halt is not None and name == halt.destination and halt.start.year == y:
            hf = 1 - halt.days / 365 * (1 - p["japan_halt_catchup"])
        m_china = from_china * shipped[y] / china09 * hf
        m = m_china + from_others * others_factor[y]
        rows.append(_importer_row(r, m))
        actual_china = float(h["actual_from_supplier_t"].get((name, y), np.nan))
        china_rows.append(_importer_row(pd.Series({"importer": name, "year": y, "baseline_t": from_china,
                                                   "actual_t": actual_china}), m_china))
    imp = pd.DataFrame(rows)
    sup = []
    for _, r in bt.suppliers.iterrows():
        y = int(r["year"])
        qc, qe = np.percentile(shipped[y], QS), np.percentile(others09 * (others_factor[y] - 1), QS)
        sup.append({"year": y, "quota_t": quota[y], "china_wanted_t_p50": float(np.median(wanted[y])),
                    "china_model_t_p10": qc[0], "china_model_t_p50": qc[1], "china_model_t_p90": qc[2],
                    "china_actual_t": r["supplier_actual_t"],
                    "china_error_pct": 100 * (qc[1] - r["supplier_actual_t"]) / r["supplier_actual_t"],
                    "others_extra_model_t_p10": qe[0], "others_extra_model_t_p50": qe[1],
                    "others_extra_model_t_p90": qe[2], "others_extra_actual_t": r["others_extra_actual_t"]})
    sup = pd.DataFrame(sup)
    prices = _price_rows(lambda element, y: price[y], uv, years, anchors)
    errs = _errors(imp, sup, prices)
    by_dest = pd.DataFrame(china_rows)
    from critmin.stress.backtest_score import pct_errors

    mape_c, mape_c0, sk_c = pct_errors(by_dest)
    errs = pd.concat([errs, pd.DataFrame([
        {"measure": "China's exports by destination: mean absolute % error of P50", "value": mape_c},
        {"measure": "China's exports by destination: nothing changes, mean absolute % error", "value": mape_c0},
        {"measure": "China's exports by destination: skill vs nothing changes", "value": sk_c},
    ])], ignore_index=True)
    meta = {"baseline_year": base_year, "years": years, "demand_year": demand_year, "draws": draws, "seed": seed,
            "lambda": lam, "lambda_how": f"BACI China 2009 {china09:,.0f} t / China-reported 2009 {reported09:,.0f} t",
            "china_reported_2009_how": reported_how, "demand_t": demand, "quota_t": quota,
            "parameters": listed(PARAMETERS),
            "calibration": "lambda from 2009 (pre-shock) only; nothing fitted to 2010-2012"}
    return LawBacktest(imp, sup, prices, errs, meta, by_dest)


def backtest_2010_chain(warehouse=None, *, draws: int = 2000, seed: int = 0, engine=None) -> LawBacktest:
    """The chain model's quota regime (``critmin.stress.chain.run_chain``, shock from the KB measure
    ``chn-2010-ree-quota-cut`` with the 2010 quota, its own defaults for utilisation, leakage, stocks and
    prices) scored on the same importer-years and price checks.

    The chain reads its own stage flows (hub rule, groups merged), so its baseline use of an importer can
    differ from the engine's: each importer's prediction is its BACI 2009 imports × the chain's delivered /
    use ratio for that year (oxide + metal stages, the three HS codes). Prices: the chain's price index of
    the good the anchor names (Dy -> dytb, Nd -> ndpr, BACI's unit value -> other, the bulk of the tonnage),
    averaged over the year at Japan's node (the index is a world-market figure)."""
    import pandas as pd

    from critmin.stress.backtest_data import load_anchors
    from critmin.stress.backtest_params import chain_listed
    from critmin.stress.chain import run_chain, shock_from_measure
    from critmin.warehouse.handle import using

    anchors = load_anchors()
    quota = {q.year: q.quota_t for q in anchors.quotas}
    with using(warehouse) as wh:
        bt, uv = _engine_and_prices(wh, draws, seed, engine)
        base_year, years = bt.meta["baseline_year"], bt.meta["years"]
        shock = shock_from_measure("chn-2010-ree-quota-cut",
                                   regime={"kind": "quota", "quota_t_per_year": quota[years[0]]})
        names = list(dict.fromkeys(bt.importers["importer"]))
        res = run_chain(shock, names, year=base_year, draws=draws, seed=seed, weeks=52 * len(years),
                        warehouse=wh, keep_draws=True)
    ws = res.weekly[["week", "week_start"]].drop_duplicates().sort_values("week")
    year_of = np.array([pd.Timestamp(x).year for x in ws["week_start"]])
    keys = [k for k in res.draws_data if len(k) == 4]

    def yearly(node: str, metric: str, y: int) -> np.ndarray:
        a = sum(res.draws_data[k] for k in keys if k[0] == node and k[1] in ("oxide", "metal") and k[3] == metric)
        return np.asarray(a[:, year_of == y], dtype=np.float64).sum(axis=1)

    rows = []
    for _, r in bt.importers.iterrows():
        y = int(r["year"])
        use = yearly(r["importer"], "use_t", y)
        ratio = np.divide(yearly(r["importer"], "delivered_t", y), use, out=np.ones_like(use), where=use > 0)
        rows.append(_importer_row(r, r["baseline_t"] * ratio))
    imp = pd.DataFrame(rows)
    good = {None: "other", "Dy": "dytb", "Nd": "ndpr"}

    def price_of(element, y):
        a = res.draws_data[(names[0], "oxide", good.get(element, "other"), "price_index")]
        return np.asarray(a[:, year_of == y], dtype=np.float64).mean(axis=1)

    prices = _price_rows(price_of, uv, years, anchors)
    sup = pd.DataFrame()
    errs = _errors(imp, sup, prices)
    params = chain_listed(res.assumptions, skip=("sector.", "capacity.magnet"))
    meta = {"model": "chain", "baseline_year": base_year, "years": years, "draws": draws, "seed": seed,
            "quota_t": quota, "notes": res.meta.get("notes"), "parameters": params,
            "calibration": "chain defaults (chains.yaml); nothing fitted to 2010-2012 here"}
    return LawBacktest(imp, sup, prices, errs, meta)
