"""The array core of the stress test: a monthly mass balance over the bilateral flows of a baseline year,
vectorised over Monte Carlo draws (arrays shaped draws × importers × months; the only Python loop is over
months, because stocks carry from one month to the next).

Notation (all quantities in tonnes of traded product per month unless stated):

* ``F[t, e, i]`` baseline flow from exporter ``e`` to importer node ``i`` in month ``t``.
* ``S`` the shocked suppliers, ``T`` the targeted importers, ``a_t`` = 1 while the shock is on.
* exposure ``x_i(t) = Σ_{e∈S} F[t, e, i] · T_i``; withheld ``gap_i(t) = c · a_t · x_i(t)`` (``c`` = cut).
* demand proxy ``d_i(t) = Σ_e F[t, e, i]`` (baseline imports; the engine stresses imported supply).
* replacement pool ``P(t) = min(σ · min(1, k/τ) · Σ_e spare_e, κ · k/12 · Σ_i d_i(t))`` over suppliers
  outside ``S``, ``k = t − t₀ + 1`` months into the shock (σ = share of spare capacity that can be
  mobilised, τ = ramp-up months, κ = growth cap as a share of market volume per year).
* replacement ``r_i = min(gap_i, λ · b_i)`` with ``Σ_i r_i = min(P, Σ_{i: b_i>0} gap_i)``: proportional
  sharing with caps ("water-filling"). The weights ``b`` are the allocation rule: ``ties`` (default) gives
  each alternative supplier's spare capacity to the targeted importers in proportion to its pre-shock
  exports to them; ``shortfall`` shares the pool in proportion to the volume each importer lost.
* per importer, the net gap ``n = gap − r`` is covered in the stated order by strategic stock
  (``K₀ = days/30.4375 · mean monthly demand``), substitution (capacity rises linearly over 12 months to
  ``ceiling · demand`` after a lag) and recycling (same form); the rest is the shortfall.
  ``stock_first`` (default, the order of issue 5) draws stock before substitution; ``substitution_first``
  keeps stock for last.
* price pressure ``Δp/p = ((Σ gap − Σ r)/Σ d) / (ε_s − ε_d)`` (methods brief §6.5), a market-level index.

Stocks are not refilled within the horizon (a stated simplification).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

DAYS_PER_MONTH = 365.25 / 12
PARAM_NAMES = (
    "cut",
    "spare_share",
    "ramp_months",
    "ramp_cap_per_year",
    "substitution_ceiling",
    "substitution_lag_months",
    "recycling_ceiling",
    "recycling_lag_months",
    "elasticity_demand",
    "elasticity_supply",
)
_EPS = 1e-12
# the order in which strategic stock, substitution and recycling cover a net gap
_COVER_ORDER = {"stock_first": ("stock", "sub", "rec"), "substitution_first": ("sub", "rec", "stock")}


@dataclass
class Network:
    """Baseline flows and the shock's geometry, as arrays.

    ``flows`` is (months, exporters, importers) in tonnes per month; ``spare`` (exporters,) tonnes per month
    of spare capacity before the mobilisation share; ``supplier`` and ``target`` are boolean masks.
    ``start`` is the 0-based month the shock begins, ``duration`` how many months it lasts.
    """

    exporters: list[str]
    importers: list[str]
    flows: np.ndarray
    spare: np.ndarray
    supplier: np.ndarray
    target: np.ndarray
    start: int
    duration: int
    allocation: str = "ties"
    order: str = "stock_first"

    def __post_init__(self) -> None:
        self.flows = np.asarray(self.flows, dtype=float)
        if self.flows.ndim == 2:
            raise ValueError("flows must be (months, exporters, importers); use monthly_from_annual()")
        m, e, i = self.flows.shape
        self.spare = np.asarray(self.spare, dtype=float).reshape(e)
        self.supplier = np.asarray(self.supplier, dtype=bool).reshape(e)
        self.target = np.asarray(self.target, dtype=bool).reshape(i)
        if self.allocation not in ("ties", "shortfall"):
            raise ValueError(f"allocation must be 'ties' or 'shortfall', got {self.allocation!r}")
        if self.order not in ("stock_first", "substitution_first"):
            raise ValueError(f"order must be 'stock_first' or 'substitution_first', got {self.order!r}")

    @property
    def months(self) -> int:
        return self.flows.shape[0]

    @property
    def active(self) -> np.ndarray:
        t = np.arange(self.months)
        return ((t >= self.start) & (t < self.start + self.duration)).astype(float)

    @property
    def exposure(self) -> np.ndarray:
        """x[t, i]: baseline monthly flow from the shocked suppliers to targeted importer i (0 elsewhere)."""
        return self.flows[:, self.supplier, :].sum(axis=1) * self.target[None, :]

    @property
    def demand(self) -> np.ndarray:
        """d[t, i]: baseline imports of node i in month t (the consumption proxy)."""
        return self.flows.sum(axis=1)

    def weights(self) -> np.ndarray:
        """b[i]: each importer's claim on the replacement pool (tonnes per month at full mobilisation)."""
        annual = self.flows.sum(axis=0)  # (E, I)
        x = self.exposure.sum(axis=0)  # (I,)
        exposed = x > 0
        alt = ~self.supplier & (self.spare > 0)
        spare = np.where(alt, self.spare, 0.0)
        if not exposed.any() or spare.sum() <= 0:
            return np.zeros(len(self.importers))
        if self.allocation == "shortfall":
            b = spare.sum() * x / x.sum()
            return np.where(b > max(1e-12 * b.sum(), 1e-9), b, 0.0)
        ties = annual * exposed[None, :]  # (E, I) ties to importers that lose supply
        row = ties.sum(axis=1)
        share = np.divide(ties, row[:, None], out=np.zeros_like(ties), where=row[:, None] > 0)
        b = spare @ share
        # a supplier with spare capacity but no ties to any exposed importer: share it by lost volume
        orphan = spare[row <= 0].sum()
        if orphan > 0:
            b = b + orphan * x / x.sum()
        return np.where(b > max(1e-12 * b.sum(), 1e-9), b, 0.0)  # negligible claims (round-off) count as none


