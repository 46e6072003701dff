"""The ruptures-free PELT (critmin.alerts.pelt) gives the same breakpoints as ruptures' Pelt on the l2 cost:
on every yearly series the monitor's default run analyses in the built warehouse, and on random series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import ruptures as rpt
from hypothesis import given, settings
from hypothesis import strategies as st

from critmin.alerts import load_rules, series_from_dependency
from critmin.alerts.engine import KEYS, _penalty, change_points, prepare
from critmin.alerts.pelt import NotEnoughData, pelt_l2


def _ruptures(x, pen, min_size, jump=1):
    return rpt.Pelt(model="l2", min_size=min_size, jump=jump).fit(np.asarray(x, float).reshape(-1, 1)).predict(pen=pen)


def test_same_breakpoints_on_the_warehouse_series(built_warehouse):
    from critmin.monitor.compute import _dependency_all, resolve_importers, trade_years
    from critmin.warehouse.handle import using

    rule = [r for r in load_rules() if r.kind == "changepoint"][0]
    cp = rule.changepoint
    assert (cp.method, cp.model) == ("pelt", "l2")
    with using(built_warehouse) as wh:
        years = trade_years(wh)[-10:]
        econ = resolve_importers(["EU27", "USA", "JPN", "CHN"])
        series = pd.concat([series_from_dependency(_dependency_all(econ, "stage", years, b, wh))
                            for b in ("value", "qty")], ignore_index=True)
    series = prepare(series)
    series = series[series["metric"].isin(rule.metric)]  # the rule's metrics have no reference: x = value
    compared = found = 0
    for _, g in series.groupby(list(KEYS), sort=False):
        x = g["value"].to_numpy(dtype=float)
        if len(x) < 2 * cp.min_size:
            continue
        pen = _penalty(cp, x)
        assert pelt_l2(x, pen, min_size=cp.min_size) == _ruptures(x, pen, cp.min_size)
        compared += 1
        found += len(change_points(x, cp)) > 0
    assert compared > 400, compared  # 492 series of the four default economies, not a handful
    assert found > 0  # and some of them do break


@settings(max_examples=300, deadline=None)
@given(
    x=st.lists(st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False), min_size=1, max_size=25),
    min_size=st.integers(1, 5),
    jump=st.integers(1, 3),
    pen=st.floats(1e-6, 1e9),
)
def test_same_breakpoints_on_random_series(x, min_size, jump, pen):
    try:
        want = _ruptures(x, pen, min_size, jump)
    except rpt.exceptions.BadSegmentationParameters:
        with pytest.raises(NotEnoughData):
            pelt_l2(x, pen, min_size=min_size, jump=jump)
        return
    assert pelt_l2(x, pen, min_size=min_size, jump=jump) == want


@settings(max_examples=200, deadline=None)
@given(x=st.lists(st.integers(0, 5).map(float), min_size=6, max_size=15), pen=st.sampled_from([0.5, 1.0, 2.0, 8.0]))
def test_same_breakpoints_with_ties(x, pen):
    """Repeated small integers make equal partition totals: the first minimum must win, as in ruptures."""
    assert pelt_l2(x, pen, min_size=3) == _ruptures(x, pen, 3)
