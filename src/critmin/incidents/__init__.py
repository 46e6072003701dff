"""Incidents: an alert walks fact check → impact assessment → transition arrangements, with its findings and
history stored in the warehouse (tables ``incident_*``). See docs/monitor.md.

    from critmin.incidents import open_incident, advance_incident, get_incident
    inc = open_incident("A-ec2512d8686a", through="transition_arrangements")

Nothing is loaded on import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from critmin.lazy import lazy_getattr

if TYPE_CHECKING:  # pragma: no cover
    from critmin.incidents.api import (
        STAGES,
        Incident,
        advance_incident,
        close_incident,
        get_incident,
        list_incidents,
        open_incident,
    )

_LAZY = {name: ("critmin.incidents.api", name) for name in (
    "STAGES", "Incident", "open_incident", "advance_incident", "close_incident", "get_incident", "list_incidents")}

__getattr__ = lazy_getattr(__name__, _LAZY)


__all__ = ["STAGES", "Incident", "advance_incident", "close_incident", "get_incident", "list_incidents",
           "open_incident"]
