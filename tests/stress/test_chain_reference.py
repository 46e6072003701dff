"""The vectorised chain core agrees with the naive per-draw, per-week reference (chain_reference.py)."""

from __future__ import annotations

import numpy as np
import pytest

from critmin.stress.chain_data import STAGE_ORDER
from critmin.stress.chain_reference import propagate_reference

from .chain_helpers import random_flows, run_synthetic

SHOCKS = [
    {"start": "2025-01-08", "coverage": {"oxide": "all", "metal": "all", "magnet": "all"},
     "regime": {"kind": "volume", "cut": {"dist": "uniform", "low": 0.1, "high": 0.9}}},
    {"start": "2025-01-15", "end": "2025-04-30", "coverage": {"oxide": ["dytb"], "metal": ["dytb"], "magnet": "all"},
     "regime": {"kind": "licence"}, "bans": [{"destinations": ["USA"]}],
     "general_licences": [{"destinations": ["EU27"], "from": "2025-03-01", "share": 0.4}]},
]


@pytest.mark.parametrize("shock", SHOCKS)
def test_vectorised_core_matches_the_per_draw_reference(shock):
    r = run_synthetic(shock, random_flows(np.random.default_rng(7)), draws=12, seed=4, weeks=30,
                      nodes=("EU27", "JPN", "USA"), first_day="2025-01-01")
    core = r.draws_data["core"]
    for node in ("EU27", "JPN", "USA"):
        ref = propagate_reference(r.draws_data[(node, "inputs")], r.draws_data[(node, "cut")], core, STAGE_ORDER)
        for sid, gs in ref.items():
            for gid, ms in gs.items():
                for metric, want in ms.items():
                    if metric == "input_missing_share":
                        continue
                    got = r.draws_data[(node, sid, gid, metric)].astype(np.float64)
                    scale = 1.0 + np.abs(ms["delivered_t"]).max()
                    assert np.allclose(got, want, atol=2e-5 * scale, rtol=1e-4), (node, sid, gid, metric)


def test_slices_of_draws_give_the_same_totals_as_one_pass():
    flows = random_flows(np.random.default_rng(11))
    shock = SHOCKS[1]
    sliced = run_synthetic(shock, flows, draws=3000, seed=2, weeks=20, keep_draws=False, band_draws=500)
    whole = run_synthetic(shock, flows, draws=3000, seed=2, weeks=20, keep_draws=True, band_draws=500)
    assert np.allclose(sliced.totals[["p10", "p50", "p90"]], whole.totals[["p10", "p50", "p90"]], rtol=1e-6)
    assert np.allclose(sliced.weekly[["p10", "p50", "p90"]], whole.weekly[["p10", "p50", "p90"]], rtol=1e-6)


def test_adding_a_reported_economy_leaves_the_others_unchanged():
    flows = random_flows(np.random.default_rng(5))
    one = run_synthetic(SHOCKS[0], flows, draws=300, seed=9, weeks=12, nodes=("EU27",), keep_draws=False)
    two = run_synthetic(SHOCKS[0], flows, draws=300, seed=9, weeks=12, nodes=("EU27", "USA"), keep_draws=False)
    a = one.totals.set_index(["node", "stage", "good", "metric"])
    b = two.totals.set_index(["node", "stage", "good", "metric"]).loc[a.index]
    assert np.allclose(a[["p10", "p50", "p90"]], b[["p10", "p50", "p90"]])
