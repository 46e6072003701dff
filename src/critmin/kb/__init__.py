"""Knowledge base: cited, dated entries on measures, export controls, alliances, agreements, strategic
projects, price mechanisms, lists, reports and events (declarative YAML under ``critmin/kb/data``).

Public API (nothing is loaded until called)::

    from critmin.kb import load_kb, events, members, show, timeline_figure
    from critmin.kb import state_on, periods, controls_on, control_changes   # legal state, one place
"""

from __future__ import annotations

from .controls import ControlChange, ControlHit, control_changes, controls_on
from .loader import KBError, KnowledgeBase, load_kb
from .measures import Measure, ScopeItem
from .query import entry_frame, events, members, show
from .state import STATES, periods, state_on
from .timeline import timeline_figure, write_timeline

__all__ = [
    "KBError",
    "KnowledgeBase",
    "load_kb",
    "events",
    "Measure",
    "ScopeItem",
    "STATES",
    "state_on",
    "periods",
    "controls_on",
    "control_changes",
    "ControlHit",
    "ControlChange",
    "members",
    "show",
    "entry_frame",
    "timeline_figure",
    "write_timeline",
]