def monthly_from_annual(annual: np.ndarray, months: int) -> np.ndarray:
    """Split an annual (E, I) flow matrix evenly into ``months`` identical months."""
    annual = np.asarray(annual, dtype=float)
    return np.broadcast_to(annual / 12.0, (months, *annual.shape)).copy()


@dataclass
class Market:
    """Market-level solution per (draw, month): the water-filling level and the aggregates."""

    nu: np.ndarray  # (D, M) level: r_i = cut · min(w_i, nu · b_i)
    pool: np.ndarray  # (D, M) replacement available, t/month
    replaced: np.ndarray  # (D, M) replacement delivered to all importers
    withheld: np.ndarray  # (D, M) withheld by the shocked suppliers from all importers
    price_pressure: np.ndarray  # (D, M) Δp/p
    weights: np.ndarray  # (I,)
    extra: dict = field(default_factory=dict)


def solve_market(net: Network, p: dict[str, np.ndarray]) -> Market:
    """The level ν of the capped proportional allocation for every draw and month (no importer axis).

    ``h(ν) = Σ_i min(w_i, ν b_i)`` is piecewise linear and increasing in ν with breakpoints at w_i/b_i, so
    ν = h⁻¹(target/cut) is one ``np.interp`` per month over all draws.
    """
    cut = np.asarray(p["cut"], dtype=float)
    d = cut.shape[0]
    m = net.months
    b = net.weights()
    x = net.exposure  # (M, I)
    a = net.active
    btot = b.sum()
    months_in = np.arange(m) - net.start + 1.0  # 1 in the first shock month
    ramp = np.clip(months_in[None, :] / np.maximum(p["ramp_months"], 1e-9)[:, None], 0.0, 1.0)
    pool = p["spare_share"][:, None] * ramp * btot * a[None, :]
    demand_tot = net.demand.sum(axis=1)  # (M,) world imports of the HS6 set
    if "ramp_cap_per_year" in p:  # growth cap: ≤ κ of market volume per year (Sprecher et al. 2017: ~4 %)
        grown = np.clip(months_in, 0.0, None)[None, :] / 12.0 * p["ramp_cap_per_year"][:, None]
        pool = np.minimum(pool, grown * demand_tot[None, :])
    nu = np.zeros((d, m))
    replaced = np.zeros((d, m))
    withheld = cut[:, None] * (x.sum(axis=1) * a)[None, :]
    has_b = b > 0
    for t in range(m):
        if a[t] == 0:
            continue
        w = x[t]
        sel = has_b & (w > 0)
        if not sel.any():
            continue
        ws, bs = w[sel], b[sel]
        ratio = ws / bs
        order = np.argsort(ratio, kind="stable")
        ratio, ws, bs = ratio[order], ws[order], bs[order]
        wcum = np.cumsum(ws)
        bsuffix = bs[::-1].cumsum()[::-1]  # Σ_{j>=k} b_j
        bafter = np.append(bsuffix[1:], 0.0)
        h = wcum + ratio * bafter  # h at each breakpoint
        xp = np.concatenate(([0.0], h))
        fp = np.concatenate(([0.0], ratio))
        wmax = wcum[-1]
        target = np.minimum(pool[:, t], cut * wmax)  # tonnes delivered in total
        tau = np.divide(target, cut, out=np.zeros(d), where=cut > _EPS)
        nu[:, t] = np.interp(tau, xp, fp)
        replaced[:, t] = target
    loss = np.divide(withheld - replaced, demand_tot[None, :], out=np.zeros((d, m)), where=demand_tot[None, :] > 0)
    denom = p["elasticity_supply"] - p["elasticity_demand"]
    price = loss / np.maximum(denom, 1e-9)[:, None]
    return Market(nu=nu, pool=pool, replaced=replaced, withheld=withheld, price_pressure=price, weights=b)


