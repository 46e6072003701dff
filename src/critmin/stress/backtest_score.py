"""How a backtest is scored, in one place, so the 2010 and the 2025 episodes are judged by the same rules.

* **Baseline "nothing changes"**: the forecast that the shock has no effect (2010: each importer keeps its
  2009 imports; 2025: each month's exports equal the same month a year earlier).
* **Skill** = 1 − error(model) / error(baseline). The issue's goal is a skill of at least 0.30 on volumes.
* **Prices**: the direction is right when model and actual both rise (or both fall); the order of magnitude
  is right when |log10(model ratio / actual ratio)| ≤ 0.5, i.e. within a factor of √10 ≈ 3.2.

The metrics were fixed before any model was scored: absolute % error of the P50 against the actual level
(as the 2010 backtest always reported) and, for 2025, the absolute error as a share of last year's level
(|model ratio − actual ratio|), which stays finite when a flow collapses to a few per cent of normal.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

GOAL_SKILL = 0.30
OOM_LOG10 = 0.5


def skill(model_error: float, baseline_error: float) -> float:
    """1 − model/baseline (1 = perfect, 0 = no better than nothing changes, < 0 = worse)."""
    if not baseline_error > 0:
        return float("nan")
    return 1.0 - model_error / baseline_error


def pct_errors(df: pd.DataFrame) -> tuple[float, float, float]:
    """Mean absolute % error of the model's P50 (column ``error_pct``), the same for nothing changes
    (``baseline_error_pct``), and the model's skill against it: how each importer-year table is summed up."""
    mape = float(df["error_pct"].abs().mean())
    mape0 = float(df["baseline_error_pct"].abs().mean())
    return mape, mape0, skill(mape, mape0)


def score_ratios(df: pd.DataFrame) -> dict[str, float]:
    """Score model bands of a ratio to the pre-shock level against the actual ratio.

    ``df`` has columns ratio (actual), model_p10, model_p50, model_p90 (ratios); rows with no actual are
    dropped. Returns n, mae (model), mae_baseline (ratio 1), skill, mape, mape_baseline, in_band, direction.
    """
    d = df[df["ratio"].notna()]
    r, m = d["ratio"].to_numpy(float), d["model_p50"].to_numpy(float)
    mae, mae0 = float(np.mean(np.abs(m - r))), float(np.mean(np.abs(1.0 - r)))
    mape, mape0 = float(np.mean(np.abs(m - r) / r)) * 100, float(np.mean(np.abs(1.0 - r) / r)) * 100
    inside = (d["model_p10"].to_numpy(float) <= r) & (r <= d["model_p90"].to_numpy(float))
    return {"n": int(len(d)), "mae": mae, "mae_baseline": mae0, "skill": skill(mae, mae0),
            "mape": mape, "mape_baseline": mape0, "skill_mape": skill(mape, mape0),
            "in_band": float(inside.mean()) if len(d) else float("nan"),
            "direction": float((np.sign(m - 1.0) == np.sign(r - 1.0)).mean()) if len(d) else float("nan")}


def price_check(model_ratio: float, actual_ratio: float) -> dict[str, float | bool]:
    """Direction and order of magnitude of a price change (ratios new/old)."""
    gap = math.log10(model_ratio / actual_ratio)
    return {"model_ratio": model_ratio, "actual_ratio": actual_ratio, "log10_gap": gap,
            "direction_right": (model_ratio > 1) == (actual_ratio > 1),
            "order_of_magnitude_right": abs(gap) <= OOM_LOG10}
