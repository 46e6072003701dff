"""Generate docs/kb.md from the knowledge-base data, so the documented dates and states can never drift from
what the engine computes: ``python -m critmin.kb.docs > docs/kb.md`` (tests/kb/test_docs.py fails when the
file is stale)."""

from __future__ import annotations

from collections import Counter

from .loader import KnowledgeBase, data_files, load_from
from .measures import Measure
from .state import periods

HEAD = """\
# Knowledge base / 知识库

Generated from `src/critmin/kb/data/` by `python -m critmin.kb.docs > docs/kb.md`; do not edit by hand.

The knowledge base (`critmin.kb`) holds the dated, cited facts that alerts, incidents, scenarios, reports and
compliance read: legal measures (China's export controls) with their legal-state semantics, and dated
entries on other measures, alliances and members, agreements, projects, price mechanisms, lists, reports
and events.

知识库是预警、危机处置、情景、报告和合规共同读取的唯一事实来源：出口管制等法律措施（含生效、暂停、到期及
“状态未知”语义），以及其他措施、联盟与成员、协议、项目、价格机制、清单、报告和事件。

## Legal state: one place

`critmin.kb.state.state_on(measure, day, item=None)` is the only function that turns a measure's dates into
a state; `periods(measure)` lists the same states as consecutive periods, and `critmin.kb.controls`
(`controls_on`, `control_changes`) matches scope items to trade flows. `comply controls`, `kb show`, the
alert engine, incidents and the monitor all call these. States:

| state | meaning |
|---|---|
| `not_announced` | before the text was published |
| `announced` | published, not yet effective |
| `in_force` | binding on that day |
| `suspended` | a suspending measure covers the day (it wins over in force and announced) |
| `ended` | after its last day, having been in force |
| `never_in_force` | ended without a day in force |
| `unknown` | after `unknown_after` (no source in hand says what followed), or no known effective date |

Dates are inclusive: `effective` is the first day in force, `ends` the last; a suspension covers
`from`..`until` both included (the Chinese texts say "自即日起至…"). A measure never returns to force by
computation: when a suspension ends and no text says what followed, the state is `unknown`.

Matching: only `goods` scope items match a trade flow (element or material, and HS6 when the item lists
codes); `equipment` and `technology` items never do, and items binding exporters abroad (No. 61) never match
an export from China.

## Extending it

- `--kb FOLDER` (or `CRITMIN_KB`): your YAML files are merged with the bundled ones; a record with
  `replaces: <bundled id>` takes that record's place (references to the old id keep resolving).
- `critmin kb check [--kb FOLDER] [--user-only]`: every problem at once with file, line or record and field
  (schema, date order, overlapping periods or suspensions, unknown materials or elements, dangling
  references, `replaces` of an unknown id) and warnings for measures never reviewed or reviewed more than
  `kb_stale_days` (default 180) days ago. Exit code 1 on errors.
- `critmin kb new KIND [--id ID] [--out FILE]`: a commented template that loads as is.
- `critmin kb events` ends with a line saying how current the KB is.

Verification levels on every source: `primary` (the issuer's text, or a page reproducing it in full),
`secondary` (a report quoting or paraphrasing it), `unverified` (not checked against any text).

## Known limits / 已知局限

- Where a suspension has ended and no source in hand says what followed (the October 2025 measures after
  No. 70, No. 46 para. 2 after No. 72, the US Affiliates Rule), the state is `unknown`, not back in force;
  the dates are in each record's history below.
- Most Chinese texts were read in reproductions (news sites, MOFCOM's licensing site) rather than on
  mofcom.gov.cn itself; each source says which. HS6 codes are the announcements' reference customs codes cut
  to six digits; where an item lists none, or we mapped one ourselves, the item's note says so, and an item
  without codes matches every flow of its element (cautious).
- The 2010 rare-earth quota record rests on press reports of the allocation; no quota notice was read.
- Entries other than measures keep the seed-based facts and `basis` flags; those reviewed against a source
  carry `reviewed` (counts under "How current").
"""


