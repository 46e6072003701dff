"""PELT with the l2 cost, computed without importing ruptures, giving the same breakpoints as
``ruptures.Pelt(model="l2", min_size=m, jump=j).fit(x).predict(pen=p)`` (ruptures 1.1.x).

Why: importing ruptures (and scipy behind it) costs about 2 s per process and its per-series set-up about
0.5 ms; the monitor over every economy runs PELT on ~1,650 short annual series. The recursion below follows the
published algorithm as ruptures implements it, step for step, so that ties and near-ties resolve the same way:

* the segment cost is ``x[s:e].var(axis=0).sum() * (e - s)`` on the (n, 1) signal (the same numpy reduction,
  hence the same floating-point value);
* a partition's total is Python's ``sum`` over its costs in the order they were added, starting with the 0 of
  the empty partition, exactly as ruptures sums its partition dict;
* candidate starts whose left part has no partition are skipped when building subproblems, and the pruning
  pairs the candidate list with the subproblem list position by position, as ruptures does (when a skip
  happened the two lists are offset; reproducing this keeps the admissible set identical).

tests/monitor/test_changepoint_exact.py compares both on every series of the built warehouse and on random ones.
"""

from __future__ import annotations

from math import floor

import numpy as np


class NotEnoughData(ValueError):
    """The series is shorter than ``min_size`` (ruptures raises BadSegmentationParameters)."""


def pelt_l2(x, pen: float, min_size: int = 2, jump: int = 1) -> list[int]:
    """Sorted breakpoints (ends of segments, the last one is ``len(x)``), as ruptures' ``Pelt.predict``."""
    signal = np.asarray(x, dtype=float)
    if signal.ndim == 1:
        signal = signal.reshape(-1, 1)
    n = signal.shape[0]
    min_size = max(int(min_size), 1)  # CostL2.min_size is 1
    if min_size > n:  # ruptures' sanity_check with n_bkps=0
        raise NotEnoughData(f"{n} samples, min_size {min_size}")

    # best[t]: (segments, costs) of the optimal partition of signal[0:t]; costs[0] is the empty partition's 0
    best: dict[int, tuple[list[tuple[int, int]], list[float]]] = {0: ([(0, 0)], [0])}
    admissible: list[int] = []
    ends = [k for k in range(0, n, jump) if k >= min_size] + [n]
    for end in ends:
        admissible.append(floor((end - min_size) / jump) * jump)
        candidates: list[tuple[list[tuple[int, int]], list[float], float]] = []
        for start in admissible:
            left = best.get(start)
            if left is None:
                continue
            segs = [*left[0], (start, end)]
            costs = [*left[1], float(signal[start:end].var(axis=0).sum() * (end - start)) + pen]
            candidates.append((segs, costs, sum(costs)))
        # min() keeps the first of equal totals, like ruptures' min over its subproblem list
        winner = min(candidates, key=lambda c: c[2])
        best[end] = (winner[0], winner[1])
        limit = winner[2] + pen
        admissible = [t for t, c in zip(admissible, candidates, strict=False) if c[2] <= limit]
    return sorted(e for _, e in best[n][0][1:])
