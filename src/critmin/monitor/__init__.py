"""The monitoring job (``critmin monitor``): indicators for the chosen importers and materials, early-warning
rules, and a self-contained bilingual HTML report with ``alerts.json`` / ``alerts.csv``. See docs/monitor.md.

Nothing is loaded on import; the names below are resolved on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from critmin.lazy import callable_module, lazy_getattr

if TYPE_CHECKING:  # pragma: no cover
    from critmin.monitor.api import MonitorResult, run_monitor
    from critmin.monitor.compute import DEFAULT_IMPORTERS, MonitorData, compute, default_materials

_LAZY = {
    "run_monitor": ("critmin.monitor.api", "run_monitor"),
    "MonitorResult": ("critmin.monitor.api", "MonitorResult"),
    "compute": ("critmin.monitor.compute", "compute"),
    "MonitorData": ("critmin.monitor.compute", "MonitorData"),
    "DEFAULT_IMPORTERS": ("critmin.monitor.compute", "DEFAULT_IMPORTERS"),
    "default_materials": ("critmin.monitor.compute", "default_materials"),
    "load_alert": ("critmin.monitor.store", "load_alert"),
    "list_alerts": ("critmin.monitor.store", "list_alerts"),
}

__getattr__ = lazy_getattr(__name__, _LAZY)
callable_module(__name__, "critmin.api", "monitor")  # critmin.monitor(...) is the Python API's monitor (docs/python.md)


__all__ = ["DEFAULT_IMPORTERS", "MonitorData", "MonitorResult", "compute", "default_materials", "list_alerts",
           "load_alert", "run_monitor"]
