"""Conservation and monotonicity of the engine, as property tests (hypothesis) on random networks."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from critmin.stress.engine import simulate_importers, solve_market

from .helpers import network, params

TOL = 1e-7


@st.composite
def cases(draw):
    e = draw(st.integers(2, 5))
    i = draw(st.integers(1, 6))
    cells = draw(st.lists(st.floats(0, 1000, allow_nan=False), min_size=e * i, max_size=e * i))
    annual = np.array(cells).reshape(e, i)
    annual[0, draw(st.integers(0, i - 1))] += draw(st.floats(1, 5000))  # the supplier exports something
    spare = np.array(draw(st.lists(st.floats(0, 500), min_size=e, max_size=e)))
    target = np.array(draw(st.lists(st.booleans(), min_size=i, max_size=i)))
    months = draw(st.integers(1, 10))
    start = draw(st.integers(0, months - 1))
    duration = draw(st.integers(1, months - start))
    alloc = draw(st.sampled_from(["ties", "shortfall"]))
    order = draw(st.sampled_from(["stock_first", "substitution_first"]))
    net = network(annual, spare, target=target, months=months, start=start, duration=duration,
                  allocation=alloc, order=order)
    d = 4
    p = params(
        d,
        cut=draw(st.lists(st.floats(0, 1), min_size=d, max_size=d)),
        spare_share=draw(st.lists(st.floats(0, 1), min_size=d, max_size=d)),
        ramp_months=draw(st.lists(st.floats(0.5, 12), min_size=d, max_size=d)),
        substitution_ceiling=draw(st.lists(st.floats(0, 0.3), min_size=d, max_size=d)),
    )
    days = np.array(draw(st.lists(st.floats(0, 120), min_size=d, max_size=d)))
    return net, p, days


SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _run(net, p, days):
    mk = solve_market(net, p)
    return mk, simulate_importers(net, p, mk, stock_days=days)


@SETTINGS
@given(cases())
def test_no_importer_receives_more_than_available(case):
    net, p, days = case
    mk, out = _run(net, p, days)
    # replacement never exceeds the importer's own gap, and all importers together never exceed the pool
    assert np.all(out["replacement_t"] <= out["withheld_t"] + TOL)
    assert np.all(out["replacement_t"].sum(axis=1) <= mk.pool + TOL * (1 + mk.pool))
    np.testing.assert_allclose(out["replacement_t"].sum(axis=1), mk.replaced, rtol=1e-9, atol=1e-7)
    # imports received never exceed the baseline
    assert np.all(out["supply_t"] <= net.demand.T[None] + TOL)
    # what covers the gap never exceeds the gap: replacement + stock + substitution + recycling + shortfall
    cover = out["replacement_t"] + out["stock_draw_t"] + out["substitution_t"] + out["recycling_t"] + out["shortfall_t"]
    np.testing.assert_allclose(cover, out["withheld_t"], rtol=1e-9, atol=1e-7)


@SETTINGS
@given(cases())
def test_withheld_plus_delivered_equals_supplier_baseline(case):
    net, p, days = case
    mk, out = _run(net, p, days)
    supplier_baseline = net.flows[:, net.supplier, :].sum(axis=(1, 2))  # (M,) to every importer
    withheld = out["withheld_t"].sum(axis=1)  # (D, M)
    delivered = supplier_baseline[None, :] - withheld
    assert np.all(delivered >= -TOL)
    np.testing.assert_allclose(withheld + delivered, np.broadcast_to(supplier_baseline, withheld.shape))
    np.testing.assert_allclose(withheld, mk.withheld, rtol=1e-9, atol=1e-7)
    # nothing is withheld from an importer outside the targets or outside the shock window
    assert np.all(out["withheld_t"][:, ~net.target, :] == 0)
    assert np.all(out["withheld_t"][:, :, net.active == 0] == 0)


@SETTINGS
@given(cases(), st.floats(0, 1), st.floats(0, 1))
def test_larger_cut_never_lowers_shortfall(case, c1, c2):
    net, p, days = case
    lo, hi = sorted((c1, c2))
    _, a = _run(net, {**p, "cut": np.full(4, lo)}, days)
    _, b = _run(net, {**p, "cut": np.full(4, hi)}, days)
    assert np.all(b["shortfall_t"] >= a["shortfall_t"] - 1e-7)
    assert np.all(b["shortfall_t"].sum(axis=2) >= a["shortfall_t"].sum(axis=2) - 1e-7)
    assert np.all(b["stock_t"] <= a["stock_t"] + 1e-7)


@SETTINGS
@given(cases())
def test_zero_cut_gives_zero_shortfall(case):
    net, p, days = case
    mk, out = _run(net, {**p, "cut": np.zeros(4)}, days)
    assert np.all(out["shortfall_t"] == 0)
    assert np.all(out["withheld_t"] == 0)
    assert np.all(np.isinf(out["stockout_month"]))
    assert np.all(mk.price_pressure == 0)
    np.testing.assert_allclose(out["supply_t"], np.broadcast_to(net.demand.T, out["supply_t"].shape))


@SETTINGS
@given(cases())
def test_stocks_never_negative_and_never_grow(case):
    net, p, days = case
    _, out = _run(net, p, days)
    assert np.all(out["stock_t"] >= 0)
    assert np.all(out["stock_draw_t"] >= 0)
    assert np.all(out["shortfall_t"] >= 0)
    start = out["stock0_t"][:, :, None]
    seq = np.concatenate([start, out["stock_t"]], axis=2)
    assert np.all(np.diff(seq, axis=2) <= TOL)
