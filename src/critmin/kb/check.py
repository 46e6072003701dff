"""``critmin kb check``: every problem of the knowledge-base files at once, each naming file, line or record,
and field, so an analyst fixes a folder in one pass instead of one error per run.

Checked: schema and date order (the models), overlapping status periods and suspensions, unknown materials
and elements, dangling references (related, alliance, suspends, suspensions.by), ``replaces`` that name no
bundled id, and stale or missing reviews of measures (a warning: older than the ``kb_stale_days`` setting).
Also a summary of how current the KB is (:func:`currency`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from .loader import (
    KBError,
    KnowledgeBase,
    data_files,
    parse_file,
    parse_records,
    reference_problems,
    user_files,
)
from .measures import Measure


@dataclass(frozen=True)
class Problem:
    level: str  # error | warning
    file: str
    record: str  # line number or record id
    field: str
    message: str

    def as_row(self) -> dict:
        return {"level": self.level, "file": self.file, "record": self.record, "field": self.field,
                "message": self.message}


def _from_error(exc: KBError, level: str = "error") -> Problem:
    record = "" if exc.record is None else (f"line {exc.record}" if isinstance(exc.record, int) else str(exc.record))
    msg = f"expected {exc.expected}" + (f", got {exc.got!r}"[:160] if exc.got is not None else "")
    return Problem(level, str(exc.file), record, exc.field or "", msg)


def check_files(user: list[Path] | None = None, *, bundled: bool = True, today: dt.date | None = None,
                stale_days: int | None = None) -> list[Problem]:
    """All problems of the bundled files (when ``bundled``) and the ``user`` files; errors first."""
    from critmin import settings

    today = today or dt.date.today()
    stale_days = settings.get("kb_stale_days", stale_days)
    problems: list[Problem] = []
    entries: dict = {}
    bundled_ids: set[str] = set()
    aliases: dict[str, str] = {}
    files = [(p, False) for p in (data_files() if bundled else [])] + [(p, True) for p in (user or [])]
    if not bundled:  # references into the bundled KB must still resolve
        for p in data_files():
            for e in parse_file(p, bundled=True):
                entries[e.id] = e
                bundled_ids.add(e.id)
    for path, is_user in files:
        records, errors = parse_records(path)
        problems += [_from_error(exc) for exc in errors]
        for e in records:
            if is_user and e.replaces is not None:
                if e.replaces not in bundled_ids and e.replaces not in entries:
                    problems.append(Problem("error", path.name, e.id, "replaces", f"no bundled entry '{e.replaces}'"))
                entries.pop(e.replaces, None)
                aliases[e.replaces] = e.id
            if e.id in entries:
                problems.append(Problem("error", path.name, e.id, "id",
                                        f"id already used in {entries[e.id].source_file}"))
                continue
            entries[e.id] = e
            if not is_user:
                bundled_ids.add(e.id)
    problems += [_from_error(exc) for exc in reference_problems(entries, aliases)]  # every dangling one, not the first
    for e in entries.values():
        if isinstance(e, Measure):
            if e.reviewed is None:
                problems.append(Problem("warning", e.source_file, e.id, "reviewed", "never reviewed against its sources"))
            elif (today - e.reviewed).days > stale_days:
                problems.append(Problem("warning", e.source_file, e.id, "reviewed",
                                        f"last reviewed {e.reviewed} (over {stale_days} days ago)"))
            if all(s.verification == "unverified" for s in e.sources):
                problems.append(Problem("warning", e.source_file, e.id, "sources", "no source checked (all unverified)"))
    if not bundled:  # only the user's files are being checked
        names = {p.name for p in (user or [])}
        problems = [p for p in problems if p.file in names]
    return sorted(problems, key=lambda p: (p.level != "error", p.file, p.record, p.field))


def check(folder: str | Path | None = None, *, bundled: bool = True, today: dt.date | None = None):
    """Problems of the user folder (``--kb`` / CRITMIN_KB) and, unless ``bundled`` is False, the bundled files,
    as a DataFrame (level, file, record, field, message)."""
    import pandas as pd

    rows = [p.as_row() for p in check_files(user_files(folder), bundled=bundled, today=today)]
    return pd.DataFrame(rows, columns=["level", "file", "record", "field", "message"])


def currency(kb: KnowledgeBase, today: dt.date | None = None) -> dict:
    """How current the KB is: its latest dated record, how many records were reviewed and the oldest review
    among the measures (None when none)."""
    today = today or dt.date.today()
    records = list(kb)
    dated = [e for e in records if e.date <= today]
    latest = max(dated, key=lambda e: (e.date, e.id)) if dated else None
    reviewed = [e for e in records if getattr(e, "reviewed", None) is not None]
    measures = list(kb.measures.values())
    m_reviews = [m.reviewed for m in measures if m.reviewed is not None]
    return {
        "records": len(records), "reviewed": len(reviewed), "unreviewed": len(records) - len(reviewed),
        "latest_date": latest.date.isoformat() if latest else None, "latest_id": latest.id if latest else None,
        "measures": len(measures), "measures_reviewed": len(m_reviews),
        "oldest_measure_review": min(m_reviews).isoformat() if m_reviews else None,
        "user_files": len(kb.user_files),
    }
