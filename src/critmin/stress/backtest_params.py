"""A backtest's own parameters, ``name -> (distribution, source or ASSUMPTION)``, drawn and listed the same
way by every backtest model, and the chain model's parameter table put in the same listed form, so the 2010
and 2025 reports show their parameters alike and a seed means the same thing in each."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from critmin.stress.params import describe, sample

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

Table = dict[str, tuple[Any, str]]


def draw(table: Table, draws: int, seed: int) -> dict[str, np.ndarray]:
    """``draws`` values of every parameter, from one stream seeded by ``seed``, in the table's order."""
    rng = np.random.default_rng(seed)
    return {k: sample(v, rng, draws) for k, (v, _) in table.items()}


def listed(table: Table) -> dict[str, dict[str, str]]:
    """The table as a report lists it: each parameter's value (or distribution) and its source."""
    return {k: {"value": describe(v), "source": s} for k, (v, s) in table.items()}


def chain_listed(assumptions: pd.DataFrame, skip: tuple[str, ...] = ()) -> dict[str, dict[str, str]]:
    """The chain model's parameter table (``ParamSet.table()``) listed like :func:`listed`, the source
    prefixed by its tag; parameters whose names start with one of ``skip`` are left out."""
    return {str(r["parameter"]): {"value": str(r["value"]), "source": f"{r['tag']}: {r['source']}"}
            for _, r in assumptions.iterrows() if not str(r["parameter"]).startswith(skip)}
