"""Queries over the knowledge base: events, export controls active on a date, alliance members by year."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

from critmin.errors import UsageError

from .loader import KnowledgeBase, load_kb
from .models import KINDS, Entry

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

COLUMNS = [
    "id", "date", "date_precision", "kind", "actor", "title_en", "title_zh", "materials", "stages",
    "reference", "status_today", "seeds",
]


def parse_day(value: str | dt.date | None, name: str) -> dt.date | None:
    """An ISO date (or None); a bad one raises UsageError naming the option ``name``."""
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise UsageError(f"{name}: expected an ISO date YYYY-MM-DD, got {value!r}") from None


def _with_groups(material: str) -> set[str]:
    """The material id plus the KB material groups containing it (platinum -> {platinum, pgm})."""
    from .models import MATERIAL_GROUPS

    return {material, *(g for g, members in MATERIAL_GROUPS.items() if material in members)}


def _material_id(material: str) -> str:
    """A KB material group (pgm) as is; anything else through the catalog (id, name or alias), so an unknown
    material is refused rather than matching nothing."""
    from critmin.catalog import load_catalog

    from .models import MATERIAL_GROUPS

    return material if material in MATERIAL_GROUPS else load_catalog().material(material).id


def _kb(kb: KnowledgeBase | None) -> KnowledgeBase:
    return kb if kb is not None else load_kb()


def entry_rows(entries: Iterable[Entry], today: dt.date | None = None) -> list[tuple]:
    """One tuple per entry in :data:`COLUMNS` order, sorted by date then id (no pandas: ``kb events`` stays a
    fast command)."""
    today = today or dt.date.today()
    rows = [
        (
            e.id,
            e.date.isoformat(),
            e.date_precision,
            e.kind,
            e.actor,
            e.title_en,
            e.title_zh,
            ",".join(e.materials),
            ",".join(e.stages),
            e.reference or "",
            e.status_on(today) or "",
            ",".join(sorted({c.seed for c in e.citations})),
        )
        for e in entries
    ]
    return sorted(rows, key=lambda r: (r[1], r[0]))


def entry_frame(entries: Iterable[Entry], today: dt.date | None = None) -> pd.DataFrame:
    """A flat table of entries (one row each), sorted by date then id."""
    import pandas as pd

    return pd.DataFrame(entry_rows(entries, today), columns=COLUMNS)


def select(
    material: str | None = None,
    actor: str | None = None,
    kinds: Iterable[str] | str | None = None,
    since: str | dt.date | None = None,
    until: str | dt.date | None = None,
    include_general: bool = False,
    kb: KnowledgeBase | None = None,
) -> list[Entry]:
    """Entries matching every given filter (see :func:`events`)."""
    kb = _kb(kb)
    since_d, until_d = parse_day(since, "since"), parse_day(until, "until")
    if isinstance(kinds, str):
        kinds = [k.strip() for k in kinds.split(",") if k.strip()]
    kinds = list(kinds) if kinds else None
    if kinds:
        bad = [k for k in kinds if k not in KINDS]
        if bad:
            raise UsageError(f"unknown kind(s) {bad}; expected one of {', '.join(KINDS)}")
    wanted = _with_groups(_material_id(material)) if material else set()
    out = []
    for e in kb:
        if material and not wanted & set(e.materials) and not (include_general and not e.materials):
            continue
        if actor and actor != e.actor and actor not in {p.party for p in e.parties}:
            continue
        if kinds and e.kind not in kinds:
            continue
        if since_d and e.date < since_d:
            continue
        if until_d and e.date > until_d:
            continue
        out.append(e)
    return sorted(out, key=lambda e: (e.date, e.id))


def events(
    material: str | None = None,
    actor: str | None = None,
    kinds: Iterable[str] | str | None = None,
    since: str | dt.date | None = None,
    until: str | dt.date | None = None,
    include_general: bool = False,
    kb: KnowledgeBase | None = None,
) -> pd.DataFrame:
    """Knowledge-base entries as a table, filtered.

    material: a critmin material id (entries listing it; ``include_general`` adds entries with no material);
    actor: ISO3 or group id, matching the entry's actor or any of its parties; kinds: kind names;
    since/until: inclusive ISO dates on the entry date.
    """
    return entry_frame(select(material, actor, kinds, since, until, include_general, kb))


def active_controls(
    material: str, on_date: str | dt.date, actor: str | None = None, kb: KnowledgeBase | None = None
) -> list[Entry]:
    """Export controls restricting ``material`` that are in force on ``on_date`` (suspensions honoured).

    An export control counts when its status period covering the date is ``in_force``; periods marked
    ``suspended`` (e.g. by MOFCOM/GAC 2025 No. 70) or ``announced`` do not count, nor do entries that
    relax rather than restrict.
    """
    day = parse_day(on_date, "on_date")
    kb = _kb(kb)
    return [
        e
        for e in sorted(kb, key=lambda e: (e.date, e.id))
        if e.kind == "export_control"
        and e.restricts
        and _with_groups(material) & set(e.materials)
        and (actor is None or e.actor == actor)
        and e.status_on(day) == "in_force"
    ]


def controls_changed(
    material: str | None,
    since: str | dt.date,
    until: str | dt.date,
    kb: KnowledgeBase | None = None,
) -> list[dict]:
    """Export controls that became ``in_force`` in [since, until]: new or re-activated after a suspension.

    Returns dicts: entry, date (the status change), change ('new' or 'reactivated'), basis.
    """
    lo, hi = parse_day(since, "since"), parse_day(until, "until")
    out = []
    for e in _kb(kb):
        if e.kind != "export_control" or not e.restricts:
            continue
        if material is not None and not _with_groups(material) & set(e.materials):
            continue
        periods = sorted(e.status, key=lambda p: p.from_)
        for i, p in enumerate(periods):
            if p.status != "in_force" or not (lo <= p.from_ <= hi):
                continue
            before = [q.status for q in periods[:i]]
            change = "reactivated" if "suspended" in before or "in_force" in before else "new"
            out.append({"entry": e, "date": p.from_, "change": change, "basis": p.basis})
    return sorted(out, key=lambda d: (d["date"], d["entry"].id))


def _alliance(alliance: str, kb: KnowledgeBase) -> Entry:
    key = alliance.strip().lower().replace(" ", "-")
    aliases = {"cmpa": "g7-cmpa", "g7-cmpa": "g7-cmpa", "ipef": "ipef-critical-minerals-dialogue",
               "msp-forum": "msp-forum-2024", "ttc": "eu-usa-ttc",
               "eu-partnerships": "eu-strategic-partnerships"}
    key = aliases.get(key, key)
    e = kb.entries.get(key)
    if e is None or e.kind != "alliance":
        known = sorted(x.id for x in kb if x.kind == "alliance")
        raise UsageError(f"unknown alliance '{alliance}'; known: {', '.join(known)}")
    return e


def members_frame(alliance: str, year: int | None = None, kb: KnowledgeBase | None = None) -> pd.DataFrame:
    """Members of an alliance with join dates and the basis of each; filtered to ``year`` when given."""
    import pandas as pd

    kb = _kb(kb)
    a = _alliance(alliance, kb)
    rows = {}
    for p in a.parties:
        rows[p.party] = {
            "alliance": a.id, "member": p.party, "joined": (p.joined or a.date).isoformat(),
            "joined_precision": p.joined_precision if p.joined else a.date_precision,
            "left": p.left.isoformat() if p.left else "", "role": p.role or "", "basis": p.basis,
        }
    for m in kb:
        if m.kind == "membership" and m.alliance == a.id and m.actor not in rows:
            rows[m.actor] = {"alliance": a.id, "member": m.actor, "joined": m.date.isoformat(),
                             "joined_precision": m.date_precision, "left": "", "role": "", "basis": m.basis}
    df = pd.DataFrame(list(rows.values()),
                      columns=["alliance", "member", "joined", "joined_precision", "left", "role", "basis"])
    if year is not None:
        end, start = f"{int(year):04d}-12-31", f"{int(year):04d}-01-01"
        df = df[(df["joined"] <= end) & ((df["left"] == "") | (df["left"] >= start))]
    return df.sort_values(["joined", "member"], kind="stable").reset_index(drop=True)


def members(alliance: str, year: int, kb: KnowledgeBase | None = None) -> list[str]:
    """ISO3 / group ids of the alliance's members in ``year`` (joined by 31 Dec, not left before 1 Jan)."""
    return members_frame(alliance, year, kb)["member"].tolist()


def show(entry_id: str, kb: KnowledgeBase | None = None) -> Entry:
    """One entry by id (UsageError with close matches when unknown)."""
    return _kb(kb).get(entry_id)
