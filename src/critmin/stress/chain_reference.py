"""A naive per-draw, per-week implementation of :func:`critmin.stress.chain.propagate`, for tests and the
benchmark: plain Python floats and loops, one draw at a time, written from the equations in the chain module's
docstring rather than from the vectorised code."""

from __future__ import annotations

import numpy as np


def _good_one_draw(g, d: int, cut_row, ploss_row, stock_weeks: float, need: float | None, core) -> dict:
    weeks = len(cut_row)
    spare_share = float(core.spare_share[d])
    xs = g.x_cov * float(g.share_scale[d]) * float(g.covered_scale[d])
    use = g.m * float(g.share_scale[d]) + float(g.cap[d]) * (1.0 - spare_share)
    stock = stock_weeks * use
    share = float(g.claim[d]) / float(g.spare_total[d]) if g.spare_total[d] > 0 else 0.0
    eps = max(float(core.eps_s[d]) - float(core.eps_d[d]), 1e-9)
    keys = ("withheld_t", "production_loss_t", "replacement_t", "stock_draw_t", "substitution_t", "recycling_t",
            "demand_reduction_t", "shortfall_t", "price_index", "delivered_t", "terminal_shortfall_t")
    out = {k: [0.0] * weeks for k in keys}
    out["input_missing_share"] = [0.0] * weeks
    world_stock = float(g.world_stock[d]) if g.world_stock is not None else 0.0
    for w in range(weeks):
        k = float(core.wk_in[w])
        withheld = float(cut_row[w]) * xs
        ploss = float(ploss_row[w]) if ploss_row is not None else 0.0
        gap = withheld + ploss
        ramp = min(k / max(float(core.ramp_weeks[d]), 1e-9), 1.0)
        pool = min(ramp * float(g.spare_total[d]), float(core.growth_cap[d]) * k / 52.0 * g.world_imports)
        repl = min(gap, pool * share)
        n = gap - repl
        draw = min(n, stock)
        stock -= draw
        n -= draw
        sub = min(n, float(core.sub_ceiling[d]) * use * min(max((k - float(core.sub_lag[d])) / 52.0, 0.0), 1.0))
        n -= sub
        rec = min(n, float(core.rec_ceiling[d]) * use * min(max((k - float(core.rec_lag[d])) / 52.0, 0.0), 1.0))
        n -= rec
        world = float(g.world_withheld_base[d, w])
        wrep = min(world, pool) if float(g.spare_total[d]) > 0 else 0.0
        net = max(world - wrep, 0.0)
        buffered = min(net, world_stock)  # the world's buyers' stocks absorb the first of it
        world_stock -= buffered
        s_net = min(max((net - buffered) / max(g.world_imports, 1e-12), 0.0), 0.99)
        p = min((1.0 - s_net) ** (-1.0 / eps), float(core.price_cap[d]))  # constant-elasticity clearing, capped
        dr_cap = (1.0 - p ** float(core.eps_d[d])) * use if k >= float(core.dr_lag[d]) else 0.0
        dr = min(n, dr_cap)
        short = max(n - dr, 0.0)
        for key, val in (("withheld_t", withheld), ("production_loss_t", ploss), ("replacement_t", repl),
                         ("stock_draw_t", draw), ("substitution_t", sub), ("recycling_t", rec),
                         ("demand_reduction_t", dr), ("shortfall_t", short), ("price_index", p),
                         ("delivered_t", use - gap + repl)):
            out[key][w] = val
        if need is not None:
            u = min(max(need / use, 0.0), 1.0) if use > 0 else 0.0
            passed = (short + dr) * u
            out["terminal_shortfall_t"][w] = short * (1 - u)
            out["input_missing_share"][w] = min(passed / need, 1.0) if need > 0 else 0.0
        else:
            out["terminal_shortfall_t"][w] = short
    return out


def propagate_reference(inputs, cut: np.ndarray, core, stage_order, draws: list[int] | None = None) -> dict:
    """{stage: {good: {metric: (len(draws), W) array}}} computed one draw and one week at a time."""
    idx = range(cut.shape[0]) if draws is None else draws
    result: dict = {}
    lag = core.lag_weeks
    for d in idx:
        missing: dict[str, list[float]] = {}
        for sid in stage_order:
            new_missing = {}
            for gid, g in inputs.goods[sid].items():
                if sid == "magnet":
                    f = None
                    for gg in ("ndpr", "dytb"):
                        if gg in missing:
                            f = missing[gg] if f is None else [max(a, b) for a, b in zip(f, missing[gg], strict=True)]
                else:
                    f = missing.get(gid)
                own = float(g.cap[d]) * (1.0 - float(core.spare_share[d]))
                ploss = None
                if f is not None:
                    ploss = [0.0] * len(f)
                    for w in range(lag, len(f)):
                        ploss[w] = f[w - lag] * own
                need = inputs.need.get(sid, {}).get(gid)
                o = _good_one_draw(g, d, cut[d], ploss, float(inputs.stock_weeks[sid][d]),
                                   None if need is None else float(need[d]), core)
                if need is not None:
                    new_missing[gid] = o["input_missing_share"]
                for metric, vals in o.items():
                    result.setdefault(sid, {}).setdefault(gid, {}).setdefault(metric, []).append(vals)
            missing = new_missing
    return {s: {g: {m: np.array(v) for m, v in ms.items()} for g, ms in gs.items()} for s, gs in result.items()}