def _d(d) -> str:
    return d.isoformat() if d else "—"


def _measure(m: Measure) -> list[str]:
    out = [f"### {m.instrument} — {m.title_en}", "", f"`{m.id}` · {m.title_zh}", ""]
    eff = _d(m.effective) if m.effective else "not known"
    out.append(f"- announced {_d(m.announced)}; effective {eff}; ends {_d(m.ends)}"
               + (f"; state unknown after {_d(m.unknown_after)}" if m.unknown_after else "")
               + f"; effect: {m.effect}; destinations: {', '.join(m.destinations)}")
    for s in m.suspensions:
        items = f" (items {', '.join(s.items)})" if s.items else ""
        out.append(f"- suspended {_d(s.from_)} to {_d(s.until)} by `{s.by}`{items}")
    if m.suspends:
        out.append(f"- suspends: {', '.join(f'`{x}`' for x in m.suspends)}")
    out.append(f"- reviewed: {_d(m.reviewed) if m.reviewed else 'never (check before relying on it)'}")
    out += ["", "| from | until | state |", "|---|---|---|"]
    out += [f"| {_d(a)} | {_d(b) if b else 'open'} | {st} |" for a, b, st in periods(m)]
    if m.scope:
        out += ["", "| item | kind | elements / materials | HS6 | control list | effective | scope checked | states |",
                "|---|---|---|---|---|---|---|---|"]
        for i in m.scope:
            hist = "; ".join(f"{st} from {_d(a)}" for a, _b, st in periods(m, i.id))
            mats = ", ".join(i.elements or i.material_ids()) or "—"
            out.append(f"| `{i.id}` {i.title_en} | {i.kind} | {mats} | {', '.join(i.hs6) or '—'} | "
                       f"{', '.join(i.control_list) or '—'} | {_d(i.effective or m.effective)} | {i.verification} | "
                       f"{hist} |")
        notes = [f"`{i.id}`: {i.note}" for i in m.scope if i.note]
        if notes:
            out += ["", "Unclear or not checked: " + " ".join(notes)]
    if m.note_en:
        out += ["", m.note_en.strip()]
    out += ["", "Sources:"]
    for s in m.sources:
        loc = f", {s.locator}" if s.locator else ""
        url = f" <{s.url}>" if s.url else ""
        out.append(f"- [{s.verification}] {s.title}{loc}{url} — supports: {s.supports}")
    return out + [""]


def render(kb: KnowledgeBase | None = None) -> str:
    kb = kb if kb is not None else load_from(data_files())
    records = sorted(kb, key=lambda e: (e.date, e.id))
    measures = [e for e in records if isinstance(e, Measure)]
    reviewed = [e for e in records if getattr(e, "reviewed", None)]
    latest = records[-1]
    kinds = Counter(e.kind for e in records)
    out = [HEAD, "## How current / 时效", "",
           f"{len(records)} records ({len(measures)} legal measures); latest dated record {latest.date.isoformat()} "
           f"(`{latest.id}`); {len(reviewed)} records reviewed against their sources, {len(records) - len(reviewed)} "
           "not yet reviewed (their facts come from the seed texts and are flagged by `basis`).", "",
           "| kind | records |", "|---|---:|", *[f"| {k} | {n} |" for k, n in sorted(kinds.items())], "",
           "## Measures / 法律措施", ""]
    for m in measures:
        out += _measure(m)
    out += ["## Other entries / 其他条目", "",
            "| date | id | kind | actor | title | reviewed |", "|---|---|---|---|---|---|"]
    for e in records:
        if isinstance(e, Measure):
            continue
        prec = "" if e.date_precision == "day" else f" ({e.date_precision})"
        out.append(f"| {e.date.isoformat()}{prec} | `{e.id}` | {e.kind} | {e.actor} | {e.title_en} | "
                   f"{_d(e.reviewed) if e.reviewed else '—'} |")
    return "\n".join(out) + "\n"


if __name__ == "__main__":  # pragma: no cover
    import sys

    sys.stdout.write(render())
