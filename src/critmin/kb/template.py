"""``critmin kb new KIND``: a commented YAML skeleton an analyst fills in (it loads as is, so ``kb check``
can be run on it straight away and then reports what is still to do)."""

from __future__ import annotations

import datetime as dt

from .models import KINDS

_MEASURE = """\
# A legal measure (export control). Dates are inclusive: 'effective' is the first day in force, 'ends' the
# last; a suspension covers from..until both included; after 'unknown_after' the state is 'unknown'.
# Check with: critmin kb check --kb <this folder>
{id}:
  kind: export_control
  jurisdiction: CHN            # whose law (ISO3)
  issuer: MOFCOM/GAC
  instrument: "MOFCOM/GAC {year} No. 0"
  title_en: "Replace with a title in your own words"
  title_zh: "用自己的话写标题"
  announced: {today}
  effective: {today}           # null when not known (the state is then 'unknown')
  # ends: 2027-12-31
  # unknown_after: 2027-12-31  # after this day no source says what holds
  # suspensions:
  #   - {{from: 2026-01-01, until: 2026-12-31, by: some-relaxing-measure-id}}
  destinations: ["*"]          # or ISO3 codes
  # replaces: a-bundled-id     # to correct a bundled record
  scope:
    - id: item1
      kind: goods              # goods | equipment | technology (only goods match trade flows)
      title_en: "What the law controls"
      elements: []             # chemical symbols, e.g. [Dy, Tb]
      materials: []            # critmin material ids, e.g. [graphite]
      forms: []                # e.g. [metal, oxide, compound, magnet]
      hs6: []                  # six-digit codes, e.g. ["284690"]
      control_list: []         # e.g. [1C902.a]
      locator: "art. 1"
      verification: unverified
  sources:
    - title: "Issuer, title of the text (date)"
      url: https://example.org/replace-me
      locator: "art. 1"
      supports: "what this source supports"
      verification: unverified # primary | secondary | unverified
  reviewed: null               # the day you checked every fact against its sources
"""

_ENTRY = """\
# A dated knowledge-base entry (kind {kind}). Check with: critmin kb check --kb <this folder>
{id}:
  kind: {kind}
  actor: USA                   # ISO3 or a group id (EU, G7, MSP, ...)
  title_en: "Replace with a title in your own words"
  title_zh: "用自己的话写标题"
  date: {today}
  date_precision: day          # day | month (first of month) | year (1 January)
  materials: []                # critmin material ids
  # status: [{{status: in_force, from: {today}}}]
  # replaces: a-bundled-id
  citations:
    - primary: "Publisher, title (date)"
      url: https://example.org/replace-me
      verification: unverified
  reviewed: null
"""


def template(kind: str, entry_id: str | None = None, today: dt.date | None = None) -> str:
    """The YAML skeleton for ``kind`` (``measure`` or ``export_control`` for a legal measure, else an entry
    kind); UsageError for an unknown kind."""
    from critmin.errors import UsageError

    today = today or dt.date.today()
    if kind not in KINDS:
        raise UsageError(f"unknown kind '{kind}'; expected one of {', '.join(KINDS)}")
    if kind == "export_control":
        return _MEASURE.format(id=entry_id or "my-export-control", today=today.isoformat(), year=today.year)
    return _ENTRY.format(id=entry_id or f"my-{kind.replace('_', '-')}", kind=kind, today=today.isoformat())
