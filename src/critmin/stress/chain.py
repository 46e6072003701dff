"""The chain stress model: a shock on one supplier propagated through ore → separated oxides/compounds →
metals/alloys → magnets → end uses, week by week, for each reported economy, vectorised over Monte Carlo draws.

Why weekly: licence review periods are counted in days (45 working days) and an exercise is run week by week;
a month would hide the difference between a licence decided in week 6 and one decided in week 9.

For a reported economy ``i``, each stage ``s`` and element group ``g`` (NdPr, Dy/Tb, other; magnets are one
good), in tonnes per week (arrays draws × weeks)::

    withheld    = c_i(d, w) · k_g(d) · x_{i,s,g}           covered imports from the shocked supplier not shipped
    prod_loss   = q_{i,s,g} · f_{i,s−1}(w − lag)             own output lost for want of the previous stage's input
    gap         = withheld + prod_loss
    replacement = min(gap, pool_{s,g}(d, w) · b_i / Σb)      idle capacity of refiners / metal / magnet makers
    stock_draw  = what the stock covers (firm inventory + state stockpile; never refilled within the horizon)
    substitution, recycling, demand_reduction (price response): each up to its own ceiling, in that order
    shortfall   = the rest;   gap = replacement + stock_draw + substitution + recycling + demand_reduction + shortfall
    delivered   = use − gap + replacement                     (use = imports + own output in the baseline)

The shortfall of a stage splits once: the share ``u = need_next / use`` (with the demand priced out of those
makers) feeds the economy's own output of the next stage (``f = passed / need_next`` is the missing share of that input; magnets need NdPr *and* Dy/Tb, so
their output falls by the larger of the two missing shares), the rest stays at this stage as a terminal
shortfall (catalysts, glass, alloys …). A magnet shortfall is split across end uses by their shares, which sum
to one, so sector figures add up to the magnet shortfall and never double count.

The pool is ``min(ramp(w) · Σ_e spare_e, κ · weeks/52 · world imports)`` over alternative suppliers at that
stage (refiners, metal or magnet makers of chains.yaml; never mines; never re-export hubs; a supplier that
depends on the shocked supplier for its own input at a covered stage loses that share), claimed by the
economies that lose supply in proportion to each supplier's pre-shock exports to them (its own node first).
Shares are capped at the claimant's gap and not passed on (a stated simplification).

Price index per good: ``s`` = the world's covered flow withheld net of replacement, once the world's buyers
have used up a firm inventory (default weeks of world imports), as a share of world imports; with
constant-elasticity supply and demand the market clears at ``p = (1 − s)^(−1/(ε_s − ε_d))`` (capped at
``market.price_cap``); demand falls to ``p^ε_d`` of use (the share ``1 − p^ε_d`` is priced out) after a lag. All uncertain parameters are drawn from one seeded generator in a fixed
order, so a seed reproduces every band.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from critmin.stress.chain_baseline import WEEKS_PER_YEAR
from critmin.stress.chain_shock import (
    WEEK_DAYS,
    Calendar,
    ChainShock,
    Resolved,
    as_shock,
    licence_cut,
    parse_shock,
    resolve_shock,
    shock_from_measure,
)

__all__ = ["ChainResult", "ChainShock", "alternatives", "licence_path", "parse_shock", "run_chain",
           "shock_from_measure", "hubs", "stage_capacities"]

QS = (10, 50, 90)
F32 = np.float32
BAND_DRAWS = 10_000  # weekly bands use at most this many draws (the first ones; totals use all)
CHUNK_DRAWS = 4_096  # draws per pass through the stages: (chunk × weeks) arrays stay in cache
PARALLEL_SLICES = max(1, min(4, os.cpu_count() or 1))  # threads over slices of draws (order of results kept)


# ---------------------------------------------------------------------------------------------------------
# Parameters: every value drawn, with its label


class ParamSet:
    """Draws of every parameter a run uses, with the label outputs print (source/tag or ASSUMPTION)."""

    def __init__(self, draws: int, seed: int | None):
        self.draws = draws
        self.seed = seed
        self._specs: dict[str, tuple[Any, str, str, str]] = {}
        self.values: dict[str, np.ndarray] = {}

    def add(self, name: str, value, label: str, tag: str, used_in: str) -> None:
        self._specs[name] = (value, label, tag, used_in)

    def add_cited(self, name: str, cited, used_in: str) -> None:
        self.add(name, cited.value, cited.label(), cited.tag, used_in)

    def draw(self) -> None:
        """Each parameter from its own stream, keyed by (seed, name): a seed reproduces the run, and adding a
        parameter (another reported economy, another stage) leaves every other parameter's draws unchanged."""
        import zlib

        from critmin.stress.params import sample

        root = np.random.SeedSequence(self.seed).entropy if self.seed is None else self.seed
        for name in sorted(self._specs):
            rng = np.random.default_rng([int(root) % 2**63, zlib.crc32(name.encode())])
            self.values[name] = sample(self._specs[name][0], rng, self.draws)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.values[name]

    def table(self):
        import pandas as pd

        from critmin.stress.params import describe

        rows = [{"parameter": k, "value": describe(v[0]) if not isinstance(v[0], str) else v[0],
                 "tag": v[2], "assumption": v[2] == "ASSUMPTION", "source": v[1], "used_in": v[3]}
                for k, v in sorted(self._specs.items())]
        return pd.DataFrame(rows, columns=["parameter", "value", "tag", "assumption", "source", "used_in"])


def add_stock(ps: ParamSet, cfile, node: str, stage: str) -> None:
    """Enter a node's stocks at a stage from the chain file's one stock table (state stockpile days, firm
    inventory weeks), each on its own named stream: the chain model and the single-stage engine both draw
    them here, so one seed gives both the same stocks."""
    state, firm = cfile.stock(node, stage)
    ps.add(f"stock.{node}.{stage}.state_days", state.value, state.label(), state.tag, f"{node} {stage}")
    ps.add(f"stock.{node}.{stage}.firm_weeks", firm.value, firm.label(), firm.tag, f"{node} {stage}")


def node_stock_weeks(ps: ParamSet, node: str, stage: str) -> np.ndarray:
    """Weeks of use a node's stocks cover at a stage, per draw (after :func:`add_stock` and ``ps.draw()``)."""
    return ps[f"stock.{node}.{stage}.state_days"] / WEEK_DAYS + ps[f"stock.{node}.{stage}.firm_weeks"]


# ---------------------------------------------------------------------------------------------------------
# The per-economy arrays (what the vectorised core needs)


@dataclass
class GoodInput:
    """One (stage, group) of one reported economy. Tonnes per week at the modal element shares; ``share_scale``
    (D,) rescales them per draw; ``covered_scale`` (D,) rescales the covered part (magnets under a licence).
    The world's covered exposure is ``world_lic`` (W,) under the licence/volume class and ``world_ban`` under
    bans; :meth:`chunk` turns them into ``world_withheld_base`` (D, W) for a slice of draws."""

    stage: str
    group: str
    x_cov: float  # covered exposure to the shocked supplier (incl. hubs traced back)
    m: float  # total imports
    share_scale: np.ndarray  # (D,)
    covered_scale: np.ndarray  # (D,)
    cap: np.ndarray  # (D,) own capacity, t/wk
    claim: np.ndarray  # (D,) the economy's claim on the pool (t/wk at full mobilisation)
    spare_total: np.ndarray  # (D,) the pool at full mobilisation (t/wk)
    world_imports: float  # t/wk
    world_withheld_base: np.ndarray | None = None  # (D, W) world covered flow withheld (t/wk), per chunk
    world_lic: np.ndarray | None = None  # (W,)
    world_ban: float = 0.0
    world_stock: np.ndarray | None = None  # (D,) t held by the world's buyers before prices must ration

    def chunk(self, sl: slice, c_lic: np.ndarray, c_ban: np.ndarray) -> GoodInput:
        """The good for a slice of draws; ``c_lic``/``c_ban`` and the world base are (W, draws) arrays."""
        scale = (self.share_scale[sl] * self.covered_scale[sl]).astype(F32)[None, :]
        wb = c_lic * self.world_lic.astype(F32)[:, None]
        if self.world_ban:
            wb += c_ban * F32(self.world_ban)
        wb *= scale
        return GoodInput(self.stage, self.group, self.x_cov, self.m, self.share_scale[sl], self.covered_scale[sl],
                         self.cap[sl], self.claim[sl], self.spare_total[sl], self.world_imports, wb,
                         world_stock=None if self.world_stock is None else self.world_stock[sl])

    def transposed(self) -> GoodInput:
        from dataclasses import replace

        return replace(self, world_withheld_base=np.ascontiguousarray(self.world_withheld_base.T))


