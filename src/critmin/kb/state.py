"""Legal state of a measure on a day: the one place that turns a measure's dates into a state.

States: ``not_announced`` (before the text exists), ``announced`` (published, not yet effective),
``in_force``, ``suspended``, ``ended`` (past its last day after having been in force), ``never_in_force``
(ended, or known to have lapsed, without a single day in force) and ``unknown`` (after ``unknown_after``,
or announced with no known effective date). A suspension wins over in force and over announced; unknown
wins over everything after its date, because after it nothing in hand can say more.

``periods`` is built from ``state_on`` at every date where a state can change, so the two never disagree.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, get_args

from .measures import Measure, ScopeItem
from .models import Entry

State = Literal["not_announced", "announced", "in_force", "suspended", "ended", "never_in_force", "unknown"]
STATES = get_args(State)
# which state speaks for a measure whose scope items differ on a day (most binding first)
_RANK = {"in_force": 0, "suspended": 1, "announced": 2, "unknown": 3, "ended": 4, "never_in_force": 5,
         "not_announced": 6}
_DAY = dt.timedelta(days=1)


def _parse(day) -> dt.date:
    if isinstance(day, dt.datetime):
        return day.date()
    if isinstance(day, dt.date):
        return day
    return dt.date.fromisoformat(str(day))


def _suspensions(m: Measure, item: ScopeItem | None):
    return [s for s in m.suspensions if not s.items or (item is not None and item.id in s.items)]


def _effective(m: Measure, item: ScopeItem | None) -> dt.date | None:
    return (item.effective if item is not None and item.effective else None) or m.effective


def _unknown_after(m: Measure, item: ScopeItem | None) -> dt.date | None:
    return (item.unknown_after if item is not None and item.unknown_after else None) or m.unknown_after


def _ever_in_force(m: Measure, item: ScopeItem | None, last: dt.date) -> bool:
    """Whether any day from the effective date up to ``last`` (and not after ``unknown_after``) was free of
    suspension."""
    unknown = _unknown_after(m, item)
    if unknown is not None:
        last = min(last, unknown)
    eff = _effective(m, item)
    if eff is None or eff > last:
        return False
    day = eff
    for s in sorted(_suspensions(m, item), key=lambda s: s.from_):
        if s.from_ > day:
            return True
        day = max(day, s.until + _DAY)
        if day > last:
            return False
    return day <= last


def _item_state(m: Measure, item: ScopeItem | None, day: dt.date) -> State:
    if day < m.announced:
        return "not_announced"
    unknown = _unknown_after(m, item)
    if unknown is not None and day > unknown:
        return "unknown"
    if m.ends is not None and day > m.ends:
        return "ended" if _ever_in_force(m, item, m.ends) else "never_in_force"
    if any(s.from_ <= day <= s.until for s in _suspensions(m, item)):
        return "suspended"
    eff = _effective(m, item)
    if eff is None:
        return "unknown"
    return "announced" if day < eff else "in_force"


# an Entry's recorded status words -> the state vocabulary
ENTRY_STATE = {"in_force": "in_force", "suspended": "suspended", "expired": "ended", "proposed": "announced",
          "announced": "announced", "unknown": "unknown"}


def _entry_state(e: Entry, day: dt.date) -> State | None:
    """An entry's recorded status periods read in the same vocabulary; None when it records none."""
    if not e.status:
        return None
    ps = sorted(e.status, key=lambda p: p.from_)
    if day < ps[0].from_:
        return "not_announced"
    current = None
    for p in ps:
        if p.from_ <= day:
            current = p
    if current.to is not None and day >= current.to:
        return "unknown"  # a gap after a closed period: nothing recorded says what holds
    return ENTRY_STATE[current.status]  # type: ignore[return-value]


def state_on(measure: Measure | Entry, day, item: str | None = None) -> State | None:
    """The legal state of ``measure`` (or of one of its scope items) on ``day`` (date or ISO string).

    Without ``item`` and with scope items that differ, the most binding item state speaks for the measure
    (in force > suspended > announced > unknown > ended > never in force). An :class:`Entry` (agreements,
    other measures) is read from its recorded status periods; None when it records none."""
    d = _parse(day)
    if isinstance(measure, Entry):
        return _entry_state(measure, d)
    if item is not None:
        return _item_state(measure, measure.item(item), d)
    if not measure.scope:
        return _item_state(measure, None, d)
    return min((_item_state(measure, i, d) for i in measure.scope), key=_RANK.__getitem__)


def _change_days(m: Measure) -> list[dt.date]:
    days = {m.announced}
    for d in (m.effective, *(i.effective for i in m.scope)):
        if d is not None:
            days.add(d)
    for d in (m.ends, m.unknown_after, *(i.unknown_after for i in m.scope)):
        if d is not None:
            days.add(d + _DAY)
    for s in m.suspensions:
        days |= {s.from_, s.until + _DAY}
    return sorted(days)


def periods(measure: Measure, item: str | None = None) -> list[tuple[dt.date, dt.date | None, State]]:
    """Consecutive ``(from, until, state)`` periods from the announcement on; ``until`` is the last day
    (inclusive), None for the open last period."""
    out: list[tuple[dt.date, dt.date | None, State]] = []
    for d in _change_days(measure):
        st = state_on(measure, d, item)
        if out and out[-1][2] == st:
            continue
        if out:
            out[-1] = (out[-1][0], d - _DAY, out[-1][2])
        out.append((d, None, st))
    return out


def ever_in_force(measure: Measure, until, item: str | None = None) -> bool:
    """Whether the measure (or item) was in force on any day up to ``until``."""
    last = _parse(until)
    items = [measure.item(item)] if item is not None else (measure.scope or [None])
    return any(_ever_in_force(measure, i, min(last, measure.ends or last)) for i in items)
