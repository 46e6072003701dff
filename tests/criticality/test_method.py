"""The EU method's formulas (critmin.criticality.method) against hand computations from the 2017 guidelines'
definitions — no data involved."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from critmin.criticality import method as m


def test_wgi_scaling_runs_from_0_best_to_10_worst_and_is_clipped():
    assert m.scale_wgi([2.5, 0.0, -2.5]).tolist() == [0.0, 5.0, 10.0]
    # China's 2022 political-stability estimate in the warehouse (-0.4411) -> 5.88
    assert m.scale_wgi(-0.4410736262798309) == pytest.approx(5.882147, abs=1e-6)
    assert m.scale_wgi([3.1, -3.3]).tolist() == [0.0, 10.0]


def test_hhi_wgi_of_a_monopoly_is_the_suppliers_score_and_shares_are_fractions():
    assert m.hhi_wgi([1.0], [7.0]) == 7.0
    assert m.hhi_wgi([0.5, 0.5], [2.0, 6.0]) == pytest.approx(0.25 * 2 + 0.25 * 6)
    # methods brief 1.2 worked magnitude: China 95 % at scaled WGI 5.9 -> about 5.3 (the HREE order of SR)
    assert m.hhi_wgi([0.95, 0.05], [5.9, 0.0]) == pytest.approx(5.32475)
    # the trade adjustment t multiplies a supplier's term
    assert m.hhi_wgi([0.6, 0.4], [5.0, 3.0], [1.1, 1.0]) == pytest.approx(0.36 * 5 * 1.1 + 0.16 * 3)


def test_supply_risk_weights_global_supply_by_half_the_import_reliance():
    gs, eus = 4.0, 2.0
    # IR = 1: both halves; IR = 0: the economy's own sourcing only
    assert m.supply_risk(gs, eus, 1.0) == pytest.approx(3.0)
    assert m.supply_risk(gs, eus, 0.0) == pytest.approx(2.0)
    # hand computation with recycling and substitution: [4*0.3 + 2*0.7] * (1 - 0.25) * 0.9
    assert m.supply_risk(gs, eus, 0.6, eol_rir=0.25, si_sr=0.9) == pytest.approx(2.6 * 0.75 * 0.9)
    # vectorised: no loop over rows
    out = m.supply_risk(pd.Series([gs, gs]), pd.Series([eus, eus]), pd.Series([1.0, 0.0]))
    assert out.tolist() == pytest.approx([3.0, 2.0])


def test_import_reliance_is_bounded_and_zero_for_net_exporters():
    got = m.import_reliance([100, 0, 50, 0], [300, 10, 10, 0], [100, 0, 40, 0])
    assert got.tolist() == pytest.approx([200 / 300, 1.0, 0.0, 0.0])


def test_economic_importance_scales_by_the_largest_sector():
    # two sectors: 60 % into a 100 bn sector (the largest), 40 % into a 50 bn one, SI_EI 0.9
    assert m.economic_importance([0.6, 0.4], [100, 50], 0.9) == pytest.approx((60 + 20) / 100 * 10 * 0.9)
    assert m.economic_importance([1.0], [50], 1.0, max_value_added=200) == pytest.approx(2.5)


def test_critical_needs_both_thresholds_inclusive_and_unknown_stays_unknown():
    got = m.is_critical([1.0, 0.99, 3.0, 3.0, None], [2.8, 5.0, 2.79, None, 5.0])
    assert got.iloc[:3].tolist() == [True, False, False]
    assert got.iloc[3] is pd.NA and got.iloc[4] is pd.NA


def test_bottleneck_is_the_stage_with_the_higher_sr():
    assert m.bottleneck({"extraction": 1.2, "processing": 3.4}) == ("processing", 3.4)
    assert m.bottleneck({"extraction": 0.8, "processing": None}) == ("extraction", 0.8)
    assert m.bottleneck({}) == (None, None)
    assert not math.isnan(m.SR_THRESHOLD) and (m.SR_THRESHOLD, m.EI_THRESHOLD) == (1.0, 2.8)
