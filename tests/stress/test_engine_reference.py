"""The vectorised engine agrees with the naive per-draw loop (an independent allocation algorithm)."""

from __future__ import annotations

import numpy as np
import pytest

from critmin.stress.engine import sample_parameters, simulate_importers, solve_market
from critmin.stress.params import Triangular, Uniform
from critmin.stress.reference import simulate_loop

from .helpers import network, rare_earth_like


@pytest.mark.parametrize("allocation", ["ties", "shortfall"])
@pytest.mark.parametrize("order", ["stock_first", "substitution_first"])
def test_vectorised_matches_naive_loop(allocation, order):
    net = rare_earth_like()
    net.allocation, net.order = allocation, order
    specs = {
        "cut": Uniform(dist="uniform", low=0.1, high=0.9),
        "spare_share": Uniform(dist="uniform", low=0.0, high=1.0),
        "ramp_months": Triangular(dist="triangular", low=1, mode=4, high=12),
        "ramp_cap_per_year": Uniform(dist="uniform", low=0.02, high=0.5),
        "substitution_ceiling": Uniform(dist="uniform", low=0.0, high=0.2),
        "substitution_lag_months": Uniform(dist="uniform", low=0, high=8),
        "recycling_ceiling": Uniform(dist="uniform", low=0.0, high=0.05),
        "recycling_lag_months": 6.0,
        "elasticity_demand": -0.1,
        "elasticity_supply": 0.1,
    }
    p = sample_parameters(specs, 64, seed=7)
    days = np.random.default_rng(3).uniform(0, 90, (64, len(net.importers)))
    mk = solve_market(net, p)
    fast = simulate_importers(net, p, mk, stock_days=days)
    slow = simulate_loop(net, p, days)
    for key in ("shortfall_t", "stock_t", "replacement_t"):
        np.testing.assert_allclose(fast[key], slow[key], rtol=1e-9, atol=1e-6, err_msg=key)
    np.testing.assert_array_equal(fast["stockout_month"], slow["stockout_month"])


def test_seed_reproduces_and_differs():
    specs = {"cut": Uniform(dist="uniform", low=0, high=1), "ramp_months": 3.0}
    a = sample_parameters(specs, 1000, seed=42)
    b = sample_parameters(specs, 1000, seed=42)
    c = sample_parameters(specs, 1000, seed=43)
    np.testing.assert_array_equal(a["cut"], b["cut"])
    assert not np.array_equal(a["cut"], c["cut"])


def test_ties_rule_favours_importers_with_ties_to_alternatives():
    # supplier 0 serves importers 0 and 1 equally; only importer 1 buys from alternative supplier 1
    annual = np.array([[1200.0, 1200.0], [0.0, 600.0]])
    ties = network(annual, spare=[0, 12], months=3, start=0, duration=3)
    share = network(annual, spare=[0, 12], months=3, start=0, duration=3, allocation="shortfall")
    from .helpers import params

    p = params(1, cut=0.5, spare_share=1.0, ramp_months=0.5, ramp_cap_per_year=100, substitution_ceiling=0)
    r_ties = simulate_importers(ties, p, solve_market(ties, p))["replacement_t"][0, :, 0]
    r_share = simulate_importers(share, p, solve_market(share, p))["replacement_t"][0, :, 0]
    np.testing.assert_allclose(r_ties, [0.0, 12.0])  # all spare goes where the ties are
    np.testing.assert_allclose(r_share, [6.0, 6.0])  # pro rata to the volume lost (50 t each)