@dataclass
class Core:
    """Per-draw parameters shared by all goods of a run (arrays (D,) unless stated); the (D, W) ramps that every
    good uses are computed once (:meth:`prepare`)."""

    weeks: int
    wk_in: np.ndarray  # (W,) weeks since the shock began (1 = first active week; 0 before)
    lag_weeks: int
    ramp_weeks: np.ndarray
    growth_cap: np.ndarray
    eps_d: np.ndarray
    eps_s: np.ndarray
    dr_lag: np.ndarray
    sub_ceiling: np.ndarray
    sub_lag: np.ndarray
    rec_ceiling: np.ndarray
    rec_lag: np.ndarray
    spare_share: np.ndarray
    price_cap: np.ndarray | None = None  # (D,) highest price index
    ramp: np.ndarray | None = None  # (D, W) share of spare capacity mobilised
    growth: np.ndarray | None = None  # (D, W) growth cap as a share of world imports per week
    sub_ramp: np.ndarray | None = None  # (D, W) share of the substitution ceiling reached
    rec_ramp: np.ndarray | None = None
    dr_on: np.ndarray | None = None  # (D, W) 1 once the demand response lag has passed
    inv_eps: np.ndarray | None = None  # (D, 1) 1 / (ε_s − ε_d)

    def chunk(self, sl: slice) -> Core:
        """The same parameters for a slice of draws (not prepared)."""
        from dataclasses import fields, replace

        return replace(self, **{f.name: getattr(self, f.name)[sl] for f in fields(self)
                                if f.name not in ("weeks", "wk_in", "lag_weeks")
                                and isinstance(getattr(self, f.name), np.ndarray)})

    def prepare(self) -> Core:
        """The (weeks × draws) ramps every good uses, computed once per slice of draws."""
        k = self.wk_in[:, None].astype(F32)
        self.ramp = np.minimum(k / np.maximum(self.ramp_weeks, 1e-9)[None, :].astype(F32), F32(1))
        self.growth = self.growth_cap[None, :].astype(F32) * (k * F32(1 / 52.0))
        self.sub_ramp = _linear(self, self.sub_lag)
        self.rec_ramp = _linear(self, self.rec_lag)
        self.dr_on = (k >= self.dr_lag[None, :]).astype(F32)
        self.inv_eps = (1.0 / np.maximum(self.eps_s - self.eps_d, 1e-9)).astype(F32)[None, :]
        return self


def _linear(core: Core, lag: np.ndarray) -> np.ndarray:
    """(W, D) share of a ceiling reached: 0 until the lag, then linear over 52 weeks."""
    x = (core.wk_in[:, None].astype(F32) - lag[None, :].astype(F32)) * F32(1 / 52.0)
    return np.minimum(np.maximum(x, F32(0)), F32(1))


METRICS = ("withheld_t", "production_loss_t", "replacement_t", "stock_draw_t", "substitution_t", "recycling_t",
           "demand_reduction_t", "shortfall_t", "delivered_t", "terminal_shortfall_t")


def simulate_good(g: GoodInput, cut: np.ndarray, prod_loss: np.ndarray | None, stock_weeks: np.ndarray,
                  need_next: np.ndarray | None, core: Core, nb: int | None = None, keep: bool = True):
    """The balance of one good of one economy (see the module docstring), on (weeks × draws) float32 arrays
    in t/week: weeks first, so the stock's running sum and the totals run over contiguous rows. Returns (the
    missing input share for the next stage (W, D) or None, the shortfall (W, D), a :class:`Reduced` with
    (draws × weeks) slices of the first ``nb`` draws and totals over weeks, and — when ``keep`` — every metric
    in full as (draws × weeks))."""
    d = cut.shape[1]
    weeks = cut.shape[0]
    nb = d if nb is None else nb
    if g.x_cov == 0 and prod_loss is None and not keep:
        return None, None, _idle_good(g, core, d, weeks, nb)
    xs = (g.x_cov * g.share_scale * g.covered_scale).astype(F32)[None, :]
    withheld = cut * xs
    gap = withheld if prod_loss is None else withheld + prod_loss
    use = (g.m * g.share_scale + g.cap * (1.0 - core.spare_share)).astype(F32)  # (D,)
    use_r = use[None, :]
    # replacement: the economy's share of the mobilised pool, capped at its gap
    pool = np.minimum(core.ramp * g.spare_total.astype(F32)[None, :], core.growth * F32(g.world_imports))
    share = np.divide(g.claim, g.spare_total, out=np.zeros(d), where=g.spare_total > 0).astype(F32)[None, :]
    repl = np.minimum(gap, pool * share)
    n = gap - repl
    # stock never refilled: cumulative draws are min(cumulative need, stock); a sum of non-negative float32
    # terms never decreases, so the weekly draws are non-negative
    cum = np.empty_like(n)
    cum[0] = n[0]
    for w in range(1, weeks):  # weeks, not draws: each step adds two rows of all draws
        np.add(cum[w - 1], n[w], out=cum[w])
    np.minimum(cum, (stock_weeks * use).astype(F32)[None, :], out=cum)
    draw = np.empty_like(cum)
    draw[0] = cum[0]
    np.subtract(cum[1:], cum[:-1], out=draw[1:])
    np.minimum(draw, n, out=draw)
    n -= draw
    sub = np.minimum(n, (core.sub_ceiling.astype(F32) * use)[None, :] * core.sub_ramp)
    n -= sub
    rec = np.minimum(n, (core.rec_ceiling.astype(F32) * use)[None, :] * core.rec_ramp)
    n -= rec
    # world price pressure for this good and the demand it prices out (the last cover: what is neither
    # replaced, drawn from stock, substituted nor recycled is either priced out or short)
    # s = world supply withheld net of replacement, as a share of world imports; with constant-elasticity supply
    # and demand the market clears at p = (1 − s)^(−1/(ε_s − ε_d)) [D], and demand falls to p^ε_d of use
    price, priced_out = _market_price(g, pool, core)  # priced_out = 1 − p^ε_d, the share of use priced out
    dr = np.minimum(n, use_r * priced_out * core.dr_on)
    n -= dr
    short = np.maximum(n, F32(0), out=n)
    missing = None
    u = None
    if need_next is not None:
        # the economy's own next-stage makers take share u of this stage's use: their part of the shortfall and
        # of the demand priced out is output they do not make; missing = that part over their input need
        u = np.divide(need_next, use, out=np.zeros(d), where=use > 0).clip(0, 1).astype(F32)
        k = (u * np.divide(1.0, need_next, out=np.zeros(d), where=need_next > 0)).astype(F32)[None, :]
        missing = np.minimum((short + dr) * k, F32(1))
    full = {"withheld_t": withheld, "production_loss_t": prod_loss, "replacement_t": repl, "stock_draw_t": draw,
            "substitution_t": sub, "recycling_t": rec, "demand_reduction_t": dr, "shortfall_t": short}
    total = {m: (a.sum(axis=0).astype(np.float64) if a is not None else np.zeros(d))
             for m, a in full.items() if m != "stock_draw_t"}
    total["stock_draw_t"] = cum[-1].astype(np.float64)
    total["use_t"] = use.astype(np.float64) * weeks
    total["delivered_t"] = total["use_t"] - total["withheld_t"] - total["production_loss_t"] + total["replacement_t"]
    uu = np.ones(d) if u is None else 1.0 - u.astype(np.float64)
    total["terminal_shortfall_t"] = total["shortfall_t"] * uu
    weekly = {m: (a[:, :nb] if a is not None else np.zeros((weeks, nb), dtype=F32)) for m, a in full.items()}
    weekly["delivered_t"] = use[None, :nb] - weekly["withheld_t"] - weekly["production_loss_t"] + weekly["replacement_t"]
    weekly["terminal_shortfall_t"] = (weekly["shortfall_t"] * (1 - u[None, :nb]) if u is not None
                                      else weekly["shortfall_t"])
    weekly["price_index"] = price[:, :nb]
    kept = None
    if keep:
        kept = {m: (a.T if a is not None else np.zeros((d, weeks), dtype=F32)) for m, a in full.items()}
        kept["delivered_t"] = (use_r - gap + repl).T
        kept["terminal_shortfall_t"] = (short * (1 - u[None, :])).T if u is not None else short.T
        kept["price_index"] = price.T
        kept["use_t"] = np.broadcast_to(use[:, None], (d, weeks))
        if missing is not None:
            kept["input_missing_share"] = missing.T
    return missing, short, Reduced(weekly, total, kept)


def _market_price(g: GoodInput, pool: np.ndarray, core: Core) -> tuple[np.ndarray, np.ndarray]:
    """(price index, share of use priced out), both (W, D): constant-elasticity market clearing."""
    s_net = g.world_withheld_base - np.minimum(g.world_withheld_base, pool) if g.spare_total.any() else \
        g.world_withheld_base.copy()
    np.maximum(s_net, F32(0), out=s_net)
    if g.world_stock is not None:  # buyers' stocks absorb the first of it: prices ration only what they cannot
        cum = np.empty_like(s_net)
        cum[0] = s_net[0]
        for w in range(1, s_net.shape[0]):
            np.add(cum[w - 1], s_net[w], out=cum[w])
        cum -= g.world_stock.astype(F32)[None, :s_net.shape[1]]
        np.maximum(cum, F32(0), out=cum)
        s_net[0] = cum[0]
        np.subtract(cum[1:], cum[:-1], out=s_net[1:])
    s_net *= F32(1.0 / max(g.world_imports, 1e-12))
    np.minimum(np.maximum(s_net, F32(0)), F32(0.99), out=s_net)
    lnp = np.log1p(-s_net)
    lnp *= -core.inv_eps  # ln p
    np.minimum(lnp, np.log(core.price_cap).astype(F32)[None, :], out=lnp)
    price = np.exp(lnp)
    lnp *= core.eps_d.astype(F32)[None, :]
    return price, -np.expm1(lnp)


