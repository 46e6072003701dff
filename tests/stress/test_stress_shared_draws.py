"""The single-stage engine and the chain model draw stocks with one piece of code, and the backtests draw and
list their parameters with one piece of code: the properties that sharing is meant to give."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from critmin.stress.api import _sourced_stocks
from critmin.stress.backtest_2025 import PARAMETERS as P2025
from critmin.stress.backtest_law import PARAMETERS as P2010
from critmin.stress.backtest_params import draw, listed
from critmin.stress.backtest_score import pct_errors
from critmin.stress.chain import ParamSet, add_stock, node_stock_weeks
from critmin.stress.chain_data import load_chains
from critmin.stress.quick import quick_scenario


def _compound_scenario():
    return quick_scenario("CHN", "rare_earths", 0.4, 12, stage="compound", importers=["JPN"], draws=2000, seed=7)


def test_single_stage_stocks_are_the_chain_models_for_the_same_seed():
    sc = _compound_scenario()
    days = _sourced_stocks(sc, ["EU27", "JPN"], 2000, 7)
    # Japan's JOGMEC stockpile counts at the oxide stage (30-60 days) on top of 2-13 weeks of firm stock;
    # the EU has no state stockpile, so firm stock alone
    assert days["JPN"].min() >= 30 + 14 - 1e-9 and days["JPN"].max() <= 60 + 91 + 1e-9
    assert days["EU27"].min() >= 14 - 1e-9 and days["EU27"].max() <= 91 + 1e-9
    assert days["JPN"].mean() > days["EU27"].mean() + 30
    # a node's draws do not depend on which other nodes are reported
    np.testing.assert_array_equal(_sourced_stocks(sc, ["JPN"], 2000, 7)["JPN"], days["JPN"])
    # a chain ParamSet with the same seed and every stage of several nodes gives Japan the same oxide stock
    ps = ParamSet(2000, 7)
    cf = load_chains()
    for node in ("USA", "JPN", "KOR"):
        for sid in ("ore", "oxide", "metal", "magnet"):
            add_stock(ps, cf, node, sid)
    ps.draw()
    np.testing.assert_allclose(7 * node_stock_weeks(ps, "JPN", "oxide"), days["JPN"], rtol=1e-12)


@pytest.mark.parametrize("table", [P2025, P2010], ids=["2025", "2010"])
def test_backtest_parameters_draw_reproducibly_and_list_their_sources(table):
    a, b = draw(table, 500, 3), draw(table, 500, 3)
    assert list(a) == list(table)
    for k, (dist, _src) in table.items():
        np.testing.assert_array_equal(a[k], b[k])
        lo, hi = dist.bounds()
        assert lo <= a[k].min() and a[k].max() <= hi
    assert any(not np.array_equal(x, y) for x, y in zip(a.values(), draw(table, 500, 4).values(), strict=True))
    lst = listed(table)
    assert all(v["source"] for v in lst.values())
    assert any(v["source"].startswith("ASSUMPTION") for v in lst.values())


def test_pct_errors_sum_up_an_importer_year_table():
    df = pd.DataFrame({"error_pct": [10.0, -30.0], "baseline_error_pct": [40.0, -40.0]})
    mape, mape0, sk = pct_errors(df)
    assert (mape, mape0) == (20.0, 40.0) and sk == pytest.approx(0.5)
