"""A knowledge-base entry as the incident stages and the exercise brief cite it: title, date, reference, state on
a day, derived status periods and citations, as JSON-ready values. Its own module so that both the stages and the
crisis-process file (:mod:`critmin.incidents.process`) can use it without importing each other."""

from __future__ import annotations

import datetime as dt
from typing import Any


def kb_entry(entry_id: str, as_of: dt.date) -> dict[str, Any]:
    from critmin.kb import load_kb, state_on
    from critmin.kb.query import citations, derived_periods

    e = load_kb().find(entry_id)
    if e is None:
        return {"id": entry_id, "missing": True}
    return {
        "id": e.id, "kind": e.kind, "actor": e.actor, "date": e.date.isoformat(), "title_en": e.title_en,
        "title_zh": e.title_zh, "reference": e.reference, "basis": e.basis, "status_on_as_of": state_on(e, as_of),
        "derived_status": derived_periods(e), "materials": list(e.materials), "stages": list(e.stages),
        "citations": citations(e),
    }