def simulate_importers(
    net: Network,
    p: dict[str, np.ndarray],
    market: Market,
    idx: np.ndarray | list[int] | None = None,
    stock_days: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Per-importer monthly balance for the importers ``idx`` (all if None).

    ``stock_days`` is (D, R) or (D,) days of consumption held at the start. Returns arrays shaped
    (D, R, M): ``supply_t`` (imports received), ``withheld_t``, ``replacement_t``, ``stock_draw_t``,
    ``substitution_t``, ``recycling_t``, ``shortfall_t``, ``stock_t`` (end of month); and (D, R):
    ``stock0_t`` and ``stockout_month`` (months from the shock start until stock is exhausted while a gap
    remains, 1 = the first shock month; +inf if never within the horizon).
    """
    idx = np.arange(len(net.importers)) if idx is None else np.asarray(idx, dtype=int)
    cut = np.asarray(p["cut"], dtype=float)
    d, m, r = cut.shape[0], net.months, len(idx)
    x = net.exposure[:, idx] * net.active[:, None]  # (M, R) exposure while active
    dem = net.demand[:, idx]  # (M, R)
    dbar = dem.mean(axis=0)  # (R,)
    b = market.weights[idx]
    days = np.zeros((d, r)) if stock_days is None else np.broadcast_to(
        np.asarray(stock_days, dtype=float).reshape(d, -1), (d, r))
    stock = days / DAYS_PER_MONTH * dbar[None, :]
    stock0 = stock.copy()
    months_in = np.arange(m) - net.start + 1.0
    out = {k: np.zeros((d, r, m)) for k in (
        "supply_t", "withheld_t", "replacement_t", "stock_draw_t", "substitution_t", "recycling_t",
        "shortfall_t", "stock_t")}
    stockout = np.full((d, r), np.inf)
    sub_ceiling = p["substitution_ceiling"][:, None] * dbar[None, :]
    rec_ceiling = p["recycling_ceiling"][:, None] * dbar[None, :]
    for t in range(m):
        gap = cut[:, None] * x[t][None, :]
        repl = cut[:, None] * np.minimum(x[t][None, :], market.nu[:, t][:, None] * b[None, :])
        repl = np.minimum(repl, gap)
        net_gap = gap - repl
        sub_cap = sub_ceiling * np.clip((months_in[t] - p["substitution_lag_months"]) / 12.0, 0.0, 1.0)[:, None]
        rec_cap = rec_ceiling * np.clip((months_in[t] - p["recycling_lag_months"]) / 12.0, 0.0, 1.0)[:, None]
        caps = {"stock": stock, "sub": sub_cap, "rec": rec_cap}
        take, rem = {}, net_gap
        for k in _COVER_ORDER[net.order]:  # each source covers what the earlier ones left, up to its cap
            take[k] = np.minimum(rem, caps[k])
            rem = rem - take[k]
        draw, sub, rec = take["stock"], take["sub"], take["rec"]
        stock = stock - draw
        np.maximum(stock, 0.0, out=stock)
        out_now = (stock <= _EPS * (1.0 + stock0)) & (net_gap - sub - rec > _EPS) & np.isinf(stockout)
        stockout[out_now] = months_in[t]
        out["supply_t"][:, :, t] = dem[t][None, :] - gap + repl
        out["withheld_t"][:, :, t] = gap
        out["replacement_t"][:, :, t] = repl
        out["stock_draw_t"][:, :, t] = draw
        out["substitution_t"][:, :, t] = sub
        out["recycling_t"][:, :, t] = rec
        out["shortfall_t"][:, :, t] = rem
        out["stock_t"][:, :, t] = stock
    out["stock0_t"] = stock0
    out["stockout_month"] = stockout
    return out


def sample_parameters(specs: dict, draws: int, seed: int | None) -> dict[str, np.ndarray]:
    """One array of ``draws`` values per parameter, in a fixed order so a seed reproduces the run.

    ``specs`` maps names to :data:`critmin.stress.params.Param` values (fixed or distributions).
    """
    from critmin.stress.params import sample

    rng = np.random.default_rng(seed)
    out: dict[str, np.ndarray] = {}
    for name in sorted(specs):
        out[name] = sample(specs[name], rng, draws)
    return out


def quantiles(a: np.ndarray, qs=(10, 50, 90), axis: int = 0) -> np.ndarray:
    """P10/P50/P90 along ``axis`` (draws); +inf values (never) stay +inf in the bands."""
    return np.percentile(a, qs, axis=axis, method="linear")
