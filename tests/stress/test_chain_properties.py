"""Property tests of the chain model (hypothesis): conservation at every stage, monotonicity in the cut and in
the approval share, zero shock -> zero shortfall, and end uses that add up to the magnet shortfall."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from critmin.stress.chain_data import load_chains

from .chain_helpers import goods, random_flows, run_synthetic

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
COVERS = ("replacement_t", "stock_draw_t", "substitution_t", "recycling_t", "demand_reduction_t", "shortfall_t")
COVERAGES = st.sampled_from([{"oxide": "all"}, {"oxide": ["dytb"], "metal": ["dytb"], "magnet": "all"},
                             {"metal": "all"}, {"magnet": "all"}, {"oxide": {"ndpr": 0.5}, "metal": ["ndpr"]}])


def _vol(cut, coverage, **kw):
    return {"start": "2025-01-08", "coverage": coverage, "regime": {"kind": "volume", "cut": cut}, **kw}


def _tol(m):
    return 1e-4 * (1.0 + np.abs(m["use_t"]).max())


@SETTINGS
@given(seed=st.integers(0, 10_000), cut=st.floats(0, 1), cov=COVERAGES)
def test_every_stage_conserves_mass(seed, cut, cov):
    r = run_synthetic(_vol(cut, cov), random_flows(np.random.default_rng(seed)), seed=seed, first_day="2025-01-01")
    for node in ("EU27", "JPN"):
        for (stage, good), m in goods(r, node).items():
            gap = m["withheld_t"] + m["production_loss_t"]
            assert np.allclose(gap, sum(m[k] for k in COVERS), atol=_tol(m)), (node, stage, good)
            # what arrives + what the gap took away, less what replacement put back, is the baseline use
            assert np.allclose(m["delivered_t"] + gap - m["replacement_t"], m["use_t"], atol=_tol(m))
            for k in (*COVERS, "withheld_t", "production_loss_t"):
                assert (m[k] >= -_tol(m)).all(), (stage, good, k)
            assert (m["shortfall_t"] <= gap + _tol(m)).all()
            assert (m["terminal_shortfall_t"] <= m["shortfall_t"] + _tol(m)).all()


@SETTINGS
@given(seed=st.integers(0, 10_000), cut=st.floats(0, 1))
def test_sectors_add_up_to_the_magnet_shortfall(seed, cut):
    r = run_synthetic(_vol(cut, {"metal": "all", "magnet": "all"}), random_flows(np.random.default_rng(seed)),
                      seed=seed)
    mag = r.draws_data[("EU27", "magnet", "magnet", "shortfall_t")].astype(np.float64)
    sectors = [a for k, a in r.draws_data.items() if k[:2] == ("EU27", "sector")]
    assert len(sectors) == len(load_chains().chain("ree_magnets").sectors)
    assert np.allclose(sum(a.astype(np.float64) for a in sectors), mag, atol=1e-3 * (1 + mag.max()))


@SETTINGS
@given(seed=st.integers(0, 10_000), cov=COVERAGES)
def test_zero_shock_zero_shortfall(seed, cov):
    r = run_synthetic(_vol(0.0, cov), random_flows(np.random.default_rng(seed)), seed=seed)
    for node in ("EU27", "JPN"):
        for m in goods(r, node).values():
            for k in ("withheld_t", "production_loss_t", "shortfall_t", "demand_reduction_t", "stock_draw_t"):
                assert np.abs(m[k]).max() == 0.0
            assert np.allclose(m["price_index"], 1.0)
    for k, a in r.draws_data.items():
        if k[1] == "sector":
            assert np.abs(a).max() == 0.0


def _unmet(r, node):
    """Per (stage, good): what is neither replaced, drawn from stock, substituted nor recycled (shortfall +
    demand priced out), cumulated over weeks."""
    return {k: np.cumsum(m["shortfall_t"] + m["demand_reduction_t"], axis=1) for k, m in goods(r, node).items()}


@SETTINGS
@given(seed=st.integers(0, 10_000), c1=st.floats(0, 1), c2=st.floats(0, 1), cov=COVERAGES)
def test_a_larger_cut_never_lowers_what_is_missing(seed, c1, c2, cov):
    lo, hi = sorted((c1, c2))
    flows = random_flows(np.random.default_rng(seed))
    a = run_synthetic(_vol(lo, cov), flows, seed=seed)
    b = run_synthetic(_vol(hi, cov), flows, seed=seed)
    for node in ("EU27", "JPN"):
        ua, ub = _unmet(a, node), _unmet(b, node)
        for k in ua:
            assert (ub[k] >= ua[k] - 1e-3 * (1 + ua[k].max())).all(), (node, k)


@SETTINGS
@given(seed=st.integers(0, 10_000), c1=st.floats(0, 1), c2=st.floats(0, 1))
def test_without_a_price_response_the_shortfall_itself_is_monotone(seed, c1, c2):
    cf = load_chains()
    zero = cf.market.elasticity_demand.model_copy(update={"value": 0.0})
    cf = cf.model_copy(update={"market": cf.market.model_copy(update={"elasticity_demand": zero})})
    lo, hi = sorted((c1, c2))
    flows = random_flows(np.random.default_rng(seed))
    cov = {"oxide": "all", "metal": ["dytb"], "magnet": "all"}
    a = run_synthetic(_vol(lo, cov), flows, seed=seed, cfile=cf)
    b = run_synthetic(_vol(hi, cov), flows, seed=seed, cfile=cf)
    ga, gb = goods(a, "EU27"), goods(b, "EU27")
    for k in ga:
        assert (gb[k]["shortfall_t"] >= ga[k]["shortfall_t"] - 1e-3 * (1 + ga[k]["shortfall_t"].max())).all(), k


@SETTINGS
@given(seed=st.integers(0, 10_000), a1=st.floats(0, 1), a2=st.floats(0, 1), delay=st.floats(0, 120))
def test_a_higher_approval_share_never_raises_what_is_missing(seed, a1, a2, delay):
    lo, hi = sorted((a1, a2))
    flows = random_flows(np.random.default_rng(seed))

    def lic(a):
        return {"start": "2025-01-08", "coverage": {"oxide": ["dytb"], "metal": ["dytb"], "magnet": "all"},
                "regime": {"kind": "licence", "approval_share": a, "review_delay_days": delay}}

    strict = run_synthetic(lic(lo), flows, seed=seed)
    loose = run_synthetic(lic(hi), flows, seed=seed)
    us, ul = _unmet(strict, "EU27"), _unmet(loose, "EU27")
    for k in us:
        assert (ul[k] <= us[k] + 1e-3 * (1 + us[k].max())).all(), k


def test_same_seed_same_bands():
    flows = random_flows(np.random.default_rng(3))
    a = run_synthetic(_vol({"dist": "uniform", "low": 0.2, "high": 0.6}, {"oxide": "all", "magnet": "all"}), flows,
                      seed=5, draws=50)
    b = run_synthetic(_vol({"dist": "uniform", "low": 0.2, "high": 0.6}, {"oxide": "all", "magnet": "all"}), flows,
                      seed=5, draws=50)
    assert a.weekly.equals(b.weekly) and a.totals.equals(b.totals)
    assert a.run_id == b.run_id