def _idle_good(g: GoodInput, core: Core, d: int, weeks: int, nb: int) -> Reduced:
    """A good the economy neither loses nor makes less of: nothing moves but the world price."""
    use = (g.m * g.share_scale + g.cap * (1.0 - core.spare_share)).astype(F32)
    zero_w = np.zeros((weeks, nb), dtype=F32)
    weekly = {m: zero_w for m in METRICS}
    weekly["delivered_t"] = np.broadcast_to(use[None, :nb], (weeks, nb))
    if g.world_withheld_base.any():
        pool = np.minimum(core.ramp[:, :nb] * g.spare_total[:nb].astype(F32)[None, :],
                          core.growth[:, :nb] * F32(g.world_imports))
        sub = GoodInput(g.stage, g.group, 0.0, g.m, g.share_scale[:nb], g.covered_scale[:nb], g.cap[:nb],
                        g.claim[:nb], g.spare_total[:nb], g.world_imports, g.world_withheld_base[:, :nb],
                        world_stock=None if g.world_stock is None else g.world_stock[:nb])
        small = Core(**{k: getattr(core, k) for k in ("weeks", "wk_in", "lag_weeks", "ramp_weeks", "growth_cap",
                                                      "eps_d", "eps_s", "dr_lag", "sub_ceiling", "sub_lag",
                                                      "rec_ceiling", "rec_lag", "spare_share")})
        small.inv_eps, small.eps_d, small.price_cap = core.inv_eps[:, :nb], core.eps_d[:nb], core.price_cap[:nb]
        weekly["price_index"] = _market_price(sub, pool, small)[0]
    else:
        weekly["price_index"] = np.ones((weeks, nb), dtype=F32)
    zero = np.zeros(d)
    total = {m: zero for m in METRICS}
    total["use_t"] = use.astype(np.float64) * weeks
    total["delivered_t"] = total["use_t"]
    return Reduced(weekly, total, None)


def lagged(a: np.ndarray, lag: int) -> np.ndarray:
    """Shift a (weeks × draws) array by ``lag`` weeks (zeros first)."""
    if lag <= 0:
        return a
    out = np.zeros_like(a)
    out[lag:] = a[:-lag]
    return out


@dataclass
class NodeInputs:
    """Everything :func:`propagate` needs for one reported economy: goods by stage, the next stage's input need
    per group (D,), and stock in weeks of use per stage (D,)."""

    node: str
    goods: dict[str, dict[str, GoodInput]]
    need: dict[str, dict[str, np.ndarray]]
    stock_weeks: dict[str, np.ndarray]

    def chunk(self, sl: slice, c_lic: np.ndarray, c_ban: np.ndarray) -> NodeInputs:
        return NodeInputs(self.node, {s: {g: gi.chunk(sl, c_lic, c_ban) for g, gi in gs.items()}
                                      for s, gs in self.goods.items()},
                          {s: {g: a[sl] for g, a in gs.items()} for s, gs in self.need.items()},
                          {s: a[sl] for s, a in self.stock_weeks.items()})


@dataclass
class Reduced:
    """One good's outputs kept after the run: weekly (band draws × W) slices, totals over weeks (D,), and the
    full (D, W) arrays only when asked (tests, keep_draws)."""

    weekly: dict[str, np.ndarray]
    total: dict[str, np.ndarray]
    full: dict[str, np.ndarray] | None = None


def propagate(inputs: NodeInputs, cut: np.ndarray, core: Core, stage_order, bd: int | None = None,
              keep: bool = True) -> tuple[dict, np.ndarray]:
    """Stage by stage: each good's balance, then the missing input share handed to the next stage's own
    output (magnets: the larger of the NdPr and Dy/Tb missing shares). ``cut`` and every array inside are
    (weeks × draws). Returns ({stage: {good: Reduced}}, the magnet shortfall (weeks × draws)). Full arrays are
    dropped as soon as they are reduced unless ``keep``."""
    bd = cut.shape[1] if bd is None else bd
    out: dict[str, dict[str, Reduced]] = {}
    missing: dict[str, np.ndarray] = {}
    magnet_short = np.zeros_like(cut)
    for sid in stage_order:
        outs = {}
        new_missing = {}
        for gid, g in inputs.goods[sid].items():
            if sid == "magnet":
                f = None
                for gg in ("ndpr", "dytb"):
                    if gg in missing:
                        f = missing[gg] if f is None else np.maximum(f, missing[gg])
            else:
                f = missing.get(gid)
            own = (g.cap * (1.0 - core.spare_share)).astype(F32)[None, :]
            ploss = None if f is None or not own.any() else lagged(f, core.lag_weeks) * own
            miss, short, red = simulate_good(g, cut, ploss, inputs.stock_weeks[sid],
                                             inputs.need.get(sid, {}).get(gid), core, bd, keep)
            if miss is not None:
                new_missing[gid] = miss
            if sid == "magnet" and short is not None:
                magnet_short = short
            outs[gid] = red
        missing = new_missing
        out[sid] = outs
    return out, magnet_short


def _propagate_chunks(inputs: NodeInputs, cuts, node_cut, core: Core, stage_order, bd: int, keep: bool,
                      chunk: int) -> tuple[dict, np.ndarray | None, dict]:
    """:func:`propagate` over slices of draws (a pass per slice keeps every (slice × weeks) temporary in cache,
    which is several times faster than whole-draw arrays), merged: totals over all draws, weekly slices over the
    first ``bd`` draws, and the magnet shortfall's weekly slice and totals."""
    d = core.spare_share.shape[0]
    if keep:
        chunk = d  # one pass: the full arrays are kept as they are
    parts: list[tuple[dict, np.ndarray, np.ndarray]] = []
    last: dict = {}
    # the first slice holds the band draws, so its arrays are the weekly slices as they are (no copies)
    bounds = [0, min(d, max(bd, 1))] if not keep else [0, d]
    while bounds[-1] < d:
        bounds.append(min(d, bounds[-1] + chunk))
    def one(a: int, b: int):
        sl = slice(a, b)
        c_l, c_b = (np.ascontiguousarray(x.T) for x in cuts(sl))  # (W, draws)
        cut = node_cut(c_l, c_b)
        inp = inputs.chunk(sl, c_l, c_b)
        cc = core.chunk(sl).prepare()
        nb = max(0, min(bd - a, sl.stop - a))
        out, mag = propagate(inp, cut, cc, stage_order, nb, keep)
        return (out, mag[:, :nb], mag.sum(axis=0).astype(np.float64)), inp, cut, mag, sl

    spans = list(zip(bounds[:-1], bounds[1:], strict=True))
    workers = min(PARALLEL_SLICES, len(spans)) if not keep else 1
    if workers > 1:  # slices are independent (every draw is sampled before): NumPy releases the GIL in its loops
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(workers) as pool:
            results = list(pool.map(lambda ab: one(*ab), spans))
    else:
        results = [one(a, b) for a, b in spans]
    for part, inp, cut, mag, sl in results:
        parts.append(part)
        if keep:
            tin = NodeInputs(inp.node, {s: {g: gi.transposed() for g, gi in gs.items()} for s, gs in inp.goods.items()},
                             inp.need, inp.stock_weeks)
            last = {"cut": np.ascontiguousarray(cut.T), "inputs": tin, "core": core.chunk(sl)}
            last["magnet_short"] = mag.T
    if len(parts) == 1:
        return parts[0][0], (parts[0][1], parts[0][2]), last
    merged: dict = {}
    for sid in parts[0][0]:
        merged[sid] = {}
        for gid in parts[0][0][sid]:
            rs = [p[0][sid][gid] for p in parts]
            merged[sid][gid] = Reduced(rs[0].weekly,  # the first slice holds every band draw
                                       {m: np.concatenate([r.total[m] for r in rs]) for m in rs[0].total})
    mag_w = parts[0][1]
    return merged, (mag_w, np.concatenate([p[2] for p in parts])), last


# ---------------------------------------------------------------------------------------------------------
# The run


