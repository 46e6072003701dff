"""Which export controls bind on a day, matched at the scope-item level, and when their states change.

Matching a trade flow: only ``goods`` items can match one; an item matches when it names the flow's
element or material and, if it lists HS6 codes, one of them is the flow's HS6 (when the flow's HS6 is
known). Equipment and technology items never match a goods flow, so a control on separation equipment
does not turn every rare-earth trade flow red. Every state comes from :func:`critmin.kb.state.state_on`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from .loader import KnowledgeBase, load_kb
from .measures import ELEMENT_MATERIAL, Measure, ScopeItem
from .state import State, periods, state_on

BINDING: tuple[State, ...] = ("in_force",)  # states in which a licence duty applies
_SYMBOL = re.compile(r"[A-Z][a-z]?")


@dataclass(frozen=True)
class ControlHit:
    """One scope item of one measure, with its state on the day asked."""

    measure_id: str
    instrument: str
    item_id: str
    state: State
    kind: str  # goods | equipment | technology
    materials: tuple[str, ...]
    elements: tuple[str, ...]
    forms: tuple[str, ...]
    hs6: tuple[str, ...]
    control_list: tuple[str, ...]
    destinations: tuple[str, ...]
    end_users: tuple[str, ...]
    exporters: str  # in_jurisdiction | abroad
    source: str  # URL (or title) of the best-verified source
    verification: str  # of the measure's best source
    scope_verification: str  # how the item's scope (elements, HS6) was checked
    locator: str

    def to_dict(self) -> dict:
        from dataclasses import asdict

        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class ControlChange:
    """A state transition of a measure's scope item on ``day`` (``before`` held the previous day)."""

    measure_id: str
    item_id: str
    day: dt.date
    before: State
    after: State
    change: str  # new | reactivated | suspended | unknown | ended | announced | never_in_force
    materials: tuple[str, ...] = ()
    hs6: tuple[str, ...] = ()
    kind: str = "goods"


def _day(value) -> dt.date:
    from .query import parse_day

    return value if isinstance(value, dt.date) else parse_day(value, "day")


def _material_of(element: str) -> str:
    """A chemical symbol (Dy) or a critmin material id/name (rare_earths, gallium) -> material id."""
    if element in ELEMENT_MATERIAL:
        return ELEMENT_MATERIAL[element]
    from .query import material_id

    return material_id(element)


def _items(m: Measure) -> list[ScopeItem]:
    if m.scope:
        return list(m.scope)
    return []


def item_matches(item: ScopeItem, *, element: str | None = None, hs6: str | Iterable[str] | None = None,
                 material: str | None = None) -> bool:
    """Whether a goods flow of ``element``/``material`` (and HS6 code(s), when known) falls in ``item``."""
    if element is None and hs6 is None and material is None:
        return True
    if item.kind != "goods":
        return False
    codes = {hs6} if isinstance(hs6, str) else set(hs6 or ())
    if element is not None:
        if element not in ELEMENT_MATERIAL and _SYMBOL.fullmatch(element):
            return False  # a chemical symbol no measure can name (Fe in NdFeB): nothing matches, no error
        if element in ELEMENT_MATERIAL:  # a chemical symbol: the item must name it (or its material)
            if item.elements and element not in item.elements:
                return False
            if not item.elements and ELEMENT_MATERIAL[element] not in item.material_ids():
                return False
        elif _material_of(element) not in item.material_ids():
            return False
    if material is not None and _material_of(material) not in item.material_ids():
        return False
    if codes and item.hs6 and not codes & set(item.hs6):
        return False
    if codes and not item.hs6 and element is None and material is None:
        return False  # only an HS6 asked and the item names none: no evidence of a match
    return True


def _dest_ok(m: Measure, item: ScopeItem, destination: str | None) -> bool:
    if destination is None:
        return True
    dests = item.destinations or m.destinations
    return "*" in dests or destination in dests


def _hit(m: Measure, item: ScopeItem, state: State) -> ControlHit:
    order = {"primary": 0, "secondary": 1, "unverified": 2}
    best = min(m.sources, key=lambda s: order[s.verification])
    return ControlHit(
        measure_id=m.id, instrument=m.instrument, item_id=item.id, state=state, kind=item.kind,
        materials=tuple(item.material_ids()), elements=tuple(item.elements), forms=tuple(item.forms),
        hs6=tuple(item.hs6), control_list=tuple(item.control_list),
        destinations=tuple(item.destinations or m.destinations), end_users=tuple(item.end_users),
        exporters=item.exporters, source=best.url or best.title, verification=best.verification, scope_verification=item.verification,
        locator=item.locator or best.locator or "",
    )


def controls_on(day, *, element: str | None = None, hs6: str | Iterable[str] | None = None,
                destination: str | None = None, material: str | None = None, jurisdiction: str | None = None,
                exporter: str | None = None, states: Iterable[str] | None = None, kb: KnowledgeBase | None = None) -> list[ControlHit]:
    """Scope items of restricting measures announced by ``day``, with their state on that day.

    element: a chemical symbol (Dy) or a material id/name; hs6: the flow's HS6 code(s); destination: ISO3;
    exporter: ISO3 of the exporting country (items binding exporters inside the issuing jurisdiction match
    only when it is that jurisdiction, items binding exporters abroad only when it is not).
    With element/hs6/material given only goods items can match. ``states`` keeps only those states (e.g.
    ``["in_force"]``); by default every state from ``announced`` on is returned, so a caller sees
    ``suspended`` and ``unknown`` rather than silence."""
    d = _day(day)
    kb = kb if kb is not None else load_kb()
    want = set(states) if states is not None else None
    out = []
    for m in sorted(kb.measures.values(), key=lambda m: (m.announced, m.id)):
        if not m.restricts or (jurisdiction is not None and m.jurisdiction != jurisdiction):
            continue
        for item in _items(m):
            if not item_matches(item, element=element, hs6=hs6, material=material):
                continue
            if not _dest_ok(m, item, destination):
                continue
            if exporter is not None and (exporter == m.jurisdiction) != (item.exporters == "in_jurisdiction"):
                continue
            st = state_on(m, d, item.id)
            if st == "not_announced" or (want is not None and st not in want):
                continue
            out.append(_hit(m, item, st))
    return out


def _label(before: State, after: State, seen_in_force: bool) -> str:
    if after == "in_force":
        return "reactivated" if seen_in_force else "new"
    return after


def control_changes(since, until, *, kb: KnowledgeBase | None = None) -> list[ControlChange]:
    """State transitions of every scope item of every restricting measure with ``since <= day <= until``
    (the first announcement counts as a change from ``not_announced``)."""
    lo, hi = _day(since), _day(until)
    kb = kb if kb is not None else load_kb()
    out = []
    for m in kb.measures.values():
        if not m.restricts:
            continue
        for item in _items(m):
            before: State = "not_announced"
            seen = False
            for start, _end, st in periods(m, item.id):
                if lo <= start <= hi and st != before:
                    out.append(ControlChange(m.id, item.id, start, before, st, _label(before, st, seen),
                                             tuple(item.material_ids()), tuple(item.hs6), item.kind))
                seen = seen or st == "in_force"
                before = st
    return sorted(out, key=lambda c: (c.day, c.measure_id, c.item_id))
