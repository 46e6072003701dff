"""Small realistic networks and parameter sets for engine tests."""

from __future__ import annotations

import numpy as np

from critmin.stress.engine import Network, monthly_from_annual

BASE_PARAMS = {
    "cut": 0.4,
    "spare_share": 0.3,
    "ramp_months": 4.0,
    "ramp_cap_per_year": 0.2,
    "substitution_ceiling": 0.08,
    "substitution_lag_months": 2.0,
    "recycling_ceiling": 0.01,
    "recycling_lag_months": 5.0,
    "elasticity_demand": -0.15,
    "elasticity_supply": 0.15,
}


def params(draws: int, **over) -> dict[str, np.ndarray]:
    p = {k: np.full(draws, float(v)) for k, v in BASE_PARAMS.items()}
    for k, v in over.items():
        p[k] = np.broadcast_to(np.asarray(v, dtype=float), (draws,)).copy()
    return p


def network(annual, spare, supplier_idx=(0,), target=None, months=8, start=1, duration=5,
            allocation="ties", order="stock_first") -> Network:
    annual = np.asarray(annual, dtype=float)
    e, i = annual.shape
    sup = np.zeros(e, bool)
    sup[list(supplier_idx)] = True
    tg = np.ones(i, bool) if target is None else np.asarray(target, bool)
    return Network([f"E{k}" for k in range(e)], [f"I{k}" for k in range(i)], monthly_from_annual(annual, months),
                   np.asarray(spare, float), sup, tg, start, duration, allocation, order)


def rare_earth_like() -> Network:
    """A 5-supplier, 6-importer network shaped like the 2009 rare-earth trade (supplier 0 dominant)."""
    annual = np.array([
        [9000, 6000, 4000, 2500, 1200, 300],
        [500, 0, 800, 100, 0, 50],
        [0, 700, 300, 0, 200, 0],
        [300, 200, 0, 400, 0, 90],
        [0, 0, 100, 0, 60, 20],
    ])
    return network(annual, spare=[0, 40, 30, 20, 5], months=12, start=0, duration=12)