@dataclass
class ChainResult:
    """Result of :func:`run_chain`. Tonnes; weekly figures are t/week, totals are over the horizon.

    * ``weekly``: node, stage, good, week (1-based), week_start (date), metric, p10, p50, p90 — metrics
      ``delivered_t``, ``shortfall_t`` (per good and ``good='all'`` per stage), ``price_index`` (per good),
      and per stage (good 'all') ``withheld_t``, ``production_loss_t``, ``replacement_t``, ``stock_draw_t``,
      ``substitution_t``, ``demand_reduction_t``, ``recycling_t``, ``terminal_shortfall_t``.
    * ``sectors``: node, sector, week, week_start, shortfall_t_magnet p10/p50/p90, units_at_risk p10/p50/p90,
      unit — the magnet shortfall split across end uses (they add up to the magnet shortfall).
    * ``totals``: node, stage, good, metric, p10, p50, p90 over the horizon (every metric above).
    * ``sector_totals``: node, sector, shortfall_t_magnet and units_at_risk bands over the horizon.
    * ``replacement``: node, stage, good, supplier, t p10/p50/p90 over the horizon, basis — who replaces.
    * ``legal``: week, week_start, state (the shock's legal state that week), active_share, unknown_share.
    * ``assumptions``: parameter, value, tag, assumption (bool), source, used_in — every parameter used.
    * ``meta``: chain, shock, supplier, baseline year, weeks, draws, seed, band_draws, sources, notes, hubs.
    """

    run_id: str
    weekly: Any
    sectors: Any
    totals: Any
    sector_totals: Any
    replacement: Any
    legal: Any
    assumptions: Any
    meta: dict
    timings: dict = field(default_factory=dict)
    draws_data: dict | None = None  # raw (D, W) arrays when keep_draws=True (tests, exercise)

    def to_json(self) -> str:
        import json

        def recs(df):
            return json.loads(df.to_json(orient="records", date_format="iso"))

        doc = {"run_id": self.run_id, "meta": self.meta, "totals": recs(self.totals),
               "sector_totals": recs(self.sector_totals), "replacement": recs(self.replacement),
               "legal": recs(self.legal), "assumptions": recs(self.assumptions), "weekly": recs(self.weekly),
               "sectors": recs(self.sectors)}
        return json.dumps(doc, ensure_ascii=False, indent=1, default=str)



def run_chain(shock: ChainShock | dict | str, importers: list[str] | str = ("EU27",), *, year: int = 2024,
              draws: int = 10_000, seed: int | None = 0, weeks: int = 52, first_day: dt.date | str | None = None,
              warehouse=None, baseline: dict | None = None, keep_draws: bool = False,
              band_draws: int = BAND_DRAWS, chains_path: str | None = None) -> ChainResult:
    """Run a chain shock for the reported economies.

    ``shock``: a :class:`ChainShock`, a ``shock:`` mapping, or a KB measure id (then
    :func:`shock_from_measure` with its defaults). ``importers``: ISO3 codes or groups (EU27 is one node).
    ``year``: baseline year of the BACI flows. ``weeks``: horizon from ``first_day`` (default: the first day
    the shock is in force). ``baseline``: {stage: DataFrame(exporter, importer, hs6, qty_t per year)} to use
    instead of the warehouse for those stages (e.g. customs magnet figures). ``keep_draws``: keep the raw
    (D, W) arrays in ``result.draws_data`` (memory: ~0.2 MB per 1,000 draws per array).
    """
    from critmin.stress.chain_baseline import read_stage_flows, resolve_nodes, supplier_members
    from critmin.stress.chain_data import STAGE_ORDER, load_chains
    from critmin.stress.scenario import MAX_DRAWS
    from critmin.warehouse.handle import using

    t0 = time.perf_counter()
    shock = as_shock(shock)
    if not 1 <= draws <= MAX_DRAWS:
        from critmin.errors import UsageError

        raise UsageError(f"draws: expected an integer from 1 to {MAX_DRAWS:,}, got {draws}")
    if not 1 <= weeks <= 520:
        from critmin.errors import UsageError

        raise UsageError(f"weeks: expected 1 to 520, got {weeks}")
    cfile = load_chains(chains_path)
    chain = cfile.chain(shock.chain)
    nodes, groups = resolve_nodes([importers] if isinstance(importers, str) else list(importers), year)
    sup = supplier_members(shock.supplier, year)
    ratio_lo, ratio_hi = cfile.hubs.import_ratio.bounds()
    stages: dict = {}
    with using(warehouse) as wh:
        for st in chain.stages:
            stages[st.id] = read_stage_flows(wh, chain, st.id, year, groups, sup, (ratio_lo + ratio_hi) / 2,
                                             (baseline or {}).get(st.id))
    t_read = time.perf_counter()
    res = resolve_shock(shock, {s: v.hs6 for s, v in stages.items()})
    return simulate_chain(shock, res, chain, cfile, stages, nodes, groups, sup, year=year, draws=draws, seed=seed,
                          weeks=weeks, first_day=first_day, keep_draws=keep_draws, band_draws=band_draws,
                          t0=t0, t_read=t_read, stage_order=STAGE_ORDER)


def _targeted(node_members: list[str], sh: ChainShock, dests: list[str], year: int = 2024) -> bool:
    t = sh.targets
    if "*" not in dests and not any(m in dests for m in node_members):
        return False
    if t.mode == "all":
        return True
    names = set()
    from critmin.stress.chain_baseline import supplier_members

    for c in t.countries:
        names |= supplier_members(c, year) | {c}
    hit = [m in names for m in node_members]
    return all(hit) if t.mode == "only" else not any(hit)


