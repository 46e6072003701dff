"""Knowledge base: cited, dated entries on measures, export controls, alliances, agreements, strategic
projects, price mechanisms, lists, reports and events (declarative YAML under ``critmin/kb/data``).

Public API (nothing is loaded until called)::

    from critmin.kb import load_kb, events, active_controls, members, show, timeline_figure
"""

from __future__ import annotations

from .loader import KBError, KnowledgeBase, load_kb
from .query import active_controls, controls_changed, entry_frame, events, members, show
from .timeline import timeline_figure, write_timeline

__all__ = [
    "KBError",
    "KnowledgeBase",
    "load_kb",
    "events",
    "active_controls",
    "controls_changed",
    "members",
    "show",
    "entry_frame",
    "timeline_figure",
    "write_timeline",
]
