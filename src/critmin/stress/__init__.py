"""Stress tests: export-restriction shocks propagated through the real trade network (issue 5).

A monthly mass balance over the bilateral flows of a baseline year, with replacement from other suppliers'
spare capacity, strategic stocks, substitution and recycling, Monte Carlo over uncertain parameters, and
downstream production at risk from a cited material-intensity catalog. See docs/stress.md.

Nothing is loaded on import; the names below are resolved on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from critmin.lazy import callable_module, lazy_getattr

if TYPE_CHECKING:  # pragma: no cover
    from critmin.stress.api import run
    from critmin.stress.result import StressResult
    from critmin.stress.scenario import Scenario, load_scenario, parse_scenario

_LAZY = {
    "run": ("critmin.stress.api", "run"),
    "quick_scenario": ("critmin.stress.quick", "quick_scenario"),
    "StressResult": ("critmin.stress.result", "StressResult"),
    "Scenario": ("critmin.stress.scenario", "Scenario"),
    "load_scenario": ("critmin.stress.scenario", "load_scenario"),
    "parse_scenario": ("critmin.stress.scenario", "parse_scenario"),
    "load_run": ("critmin.stress.store", "load_run"),
}

__getattr__ = lazy_getattr(__name__, _LAZY)
callable_module(__name__, "critmin.api", "stress")  # critmin.stress(...) is the Python API's stress (docs/python.md)


__all__ = ["StressResult", "Scenario", "load_run", "load_scenario", "parse_scenario", "quick_scenario", "run"]