def simulate_chain(sh: ChainShock, res: Resolved, chain, cfile, stages: dict, nodes: list[str],
                   groups: dict[str, list[str]], sup: set[str], *, year: int, draws: int, seed: int | None,
                   weeks: int, first_day, keep_draws: bool, band_draws: int, t0: float, t_read: float,
                   stage_order, chunk_draws: int = CHUNK_DRAWS) -> ChainResult:
    """The vectorised core over prepared stage flows (no warehouse access)."""
    import pandas as pd

    first = (dt.date.fromisoformat(first_day) if isinstance(first_day, str) else first_day) or res.start
    cal = Calendar(first, weeks)
    from critmin.stress.chain_shock import weekly_states

    active, unknown, labels = weekly_states(res, cal)
    notes = list(res.notes)
    horizon = weeks
    stop_note = None
    if res.unknown_from is not None and sh.unknown_as == "stop":
        k = (res.unknown_from - first).days // WEEK_DAYS
        if k < weeks:
            horizon = max(1, k)
            stop_note = (f"the KB gives the measure's state as unknown from {res.unknown_from}: results stop at week "
                         f"{horizon} (pass unknown_as='in_force' or 'lifted' to read it either way, labelled)")
            notes.append(stop_note)
    elif res.unknown_from is not None and unknown.any():
        notes.append(f"state unknown in the KB from {res.unknown_from}; read as '{sh.unknown_as}' by the caller's "
                     "choice (unknown_as), not by the KB")
    w = horizon
    cal = Calendar(first, w)
    active, unknown, labels = active[:w], unknown[:w], labels[:w]
    # days since the current in-force run began, at mid-week (licence review clock)
    st_days = res.state_by_day(first, w * WEEK_DAYS)
    on = (st_days == "in_force") | ((st_days == "unknown") & (sh.unknown_as == "in_force"))
    run_start = np.zeros(len(on))
    last = -10**6
    for k in range(len(on)):  # a loop over days (≤ 3,640), not over draws
        if on[k] and (k == 0 or not on[k - 1]):
            last = k
        run_start[k] = last
    mid = np.arange(w) * WEEK_DAYS + WEEK_DAYS // 2
    start_offset = run_start[mid]
    first_active = int(np.argmax(active > 0)) if (active > 0).any() else w
    wk_in = np.where(np.arange(w) >= first_active, np.arange(w) - first_active + 1, 0).astype(float)

    # ---- parameters
    ps = ParamSet(draws, seed)
    mk = cfile.market
    for name in ("spare_share_of_capacity", "ramp_weeks", "growth_cap_per_year", "elasticity_demand",
                 "elasticity_supply", "price_cap", "demand_reduction_lag_weeks", "substitution_ceiling_per_year",
                 "substitution_lag_weeks", "recycling_ceiling", "recycling_lag_weeks"):
        ps.add_cited(f"market.{name}", getattr(mk, name), "all stages")
    rg = sh.regime
    lic, quo = cfile.licence, cfile.quota
    if rg.kind in ("licence", "quota"):  # the caller's value where given, else the chain file's default
        defaults, names = (lic, ("approval_share", "review_delay_days", "decision_spread_days", "leakage",
                                 "pipeline_days")) if rg.kind == "licence" else (quo, ("utilisation", "leakage"))
        for name in names:
            given = getattr(rg, name)
            if given is not None:
                ps.add(f"{rg.kind}.{name}", given, f"shock '{sh.name}' (given by the caller)", "given", "shock")
            else:
                ps.add_cited(f"{rg.kind}.{name}", getattr(defaults, name), "shock")
    else:
        ps.add("volume.cut", rg.cut, f"shock '{sh.name}' (given by the caller)", "given", "shock")
        ps.add("volume.leakage", rg.leakage if rg.leakage is not None else 0.0,
               f"shock '{sh.name}' (given by the caller)" if rg.leakage is not None else
               "a volume cut is physical: no leakage unless given", "given" if rg.leakage is not None else "D",
               "shock")
    if res.magnet_covered:
        if sh.measure is not None:
            ps.add_cited("licence.covered_share_of_magnets", lic.covered_share_of_magnets, "magnet")
    for st in chain.stages:
        for gid, c in st.groups.items():
            ps.add_cited(f"share.{st.id}.{gid}", c, st.id)
        for hs, hg in st.hs6_groups.items():
            for gid in ("ndpr", "dytb"):
                c = getattr(hg, gid)
                if c is not None:
                    ps.add_cited(f"share.{st.id}.{hs}.{gid}", c, st.id)
        if st.rare_earth_share_of_code is not None:
            ps.add_cited(f"share.{st.id}.rare_earth", st.rare_earth_share_of_code, st.id)
    for sid, conv in chain.conversion.items():
        for gid, c in conv.items():
            ps.add_cited(f"conversion.{sid}.{gid}", c, sid)
    ps.add_cited("chain.lag_weeks", chain.lag_weeks, "all stages")
    ps.add_cited("hubs.import_ratio", cfile.hubs.import_ratio, "hub rule, all stages")
    for sid in stage_order:  # the world's buyers hold the default firm inventory before prices ration
        ps.add_cited(f"stock.world.{sid}.firm_weeks", cfile.stocks["default"].firm_weeks[sid], f"{sid} price")
    if "stated fallback" in stages["magnet"].source and chain.magnet_fallback is not None:
        fb = chain.magnet_fallback  # used at its midpoints (not drawn); listed so its labels reach the output
        ps.add_cited("magnet_fallback.CHN_exports_t_per_year", fb.CHN_exports_t_per_year, "magnet baseline")
        for dest, c in fb.destination_shares.items():
            ps.add_cited(f"magnet_fallback.share.{dest}", c, "magnet baseline")
        ps.add_cited("magnet_fallback.other_supplier_exports", fb.other_supplier_source, "magnet baseline")
    for s in chain.sectors:
        if s.share.value != "rest":
            ps.add_cited(f"sector.{s.id}.share", s.share, "magnet → sectors")
        ps.add_cited(f"sector.{s.id}.kg_magnet_per_unit", s.kg_magnet_per_unit, "magnet → sectors")
    for sid, entries in chain.capacity.items():
        for iso, e in entries.items():
            ps.add_cited(f"capacity.{sid}.{iso}", e.t_per_year, sid)
    for node in nodes:
        for sid in stage_order:
            add_stock(ps, cfile, node, sid)
    ps.draw()
    t_sample = time.perf_counter()
    c_sample = time.process_time()
    D = draws
    core = Core(w, wk_in, int(round(float(np.asarray(chain.lag_weeks.value)))), ps["market.ramp_weeks"],
                ps["market.growth_cap_per_year"], ps["market.elasticity_demand"], ps["market.elasticity_supply"],
                ps["market.demand_reduction_lag_weeks"], ps["market.substitution_ceiling_per_year"],
                ps["market.substitution_lag_weeks"], ps["market.recycling_ceiling"], ps["market.recycling_lag_weeks"],
                ps["market.spare_share_of_capacity"], ps["market.price_cap"])

    # ---- group shares per (stage, hs): modal and per-draw
    def share_mode_and_draw(stage, hs, gid):
        st = chain.stage(stage)
        if stage == "magnet":
            if st.rare_earth_share_of_code is not None:
                lo, hi = st.rare_earth_share_of_code.bounds()
                return (lo + hi) / 2, ps[f"share.{stage}.rare_earth"]
            return 1.0, np.ones(D)
        if stage == "ore":
            if gid == "other":
                m = 1.0 - sum(_mode(st.groups[g].value) for g in ("ndpr", "dytb"))
                return m, 1.0 - ps[f"share.{stage}.ndpr"] - ps[f"share.{stage}.dytb"]
            return _mode(st.groups[gid].value), ps[f"share.{stage}.{gid}"]
        hg = st.hs6_groups.get(hs)
        if hg is None:
            return (1.0, np.ones(D)) if gid == "other" else (0.0, np.zeros(D))
        if gid == "other":
            m = 1.0 - sum(_mode(getattr(hg, g).value) for g in ("ndpr", "dytb") if getattr(hg, g) is not None)
            dr = 1.0 - sum(ps[f"share.{stage}.{hs}.{g}"] for g in ("ndpr", "dytb") if getattr(hg, g) is not None)
            return m, np.asarray(dr, dtype=float) * np.ones(D)
        c = getattr(hg, gid)
        return (0.0, np.zeros(D)) if c is None else (_mode(c.value), ps[f"share.{stage}.{hs}.{gid}"])

    # ---- cut profiles: per node class
    dests = res.destinations
    node_members = {n: groups.get(n, [n]) for n in set().union(*[set(s.nodes) for s in stages.values()])}
    if rg.kind == "licence":
        approval = _approval_by_period(ps["licence.approval_share"], rg.steps,
                                       [first + dt.timedelta(days=int(k)) for k in mid])
        leak = ps["licence.leakage"]

        def cuts(sl: slice) -> tuple[np.ndarray, np.ndarray]:
            c_l = licence_cut(active, mid - start_offset, approval[sl], ps["licence.review_delay_days"][sl],
                              ps["licence.decision_spread_days"][sl], leak[sl], ps["licence.pipeline_days"][sl])
            return c_l, (active[None, :] * (1.0 - leak[sl])[:, None]).astype(F32)
    else:
        if rg.kind == "quota":
            base_exp = 0.0
            for sid, sf in stages.items():
                si = [k for k, e in enumerate(sf.exporters) if e in sup]
                for hs, a in sf.flows.items():
                    for gid in chain.goods(sid):
                        cov = res.coverage.get((sid, hs, gid), 0.0)
                        if cov:
                            base_exp += a[si].sum() * share_mode_and_draw(sid, hs, gid)[0] * cov
            cutv = np.clip(1.0 - rg.quota_t_per_year * ps["quota.utilisation"] / max(base_exp, 1e-9), 0.0, 1.0)
            leak = ps["quota.leakage"]
            notes.append(f"quota {rg.quota_t_per_year:,.0f} t/yr against {base_exp:,.0f} t/yr of covered baseline "
                         f"exports: cut P50 {np.median(cutv):.0%} before leakage")
        else:
            cutv, leak = ps["volume.cut"], ps["volume.leakage"]

        def cuts(sl: slice) -> tuple[np.ndarray, np.ndarray]:
            c_b = (active[None, :] * (1.0 - leak[sl])[:, None]).astype(F32)
            return (cutv[sl][:, None] * c_b).astype(F32), c_b
    week_days = np.array([(first + dt.timedelta(days=WEEK_DAYS * k + 3)) for k in range(w)])

    def node_weights(n: str) -> tuple[float, float, np.ndarray]:
        """(targeted 0/1, banned share, general-licence share by week) of a node."""
        mem = node_members.get(n, [n])
        tgt = 1.0 if _targeted(mem, sh, dests, year) else 0.0
        ban = 0.0
        for b in sh.bans:
            if any(m in _expand(b.destinations, year) for m in mem):
                ban = max(ban, b.share)
        gl = np.zeros(w)
        for g in sh.general_licences:
            if any(m in _expand(g.destinations, year) for m in mem):
                gl = np.maximum(gl, np.where(week_days >= g.from_, g.share, 0.0))
        return tgt, ban, gl

    def node_cut(n: str, c_lic: np.ndarray, c_ban: np.ndarray) -> np.ndarray:
        """(W, draws) share of the node's covered flow withheld."""
        tgt, ban, gl = node_weights(n)
        out = c_lic * (F32(tgt * (1.0 - ban)) * (1.0 - gl).astype(F32))[:, None]
        if tgt * ban:
            out += c_ban * F32(tgt * ban)
        return out

    # world covered exposure per class, per (stage, good), for the price index
    nw_cache = {}

    def class_weights(sf) -> tuple[np.ndarray, np.ndarray]:
        lw, bw = np.zeros((len(sf.nodes), w)), np.zeros(len(sf.nodes))
        for k, n in enumerate(sf.nodes):
            if n not in nw_cache:
                nw_cache[n] = node_weights(n)
            tgt, ban, gl = nw_cache[n]
            lw[k] = tgt * (1.0 - ban) * (1.0 - gl)
            bw[k] = tgt * ban
        return lw, bw

    # ---- stage-level quantities independent of the node
    spare_by: dict[tuple[str, str], tuple[np.ndarray, list[str], np.ndarray]] = {}
    prev = {"oxide": "ore", "metal": "oxide", "magnet": "metal"}
    hit_notes = []
    for sid, sf in stages.items():
        caps = chain.capacity.get(sid, {})
        alts = [e for e in caps if e not in sup and e not in sf.hubs]
        # a supplier fed by the shocked supplier at a covered previous stage loses that share of its spare
        dep = {}
        if sid in prev and any(k[0] == prev[sid] and v > 0 for k, v in res.coverage.items()):
            pf = stages[prev[sid]]
            si = [k for k, e in enumerate(pf.exporters) if e in sup]
            for e in alts:
                if e in pf.nodes and _targeted([e], sh, dests, year):
                    imp_s = pf.total()[si, pf.nodes.index(e)].sum()
                    lo, hi = caps[e].t_per_year.bounds()
                    conv = np.mean([_mode(c.value) for c in chain.conversion[sid].values()])
                    need = (lo + hi) / 2 * conv
                    dep[e] = float(min(1.0, imp_s / max(need, 1e-9)))
                    if dep[e] > 0.05:
                        hit_notes.append(f"{sid}: {e} imports {dep[e]:.0%} of the {prev[sid]} input its {sid} capacity "
                                         f"needs from {sh.supplier}; its spare capacity is cut by that share")
        for gid in chain.goods(sid):
            sp = np.zeros((D, len(alts)))
            for k, e in enumerate(alts):
                gshare = caps[e].groups.get(gid, 0.0)
                sp[:, k] = ps[f"capacity.{sid}.{e}"] / WEEKS_PER_YEAR * gshare * ps["market.spare_share_of_capacity"] \
                    * (1.0 - dep.get(e, 0.0))
            spare_by[(sid, gid)] = (sp, alts, np.array([dep.get(e, 0.0) for e in alts]))
    notes += hit_notes

    # ---- per node
    weekly_keys, weekly_arrays, total_keys, total_arrays, repl_rows = [], [], [], [], []
    sector_keys, sector_arrays, sector_tot_arrays = [], [], []
    keep: dict = {}
    bd = min(band_draws, D)
    week_starts = cal.week_starts()
    sector_share = _sector_shares(chain, ps, D)
    for node in nodes:
        inputs = NodeInputs(node, {}, {}, {})
        claims_ctx = {}
        for sid in stage_order:
            sf = stages[sid]
            ni = sf.nodes.index(node) if node in sf.nodes else None
            si = [k for k, e in enumerate(sf.exporters) if e in sup]
            hub_rows = [(k, sf.hub_supplier_share[e]) for k, e in enumerate(sf.exporters) if e in sf.hub_supplier_share]
            lw, bw = class_weights(sf)
            caps = chain.capacity.get(sid, {})
            mem = node_members.get(node, [node])
            per_good = {}
            for gid in chain.goods(sid):
                x_cov = m = 0.0
                sc_num = np.zeros(D)
                sc_den = 0.0
                world_imp = 0.0
                world_lic, world_ban = np.zeros(w), 0.0
                for hs, a in sf.flows.items():
                    smode, sdraw = share_mode_and_draw(sid, hs, gid)
                    cov = res.coverage.get((sid, hs, gid), 0.0)
                    col = a[:, ni] if ni is not None else np.zeros(a.shape[0])
                    x_s = col[si].sum() + sum(col[k] * sh_ for k, sh_ in hub_rows)
                    x_cov += x_s * smode * cov / WEEKS_PER_YEAR
                    m += col.sum() * smode / WEEKS_PER_YEAR
                    tot = a.sum()
                    sc_num += tot * sdraw
                    sc_den += tot * smode
                    world_imp += tot * smode / WEEKS_PER_YEAR
                    if cov:
                        xs_all = a[si].sum(axis=0) + sum(a[k] * sh_ for k, sh_ in hub_rows)  # (N,)
                        lic_w = (xs_all[:, None] * lw).sum(axis=0) * smode * cov / WEEKS_PER_YEAR  # (W,)
                        ban_w = float((xs_all * bw).sum()) * smode * cov / WEEKS_PER_YEAR
                        world_lic += lic_w
                        world_ban += ban_w
                share_scale = sc_num / sc_den if sc_den > 0 else np.ones(D)
                cov_scale = ps["licence.covered_share_of_magnets"] if (
                    sid == "magnet" and sh.measure is not None and res.magnet_covered) else np.ones(D)
                capw = np.zeros(D)
                for e in mem:
                    if e in caps:
                        capw += ps[f"capacity.{sid}.{e}"] / WEEKS_PER_YEAR * caps[e].groups.get(gid, 0.0)
                if sid == "ore" and sf.production:
                    capw += sum(sf.production.get(e, 0.0) for e in mem) / WEEKS_PER_YEAR * share_mode_and_draw(
                        "ore", "-", gid)[1] / (1.0 - ps["market.spare_share_of_capacity"])
                sp, alts, _dep = spare_by[(sid, gid)]
                parts = _claim_parts(sf, alts, sp, node, mem, si, hub_rows, lw)
                claims_ctx[(sid, gid)] = parts
                per_good[gid] = GoodInput(sid, gid, x_cov, m, share_scale, cov_scale, capw, parts.sum(axis=1),
                                          sp.sum(axis=1), world_imp, None, world_lic, world_ban,
                                          ps[f"stock.world.{sid}.firm_weeks"] * world_imp * share_scale)
            inputs.goods[sid] = per_good
            # own output of the next stage and its input need per group
            nxt = stage_order[stage_order.index(sid) + 1] if sid != stage_order[-1] else None
            if nxt is not None:
                ncaps = chain.capacity.get(nxt, {})
                need = {}
                for gid in chain.goods(sid):
                    qn = np.zeros(D)
                    for e in mem:
                        if e in ncaps:
                            gshare = ncaps[e].groups.get(gid, 0.0) if nxt != "magnet" else 1.0
                            qn += ps[f"capacity.{nxt}.{e}"] / WEEKS_PER_YEAR * gshare
                    qn *= (1.0 - ps["market.spare_share_of_capacity"])
                    conv = ps.values.get(f"conversion.{nxt}.{gid}")
                    need[gid] = qn * conv if conv is not None else np.zeros(D)
                inputs.need[sid] = need
            inputs.stock_weeks[sid] = node_stock_weeks(ps, node, sid)
        node_data, mag_short, last = _propagate_chunks(inputs, cuts, functools.partial(node_cut, node), core,
                                                       stage_order, bd, keep_draws, chunk_draws)
        # who replaces: the node's replacement apportioned by each supplier's claim
        for (sid, gid), parts in claims_ctx.items():
            sp, alts, dep = spare_by[(sid, gid)]
            g = inputs.goods[sid][gid]
            if not alts or g.claim.max() <= 0:
                continue
            tot_r = node_data[sid][gid].total["replacement_t"]
            for k, e in enumerate(alts):
                frac = np.divide(parts[:, k], g.claim, out=np.zeros(D), where=g.claim > 0)
                q = np.percentile(tot_r * frac, QS)
                if q[2] > 0:
                    repl_rows.append({"node": node, "stage": sid, "good": gid, "supplier": e,
                                      "t_p10": q[0], "t_p50": q[1], "t_p90": q[2],
                                      "basis": f"{sid} capacity (chains.yaml)",
                                      "dependence_on_shocked_supplier": float(dep[k])})
        # ---- what to summarise (bands are computed for all nodes at once below)
        for sid in stage_order:
            outs = node_data[sid]
            for gid, o in outs.items():
                for metric in ("delivered_t", "shortfall_t", "price_index"):
                    weekly_keys.append((node, sid, gid, metric))
                    weekly_arrays.append(o.weekly[metric])
                for metric in (*METRICS, "use_t"):
                    total_keys.append((node, sid, gid, metric))
                    total_arrays.append(o.total[metric])
            for metric in METRICS:
                weekly_keys.append((node, sid, "all", metric))
                weekly_arrays.append(sum(o.weekly[metric] for o in outs.values()))
                total_keys.append((node, sid, "all", metric))
                total_arrays.append(sum(o.total[metric] for o in outs.values()))
        mag_week, mag_tot = mag_short
        for s in chain.sectors:
            share_s = sector_share[s.id]
            sec = mag_week * share_s[None, :bd].astype(F32)
            kg = ps[f"sector.{s.id}.kg_magnet_per_unit"]
            sector_keys.append((node, s))
            sector_arrays += [sec, sec * (1000.0 / kg[:bd])[None, :].astype(F32)]
            ts = mag_tot * share_s
            sector_tot_arrays += [ts, ts * 1000.0 / kg]
            if keep_draws:
                keep[(node, "sector", s.id)] = last["magnet_short"] * share_s[:, None].astype(F32)
        if keep_draws:
            for sid, outs in node_data.items():
                for gid, o in outs.items():
                    for metric, a in o.full.items():
                        keep[(node, sid, gid, metric)] = a
            keep[(node, "cut")] = last["cut"]
            keep[(node, "inputs")] = last["inputs"]
            keep["core"] = last["core"]
        del node_data
    t_sim = time.perf_counter()
    c_sim = time.process_time()
    wb = _band_stack(weekly_arrays)  # (3, K, W)
    k_w = len(weekly_keys)
    weekly = pd.DataFrame({
        "node": np.repeat([k[0] for k in weekly_keys], w), "stage": np.repeat([k[1] for k in weekly_keys], w),
        "good": np.repeat([k[2] for k in weekly_keys], w), "week": np.tile(np.arange(1, w + 1), k_w),
        "week_start": np.tile(np.array(week_starts, dtype=object), k_w),
        "metric": np.repeat([k[3] for k in weekly_keys], w),
        "p10": wb[0].ravel(), "p50": wb[1].ravel(), "p90": wb[2].ravel()})
    tb = np.percentile(np.stack(total_arrays), QS, axis=1)  # (3, K)
    totals = pd.DataFrame({"node": [k[0] for k in total_keys], "stage": [k[1] for k in total_keys],
                           "good": [k[2] for k in total_keys], "metric": [k[3] for k in total_keys],
                           "p10": tb[0], "p50": tb[1], "p90": tb[2]})
    sb = _band_stack(sector_arrays)  # (3, 2·S, W): shortfall, units for each (node, sector)
    st_b = np.percentile(np.stack(sector_tot_arrays), QS, axis=1)
    sector_rows, sector_total_rows = [], []
    for j, (node, s) in enumerate(sector_keys):
        sector_rows.append(pd.DataFrame({
            "node": node, "sector": s.id, "week": np.arange(1, w + 1), "week_start": week_starts,
            "shortfall_t_magnet_p10": sb[0, 2 * j], "shortfall_t_magnet_p50": sb[1, 2 * j],
            "shortfall_t_magnet_p90": sb[2, 2 * j], "units_at_risk_p10": sb[0, 2 * j + 1],
            "units_at_risk_p50": sb[1, 2 * j + 1], "units_at_risk_p90": sb[2, 2 * j + 1], "unit": s.unit_en}))
        sector_total_rows.append({"node": node, "sector": s.id, "name_en": s.name_en, "name_zh": s.name_zh,
                                  "shortfall_t_magnet_p10": st_b[0, 2 * j], "shortfall_t_magnet_p50": st_b[1, 2 * j],
                                  "shortfall_t_magnet_p90": st_b[2, 2 * j], "units_at_risk_p10": st_b[0, 2 * j + 1],
                                  "units_at_risk_p50": st_b[1, 2 * j + 1], "units_at_risk_p90": st_b[2, 2 * j + 1],
                                  "unit": s.unit_en, "tag_share": s.share.tag, "tag_intensity": s.kg_magnet_per_unit.tag})
    sectors = pd.concat(sector_rows, ignore_index=True)
    sector_totals = pd.DataFrame(sector_total_rows)
    replacement = pd.DataFrame(repl_rows, columns=["node", "stage", "good", "supplier", "t_p10", "t_p50", "t_p90",
                                                   "basis", "dependence_on_shocked_supplier"])
    legal = pd.DataFrame({"week": np.arange(1, w + 1), "week_start": week_starts, "state": labels,
                          "active_share": active, "unknown_share": unknown})
    t_bands = time.perf_counter()
    meta = {
        "chain": sh.chain, "shock": sh.model_dump(mode="json", by_alias=True, exclude_none=True),
        "supplier": sh.supplier, "supplier_members": sorted(sup), "nodes": nodes,
        "node_members": {n: groups.get(n, [n]) for n in nodes}, "baseline_year": year, "weeks": w,
        "weeks_asked": weeks, "first_day": first.isoformat(), "draws": D, "seed": seed, "band_draws": bd,
        "time_step": "week (7 days; week 1 starts on first_day)", "units": "t per week (weekly), t (totals)",
        "sources": res.sources + [sf.source for sf in stages.values()],
        "notes": notes + [n for sf in stages.values() for n in sf.notes],
        "hubs": {sid: sf.hubs for sid, sf in stages.items()},
        "hub_rule": f"no capacity/production at the stage and imports >= {_mode(cfile.hubs.import_ratio.value):g} x "
                    f"exports ({cfile.hubs.import_ratio.label()})",
        "coverage": {f"{k[0]}:{k[1]}:{k[2]}": v for k, v in sorted(res.coverage.items())},
        "regime": rg.kind, "unknown_as": sh.unknown_as, "stopped": stop_note,
    }
    assumptions = ps.table()
    meta["parameters"] = {r.parameter: r.value for r in assumptions.itertuples()}
    run_id = _run_id(meta)
    timings = {"read_s": t_read - t0, "sample_s": t_sample - t_read, "simulate_s": t_sim - t_sample,
               "bands_s": t_bands - t_sim, "total_s": time.perf_counter() - t0,
               "simulate_cpu_s": c_sim - c_sample, "bands_cpu_s": time.process_time() - c_sim}
    return ChainResult(run_id, weekly, sectors, totals, sector_totals, replacement, legal, assumptions, meta,
                       timings, keep if keep_draws else None)


