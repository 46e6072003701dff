"""A naive reference implementation of the engine: one Python loop per draw, per month and per importer,
with the capped proportional allocation found by iterative redistribution instead of the vectorised
breakpoint inversion. Used by the tests (independent check of :mod:`critmin.stress.engine`) and by
bench/bench_stress.py (the speed reference). Not for production use.
"""

from __future__ import annotations

import math

import numpy as np

from critmin.stress.engine import DAYS_PER_MONTH, Network


def _waterfill(gaps: list[float], weights: list[float], pool: float) -> list[float]:
    """Share ``pool`` in proportion to ``weights`` without giving anyone more than its gap."""
    n = len(gaps)
    got = [0.0] * n
    open_ = [k for k in range(n) if weights[k] > 0 and gaps[k] > 0]
    left = min(pool, sum(gaps[k] for k in open_))
    while open_ and left > 1e-12 * max(1.0, pool):
        wsum = sum(weights[k] for k in open_)
        capped = []
        given = 0.0
        for k in open_:
            want = left * weights[k] / wsum
            room = gaps[k] - got[k]
            if want >= room:
                got[k] += room
                given += room
                capped.append(k)
        if not capped:
            for k in open_:
                got[k] += left * weights[k] / wsum
            break
        left -= given
        open_ = [k for k in open_ if k not in capped]
    return got


def simulate_one(net: Network, p: dict[str, float], stock_days: list[float]) -> dict[str, np.ndarray]:
    """One draw: returns (I, M) arrays shortfall_t, stock_t, replacement_t and (I,) stockout_month."""
    ni, m = len(net.importers), net.months
    b = net.weights().tolist()
    x = net.exposure
    dem = net.demand
    act = net.active
    dbar = [float(dem[:, i].mean()) for i in range(ni)]
    btot = sum(b)
    stock = [stock_days[i] / DAYS_PER_MONTH * dbar[i] for i in range(ni)]
    stock0 = list(stock)
    short = np.zeros((ni, m))
    stk = np.zeros((ni, m))
    rep = np.zeros((ni, m))
    stockout = [math.inf] * ni
    cut = p["cut"]
    for t in range(m):
        k = t - net.start + 1.0
        gaps = [cut * x[t, i] * act[t] for i in range(ni)]
        pool = 0.0
        if act[t]:
            ramp = min(1.0, max(0.0, k / max(p["ramp_months"], 1e-9)))
            pool = p["spare_share"] * ramp * btot
            if "ramp_cap_per_year" in p:
                pool = min(pool, max(k, 0.0) / 12.0 * p["ramp_cap_per_year"] * float(dem[t].sum()))
        got = _waterfill(gaps, b, pool)
        for i in range(ni):
            n = gaps[i] - got[i]
            sub_cap = p["substitution_ceiling"] * dbar[i] * min(1.0, max(0.0, (k - p["substitution_lag_months"]) / 12))
            rec_cap = p["recycling_ceiling"] * dbar[i] * min(1.0, max(0.0, (k - p["recycling_lag_months"]) / 12))
            if net.order == "stock_first":
                draw = min(stock[i], n)
                rem = n - draw
                sub = min(rem, sub_cap)
                rem -= sub
                rec = min(rem, rec_cap)
                rem -= rec
            else:
                sub = min(n, sub_cap)
                rem = n - sub
                rec = min(rem, rec_cap)
                rem -= rec
                draw = min(stock[i], rem)
                rem -= draw
            stock[i] = max(0.0, stock[i] - draw)
            if math.isinf(stockout[i]) and stock[i] <= 1e-12 * (1 + stock0[i]) and n - sub - rec > 1e-12:
                stockout[i] = k
            short[i, t] = rem
            stk[i, t] = stock[i]
            rep[i, t] = got[i]
    return {"shortfall_t": short, "stock_t": stk, "replacement_t": rep, "stockout_month": np.array(stockout)}


def simulate_loop(net: Network, p: dict[str, np.ndarray], stock_days: np.ndarray) -> dict[str, np.ndarray]:
    """All draws, one at a time: arrays shaped like the engine's (D, I, M)."""
    d = len(p["cut"])
    outs = []
    for k in range(d):
        pk = {name: float(v[k]) for name, v in p.items()}
        outs.append(simulate_one(net, pk, list(np.broadcast_to(stock_days[k], (len(net.importers),)))))
    return {key: np.stack([o[key] for o in outs]) for key in outs[0]}
