"""Queries over the knowledge base: events and alliance members by year (export-control state and matching
live in :mod:`critmin.kb.state` and :mod:`critmin.kb.controls`)."""

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


def material_id(material: str) -> str:
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
    from .state import state_on

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
            state_on(e, today) or "",
            ",".join(sorted({c["seed"] for c in citations(e) if c["seed"]})),
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
    wanted = _with_groups(material_id(material)) if material else set()
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


def citations(e) -> list[dict]:
    """The sources of an entry or a measure as plain rows (seed, primary, url, published, verification), so
    faces print one shape whatever the record's model."""
    from .measures import Measure

    if isinstance(e, Measure):
        return [{"seed": s.seed or "", "primary": s.title, "url": s.url, "locator": s.locator,
                 "published": s.published.isoformat() if s.published else None,
                 "verification": s.verification} for s in e.sources]
    return [{"seed": c.seed or "", "primary": c.primary, "url": c.url, "locator": c.locator,
             "published": c.published.isoformat() if c.published else None,
             "verification": c.verification or ("secondary" if e.basis == "stated" else "unverified")}
            for c in e.citations]


def derived_periods(e) -> list[dict]:
    """Status periods of an Entry whose dates were derived rather than stated (measures store no derived
    dates: their states come from stated dates)."""
    from .measures import Measure

    if isinstance(e, Measure):
        return []
    return [{"status": p.status, "from": p.from_.isoformat(), "to": p.to.isoformat() if p.to else None,
             "note": p.note} for p in e.status if p.basis == "derived"]


def state_history(e) -> list[dict]:
    """The state periods of a record, from :func:`critmin.kb.state.periods` (a measure: the whole measure and
    each scope item; an entry: its recorded status periods in the state vocabulary)."""
    from .measures import Measure
    from .state import periods

    def rows(ps, item=""):
        return [{"item": item, "from": a.isoformat(), "until": b.isoformat() if b else None, "state": st}
                for a, b, st in ps]

    if isinstance(e, Measure):
        out = rows(periods(e))
        if len(e.scope) > 1:
            for i in e.scope:
                out += rows(periods(e, i.id), i.id)
        return out
    from .state import ENTRY_STATE

    return [{"item": "", "from": p.from_.isoformat(),
             "until": (p.to - dt.timedelta(days=1)).isoformat() if p.to else None, "state": ENTRY_STATE[p.status]}
            for p in sorted(e.status, key=lambda p: p.from_)]