def _approval_by_period(base: np.ndarray, steps, days: list[dt.date]) -> np.ndarray:
    """(D,) approval share, or (D, T) when the shock changes it by date (``regime.steps``)."""
    if not steps:
        return base
    out = np.broadcast_to(base[:, None], (base.shape[0], len(days))).copy()
    for stp in sorted(steps, key=lambda s: s.from_):
        on = np.array([d >= stp.from_ for d in days])
        out[:, on] = stp.approval_share
    return out


def _expand(codes: list[str], year: int) -> set[str]:
    from critmin.stress.chain_baseline import supplier_members

    out: set[str] = set()
    for c in codes:
        out |= supplier_members(c, year) | {c}
    return out


def _mode(v) -> float:
    from critmin.stress.params import Normal, Triangular, Uniform

    if isinstance(v, int | float):
        return float(v)
    if isinstance(v, Triangular):
        return v.mode
    if isinstance(v, Uniform):
        return (v.low + v.high) / 2
    if isinstance(v, Normal):
        return v.mean
    raise ValueError(f"no mode for {v!r}")


def _sector_shares(chain, ps: ParamSet, d: int) -> dict[str, np.ndarray]:
    """Per-draw end-use shares: the drawn shares, the 'rest' sector takes 1 − their sum (at least 0), then all
    are normalised to sum to one."""
    shares = {s.id: ps[f"sector.{s.id}.share"] for s in chain.sectors if s.share.value != "rest"}
    rest = next(s.id for s in chain.sectors if s.share.value == "rest")
    shares[rest] = np.maximum(0.0, 1.0 - sum(shares.values()))
    tot = sum(shares.values())
    return {k: v / tot for k, v in shares.items()}


