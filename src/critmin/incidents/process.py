"""The crisis process of seed 002 as data: the early-warning trigger, the three stages and the transition measures
(licence fast-track, priority for civilian and green projects, contract transition), each cited to the seed
with a locator, and with knowledge-base entries as evidence where something like a proposal later happened.

Incident stage 3 and the exercise brief read the same file (``data/crisis_process.yaml``), so the seed's
content is written once. :func:`load_process` checks that every evidence id is in the knowledge base and every
trigger condition names a built-in alert rule, so a renamed rule or entry fails loudly.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from critmin.errors import CatalogError

PROCESS_FILE = Path(__file__).parent / "data" / "crisis_process.yaml"


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_M):
    seed: str
    authors: str
    title_zh: str
    section: str


class Condition(_M):
    id: str
    rule: str
    en: str
    zh: str


class Trigger(_M):
    locator: str
    en: str
    zh: str
    conditions: list[Condition] = Field(min_length=1)
    thresholds_note_en: str
    thresholds_note_zh: str


class Exercises(_M):
    locator: str
    sectors_en: list[str]
    sectors_zh: list[str]
    en: str
    zh: str


class Stage(_M):
    id: str
    locator: str
    en: str
    zh: str
    what_en: str
    what_zh: str


class Measure(_M):
    id: str
    locator: str
    en: str
    zh: str
    what_en: str
    what_zh: str
    evidence: list[str] = Field(default_factory=list)
    sectors: list[str] = Field(default_factory=list)


class Process(_M):
    source: Source
    trigger: Trigger
    exercises: Exercises
    stages: list[Stage] = Field(min_length=3, max_length=3)
    measures: list[Measure] = Field(min_length=1)

    def citation(self, locator: str) -> str:
        """'seed 002_….txt (authors, section …), locator' — how every output cites an entry."""
        s = self.source
        return f"seed {s.seed} ({s.authors}, {s.title_zh}), {locator}"


@lru_cache(maxsize=1)
def load_process() -> Process:
    """The bundled crisis process, validated (file/line/field on error) and cross-checked against the knowledge
    base and the built-in rules."""
    from critmin.alerts import load_rules
    from critmin.datafile import load_data
    from critmin.kb import load_kb

    p = load_data(PROCESS_FILE, Process, error=CatalogError, expected="the crisis-process file")
    if [s.id for s in p.stages] != ["fact_check", "impact_assessment", "transition_arrangements"]:
        raise CatalogError(PROCESS_FILE.name, None, "stages", "fact_check, impact_assessment, "
                           "transition_arrangements in that order", [s.id for s in p.stages])
    kb = load_kb()
    for m in p.measures:
        for e in m.evidence:
            if kb.find(e) is None:
                raise CatalogError(PROCESS_FILE.name, m.id, "evidence", "ids of knowledge-base entries", e)
    rules = {r.id for r in load_rules()}
    for c in p.trigger.conditions:
        if c.rule not in rules:
            raise CatalogError(PROCESS_FILE.name, c.id, "rule", "the id of a built-in alert rule", c.rule)
    return p


def measures_for(as_of=None) -> list[dict]:
    """The transition measures as JSON-ready rows, each with its citation and its evidence entries (title, date,
    primary source) as the knowledge base states them."""
    import datetime as dt

    from critmin.incidents.kbentry import kb_entry

    p = load_process()
    day = dt.date.fromisoformat(str(as_of)[:10]) if as_of else dt.date.today()
    out = []
    for m in p.measures:
        out.append({"id": m.id, "en": m.en, "zh": m.zh, "what_en": m.what_en, "what_zh": m.what_zh,
                    "citation": p.citation(m.locator), "sectors": list(m.sectors),
                    "evidence": [kb_entry(e, day) for e in m.evidence]})
    return out