def _claim_parts(sf, alts, sp, node, mem, si, hub_rows, lw) -> np.ndarray:
    """(D, A): each alternative supplier's spare that the node claims. A supplier's spare goes to the exposed
    importers in proportion to its pre-shock exports to them; a member of the node gives it all to its node;
    a supplier with no ties to an exposed importer shares it by exposure."""
    d = sp.shape[0]
    out = np.zeros((d, len(alts)))
    if not alts:
        return out
    tot = sf.total()
    x_all = tot[si].sum(axis=0) + sum(tot[k] * s for k, s in hub_rows)
    exposed = (x_all * lw.max(axis=1)) > 0
    ni = sf.nodes.index(node) if node in sf.nodes else None
    for k, e in enumerate(alts):
        if e in mem:
            out[:, k] = sp[:, k]
            continue
        if ni is None or not exposed[ni]:
            continue
        row = tot[sf.exporters.index(e)] * exposed if e in sf.exporters else np.zeros(len(sf.nodes))
        if row.sum() > 0:
            out[:, k] = sp[:, k] * row[ni] / row.sum()
        elif x_all[exposed].sum() > 0:
            out[:, k] = sp[:, k] * x_all[ni] / x_all[exposed].sum()
    return out


def _claims(sf, alts, sp, node, mem, si, hub_rows, lw) -> np.ndarray:
    return _claim_parts(sf, alts, sp, node, mem, si, hub_rows, lw).sum(axis=1)


def _band_stack(arrays: list[np.ndarray]) -> np.ndarray:
    """P10/P50/P90 over draws of each (W, D) array: (3, K, W); the partition runs along contiguous rows."""
    if not arrays:
        return np.zeros((3, 0, 0))

    def band(a: np.ndarray) -> np.ndarray:
        return np.percentile(a, QS, axis=1, method="linear")

    if PARALLEL_SLICES > 1 and len(arrays) > 1:  # independent arrays; NumPy's partition releases the GIL
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(PARALLEL_SLICES) as pool:
            return np.stack(list(pool.map(band, arrays)), axis=1)
    return np.stack([band(a) for a in arrays], axis=1)


def _run_id(meta: dict) -> str:
    import hashlib
    import json

    key = json.dumps({k: meta[k] for k in ("chain", "shock", "nodes", "baseline_year", "weeks", "first_day",
                                           "draws", "seed", "parameters", "sources")}, sort_keys=True, default=str)
    return "chain-" + hashlib.sha256(key.encode()).hexdigest()[:12]


# ---------------------------------------------------------------------------------------------------------
# Licence path (backtests): the share of a baseline that still ships


def licence_path(shock: ChainShock | dict | str, destinations: list[str], periods: list[dt.date | str], *,
                 stage: str = "magnet", good: str = "magnet", draws: int = 1000, seed: int | None = 0,
                 year: int = 2024) -> tuple[np.ndarray, Any]:
    """(D, len(destinations), len(periods)) share of the baseline flow of ``stage``/``good`` from the shocked
    supplier to each destination that still ships in each period, and the assumptions table.

    ``periods`` are the first days of consecutive periods (e.g. month starts); the last period is as long as
    the one before it. A period's share is the mean of its days (licence delay evaluated daily)."""
    from critmin.stress.chain_data import load_chains

    shock = as_shock(shock)
    days = [dt.date.fromisoformat(p) if isinstance(p, str) else p for p in periods]
    if len(days) < 1:
        from critmin.errors import UsageError

        raise UsageError("licence_path needs at least one period")
    step = (days[-1] - days[-2]).days if len(days) > 1 else 30
    ends = days[1:] + [days[-1] + dt.timedelta(days=step)]
    first, n_days = days[0], (ends[-1] - days[0]).days
    cf = load_chains()
    chain = cf.chain(shock.chain)
    hs = {s.id: list(s.hs6_groups) or ["-"] for s in chain.stages}
    res = resolve_shock(shock, hs)
    st = res.state_by_day(first, n_days)
    on = (st == "in_force") | ((st == "unknown") & (shock.unknown_as == "in_force"))
    if shock.unknown_as == "stop" and (st == "unknown").any():
        on = on.astype(float)
        on[st == "unknown"] = np.nan
    ps = ParamSet(draws, seed)
    rg = shock.regime
    if rg.kind == "licence":
        for name in ("approval_share", "review_delay_days", "decision_spread_days", "leakage", "pipeline_days"):
            given = getattr(rg, name)
            (ps.add(f"licence.{name}", given, "given by the caller", "given", "shock") if given is not None
             else ps.add_cited(f"licence.{name}", getattr(cf.licence, name), "shock"))
    elif rg.kind == "volume":
        ps.add("volume.cut", rg.cut, "given by the caller", "given", "shock")
    else:
        from critmin.errors import UsageError

        raise UsageError("licence_path takes licence or volume regimes (a quota needs a baseline: use run_chain)")
    covered = max((v for k, v in res.coverage.items() if k[0] == stage and k[2] == good), default=0.0)
    if stage == "magnet" and shock.measure is not None and res.magnet_covered:
        ps.add_cited("licence.covered_share_of_magnets", cf.licence.covered_share_of_magnets, "magnet")
    ps.draw()
    cov = ps.values.get("licence.covered_share_of_magnets", np.full(draws, covered))
    onf = np.asarray(on, dtype=float)
    run_start = np.zeros(n_days)
    last = -10**6
    for k in range(n_days):
        if onf[k] == 1 and (k == 0 or onf[k - 1] != 1):
            last = k
        run_start[k] = last
    since = np.arange(n_days) - run_start
    if rg.kind == "licence":
        from critmin.stress.chain_shock import licensed_share

        approval = _approval_by_period(ps["licence.approval_share"], rg.steps,
                                       [first + dt.timedelta(days=k) for k in range(n_days)])
        lic = licensed_share(since, approval, ps["licence.review_delay_days"], ps["licence.decision_spread_days"],
                             ps["licence.pipeline_days"])
        cday = (1.0 - lic) * (1.0 - ps["licence.leakage"])[:, None]
    else:
        cday = np.broadcast_to(ps["volume.cut"][:, None], (draws, n_days))
    cday = cday * onf[None, :]
    year_ = year
    out = np.zeros((draws, len(destinations), len(days)))
    idx = np.array([(d - first).days for d in days] + [n_days])
    for j, dest in enumerate(destinations):
        tgt = 1.0 if _targeted(sorted(_expand([dest], year_)), shock, res.destinations, year_) else 0.0
        ban = max((b.share for b in shock.bans if dest in _expand(b.destinations, year_)), default=0.0)
        gl = np.zeros(n_days)
        for g in shock.general_licences:
            if dest in _expand(g.destinations, year_) or dest in g.destinations:
                gl = np.maximum(gl, np.array([g.share if first + dt.timedelta(days=k) >= g.from_ else 0.0
                                              for k in range(n_days)]))
        cd = tgt * ((1.0 - ban) * cday * (1.0 - gl)[None, :] + ban * onf[None, :])
        shipped = 1.0 - cd * cov[:, None]
        for p in range(len(days)):
            out[:, j, p] = shipped[:, idx[p]:idx[p + 1]].mean(axis=1)
    return out, ps.table()


# ---------------------------------------------------------------------------------------------------------
# Data for incident stage 3 and tests


def hubs(stage: str, year: int = 2024, supplier: str = "CHN", chain: str = "ree_magnets", warehouse=None) -> list[str]:
    """Economies the hub rule flags at ``stage`` in ``year`` (chains.yaml ``hubs``; module chain_baseline)."""
    from critmin.stress.chain_baseline import read_stage_flows, supplier_members
    from critmin.stress.chain_data import load_chains
    from critmin.warehouse.handle import using

    cf = load_chains()
    ch = cf.chain(chain)
    lo, hi = cf.hubs.import_ratio.bounds()
    with using(warehouse) as wh:
        sf = read_stage_flows(wh, ch, stage, year, {}, supplier_members(supplier, year), (lo + hi) / 2)
    return sf.hubs


def stage_capacities(chain: str = "ree_magnets", stage: str | None = None):
    from critmin.stress.chain_data import stage_capacities as sc

    return sc(chain, stage)


def alternatives(stage: str, importer: str = "EU27", *, year: int = 2024, shock: ChainShock | dict | str | None = None,
                 chain: str = "ree_magnets", warehouse=None):
    """Alternative suppliers at one stage for one importer: refiners / metal / magnet makers with capacity
    (never mine output above the ore stage), with the shocked supplier, re-export hubs and suppliers hit by the
    same shock flagged and excluded (``eligible`` False with the reason). Columns: iso3, stage, basis,
    capacity_t_low/high, spare_t_per_year_low/high (before the shock's dependence cut), dependence_on_supplier,
    exports_to_importer_t, eligible, reason, source, tag."""
    import pandas as pd

    from critmin.stress.chain_baseline import read_stage_flows, resolve_nodes, supplier_members
    from critmin.stress.chain_data import load_chains
    from critmin.warehouse.handle import using

    cf = load_chains()
    ch = cf.chain(chain)
    shock = as_shock(shock)
    supplier = shock.supplier if shock is not None else "CHN"
    sup = supplier_members(supplier, year)
    nodes, groups = resolve_nodes([importer], year)
    lo_r, hi_r = cf.hubs.import_ratio.bounds()
    prev = {"oxide": "ore", "metal": "oxide", "magnet": "metal"}.get(stage)
    with using(warehouse) as wh:
        sf = read_stage_flows(wh, ch, stage, year, groups, sup, (lo_r + hi_r) / 2)
        pf = read_stage_flows(wh, ch, prev, year, {}, sup, (lo_r + hi_r) / 2) if prev else None
    res = resolve_shock(shock, {stage: sf.hs6, **({prev: pf.hs6} if pf else {})}) if shock is not None else None
    covers_prev = res is not None and any(k[0] == prev and v > 0 for k, v in res.coverage.items())
    lo_s, hi_s = cf.market.spare_share_of_capacity.bounds()
    rows = []
    tot = sf.total()
    node = nodes[0]
    for iso, e in ch.capacity.get(stage, {}).items():
        lo, hi = e.t_per_year.bounds()
        dep = 0.0
        if pf is not None and iso in pf.nodes:
            si = [k for k, x in enumerate(pf.exporters) if x in sup]
            need = (lo + hi) / 2 * np.mean([_mode(c.value) for c in ch.conversion[stage].values()])
            dep = float(min(1.0, pf.total()[si, pf.nodes.index(iso)].sum() / max(need, 1e-9)))
        exp_to = float(tot[sf.exporters.index(iso), sf.nodes.index(node)]) if (
            iso in sf.exporters and node in sf.nodes) else 0.0
        reason, ok = "", True
        if iso in sup:
            ok, reason = False, "the shocked supplier"
        elif iso in sf.hubs:
            ok, reason = False, "re-export hub (hub rule)"
        elif covers_prev and dep >= 0.5 and shock is not None and _targeted([iso], shock, res.destinations, year):
            ok, reason = False, f"hit by the same shock: {dep:.0%} of its {prev} input from {supplier}"
        rows.append({"iso3": iso, "stage": stage, "basis": f"{stage} capacity (refiner/metal/magnet maker), not mine "
                     "output", "capacity_t_low": lo, "capacity_t_high": hi, "spare_t_per_year_low": lo * lo_s,
                     "spare_t_per_year_high": hi * hi_s, "dependence_on_supplier": dep,
                     "exports_to_importer_t": exp_to, "eligible": ok, "reason": reason,
                     "source": e.t_per_year.label(), "tag": e.t_per_year.tag})
    if stage == "ore":
        for iso, q in sorted(sf.production.items(), key=lambda kv: -kv[1]):
            rows.append({"iso3": iso, "stage": "ore", "basis": "mine production (World Mining Data)",
                         "capacity_t_low": q, "capacity_t_high": q, "spare_t_per_year_low": 0.0,
                         "spare_t_per_year_high": 0.0, "dependence_on_supplier": 0.0, "exports_to_importer_t": 0.0,
                         "eligible": iso not in sup, "reason": "the shocked supplier" if iso in sup else "",
                         "source": "World Mining Data (production table)", "tag": "C"})
    for h in sf.hubs:
        if h not in ch.capacity.get(stage, {}):
            exp_to = float(tot[sf.exporters.index(h), sf.nodes.index(node)]) if (
                h in sf.exporters and node in sf.nodes) else 0.0
            rows.append({"iso3": h, "stage": stage, "basis": "exports without production at this stage",
                         "capacity_t_low": 0.0, "capacity_t_high": 0.0, "spare_t_per_year_low": 0.0,
                         "spare_t_per_year_high": 0.0,
                         "dependence_on_supplier": sf.hub_supplier_share.get(h, 0.0),
                         "exports_to_importer_t": exp_to, "eligible": False, "reason": "re-export hub (hub rule)",
                         "source": cf.hubs.import_ratio.label(), "tag": cf.hubs.import_ratio.tag})
    df = pd.DataFrame(rows)
    return df.sort_values(["eligible", "capacity_t_high"], ascending=[False, False], kind="stable").reset_index(drop=True)
