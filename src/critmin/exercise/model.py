"""Exercise files (YAML): a shock, a timeline of injects, the participants and their decision points.

An exercise is what seed 002 (section 4(1)) proposes for autos, permanent-magnet motors and wind: a rehearsed
crisis. The file says when the exercise starts (``start``, the Monday of week 1) and how many weeks it runs;
the shock goes to the chain model as it stands; each inject happens in a week and may carry

- ``measure``: a knowledge-base measure it announces (e.g. ``chn-2025-no18-medium-heavy-ree``), judged by the
  built-in export-control rule on the inject's date;
- ``observations``: values of the operational feeds the alert rules read (licence backlog in days, core-firm
  disruption index, corridor status, strategic stock against its warning line), checked exactly as a feed
  CSV row would be (:mod:`critmin.alerts.feeds`);
- ``decisions``: questions put to named participants, with the options on the table.

Every value an inject states is an exercise input: ``source`` says where it comes from, and an inject without
one is labelled ASSUMPTION in the brief. Errors name the file, the line and the field
(:mod:`critmin.datafile`); cross references (participants, measures, importers, materials) are checked after
the structure, still at their line.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from critmin.errors import InputError

MAX_WEEKS = 104
KINDS = ("announcement", "licence_backlog", "production_disruption", "corridor", "stock_line", "resumption",
         "information")


class ExerciseError(InputError):
    """An exercise file fails validation."""


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)


class Participant(_M):
    id: str = Field(pattern=r"^[a-z0-9]+(?:_[a-z0-9]+)*$")
    name_en: str = Field(min_length=1)
    name_zh: str = Field(min_length=1)
    role_en: str = ""
    role_zh: str = ""
    side: Literal["importer", "supplier", "industry", "joint", "other"] = "other"


class Observation(_M):
    """One feed value an inject reports; the same fields and checks as a row of a feed CSV."""

    feed: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    importer: str = Field(pattern=r"^[A-Z][A-Z0-9_]{1,15}$")
    value: float | str
    material: str | None = None  # default: the exercise's material
    stage: str = ""
    supplier: str = ""  # default: the shock's supplier, for the licence backlog
    reference: float | None = Field(default=None, gt=0)
    unit: str = ""

    @model_validator(mode="after")
    def _as_feed_row(self):
        from critmin.alerts.feeds import CORRIDOR_WORDS, FEEDS, STAGES

        spec = FEEDS.get(self.feed)
        v = self.value
        if isinstance(v, str):
            if self.feed != "corridor_status" or v.strip().lower() not in CORRIDOR_WORDS:
                raise ValueError("value: a finite number" + (" or one of " + "/".join(CORRIDOR_WORDS)
                                                             if self.feed == "corridor_status" else ""))
            v = float(CORRIDOR_WORDS[v.strip().lower()])
            object.__setattr__(self, "value", v)
        if spec:
            lo, hi = spec["min"], spec["max"]
            if (lo is not None and v < lo) or (hi is not None and v > hi):
                raise ValueError(f"value: a number in [{lo}, " + (f"{hi}]" if hi is not None else "∞)"))
            if spec.get("reference") and self.reference is None:
                raise ValueError("reference: the warning line (required for this feed)")
            if self.unit and self.unit != spec["unit"]:
                raise ValueError(f"unit: '{spec['unit']}' for {self.feed}")
        if self.stage and self.stage not in STAGES:
            raise ValueError("stage: one of " + ", ".join(sorted(STAGES)))
        return self


class Decision(_M):
    participant: str
    question_en: str = Field(min_length=1)
    question_zh: str = Field(min_length=1)
    options_en: list[str] = Field(default_factory=list)
    options_zh: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _paired(self):
        if len(self.options_en) != len(self.options_zh):
            raise ValueError("options_zh: as many options as options_en (one translation each)")
        return self


class Relief(_M):
    """From the inject's Monday, ``share`` of the covered flow to ``destinations`` ships without waiting (a
    fast-track or general licence): passed to the chain model as a general licence. The share is an exercise
    input; without ``source`` the brief labels it ASSUMPTION."""

    destinations: list[str] = Field(min_length=1)
    share: float = Field(ge=0, le=1)
    source: str | None = None


class Inject(_M):
    id: str = Field(pattern=r"^[a-z0-9]+(?:_[a-z0-9]+)*$")
    week: int = Field(ge=1, le=MAX_WEEKS)
    kind: Literal[KINDS]  # type: ignore[valid-type]
    title_en: str = Field(min_length=1)
    title_zh: str = Field(min_length=1)
    text_en: str = ""
    text_zh: str = ""
    measure: str | None = None
    observations: list[Observation] = Field(default_factory=list)
    decisions: list[Decision] = Field(default_factory=list)
    relief: Relief | None = None  # a fast-track / general licence from this week on (changes the chain shock)
    source: str | None = None  # where the inject's values come from; none = ASSUMPTION

    @model_validator(mode="after")
    def _has_content(self):
        if self.kind in ("announcement", "resumption") and not self.measure and not self.observations:
            raise ValueError(f"a '{self.kind}' inject names the knowledge-base measure it is about (measure)")
        return self


class Exercise(_M):
    id: str = Field(pattern=r"^[a-z0-9]+(?:_[a-z0-9]+)*$")
    title_en: str = Field(min_length=1)
    title_zh: str = Field(min_length=1)
    purpose_en: str = ""
    purpose_zh: str = ""
    start: dt.date
    weeks: int = Field(ge=1, le=MAX_WEEKS)
    material: str
    importers: list[str] = Field(min_length=1)
    shock: dict[str, Any]  # the chain model's shock, validated by the chain
    year: int = Field(2024, ge=1995, le=2100)  # baseline year of the trade data
    draws: int = Field(2000, ge=1, le=100_000)
    seed: int = Field(0, ge=0, le=2**32 - 1)
    participants: list[Participant] = Field(min_length=1)
    injects: list[Inject] = Field(min_length=1)

    @field_validator("start")
    @classmethod
    def _monday(cls, v: dt.date) -> dt.date:
        if v.weekday() != 0:
            raise ValueError(f"a Monday (week 1 starts on it); {v.isoformat()} is a {v.strftime('%A')}")
        return v

    def day(self, week: int) -> dt.date:
        """The Monday of ``week`` (week 1 = ``start``)."""
        return self.start + dt.timedelta(weeks=week - 1)

    @property
    def supplier(self) -> str:
        return str(self.shock.get("supplier", "")).upper()

    def chain_shock(self) -> dict[str, Any]:
        """The shock as the chain model takes it: the file's ``shock`` plus, for every inject with ``relief``, a
        general licence from the inject's Monday."""
        shock = dict(self.shock)
        extra = [{"destinations": list(i.relief.destinations), "from": self.day(i.week).isoformat(),
                  "share": i.relief.share, "source": i.relief.source or f"ASSUMPTION: exercise inject {i.id}"}
                 for i in self.timeline() if i.relief is not None]
        if extra:
            shock["general_licences"] = [*shock.get("general_licences", []), *extra]
        return shock

    def timeline(self) -> list[Inject]:
        """Injects in time order (file order within a week)."""
        return sorted(self.injects, key=lambda i: i.week)


def _check_refs(ex: Exercise, data, name: str) -> None:
    """Cross references, each at its line: unique ids, decision participants, measures in the knowledge base,
    importers and the material in the catalog."""
    from critmin.catalog import load_catalog
    from critmin.catalog.economies import resolve
    from critmin.datafile import line_of
    from critmin.errors import UsageError
    from critmin.kb import load_kb

    def fail(loc, expected, got):
        raise ExerciseError(name, line_of(data, loc), ".".join(map(str, loc)), expected, got)

    people = [p.id for p in ex.participants]
    for k, pid in enumerate(people):
        if pid in people[:k]:
            fail(["participants", k, "id"], "each participant id once", pid)
    seen: list[str] = []
    series: dict[tuple, str] = {}  # one value per feed series and week, as in a feed CSV
    kb = load_kb()
    cat = load_catalog()
    for k, inj in enumerate(ex.injects):
        if inj.id in seen:
            fail(["injects", k, "id"], "each inject id once", inj.id)
        if inj.week > ex.weeks:
            fail(["injects", k, "week"], f"a week within the exercise's {ex.weeks} weeks", inj.week)
        seen.append(inj.id)
        for j, d in enumerate(inj.decisions):
            if d.participant not in people:
                fail(["injects", k, "decisions", j, "participant"], "the id of a participant ("
                     + ", ".join(people) + ")", d.participant)
        if inj.measure and kb.find(inj.measure) is None:
            fail(["injects", k, "measure"], "the id of a knowledge-base entry (critmin kb list)", inj.measure)
        for j, dest in enumerate(inj.relief.destinations if inj.relief else []):
            try:
                resolve(dest, cat, what="destination")
            except UsageError:
                fail(["injects", k, "relief", "destinations", j], "an ISO3 code or group id the catalog knows", dest)
        for j, o in enumerate(inj.observations):
            mat = o.material or ex.material
            key = (inj.week, o.feed, o.importer, mat, o.stage, o.supplier)
            if key in series:
                fail(["injects", k, "observations", j], f"one {o.feed} value for {o.importer} per week (inject "
                     f"'{series[key]}' already reports it in week {inj.week})", o.value)
            series[key] = inj.id
            if mat not in cat.materials:
                fail(["injects", k, "observations", j, "material"], "a critmin material id", mat)
            try:
                resolve(o.importer, cat, what="importer")
            except UsageError:
                fail(["injects", k, "observations", j, "importer"], "an ISO3 code or group id the catalog knows",
                     o.importer)
    if ex.material not in cat.materials:
        fail(["material"], "a critmin material id (e.g. rare_earths)", ex.material)
    for k, imp in enumerate(ex.importers):
        try:
            resolve(imp, cat, what="importer")
        except UsageError:
            fail(["importers", k], "an ISO3 code or group id the catalog knows", imp)
    if not ex.supplier:
        fail(["shock", "supplier"], "the supplier whose measure the exercise rehearses (e.g. CHN)", None)
    _check_shock(ex, data, name)


def _check_shock(ex: Exercise, data, name: str) -> None:
    """The shock goes to the chain model as written: its own parser checks it (one shock format), and its
    errors come back here with the field under ``shock.``; the chain must cover the exercise's material."""
    from critmin.datafile import line_of
    from critmin.stress.chain import parse_shock
    from critmin.stress.chain_data import load_chains

    shock = data.get("shock") if isinstance(data, dict) else None
    try:
        sh = parse_shock(shock if shock is not None else dict(ex.shock), name)
        parse_shock(ex.chain_shock(), name)
    except InputError as e:
        sub = "" if e.field in (None, "(file)") else str(e.field)
        field = "shock" if not sub else sub if sub.startswith("shock") else f"shock.{sub}"
        line = e.record if isinstance(e.record, int) else line_of(data, field.split("."))
        raise ExerciseError(name, line, field, e.expected, e.got) from None
    chain = load_chains().chain(sh.chain)
    if chain.material != ex.material:
        raise ExerciseError(name, line_of(data, ["material"]), "material",
                            f"the material of the shock's chain '{sh.chain}' ({chain.material})", ex.material)


def parse_exercise(data: Any, name: str = "<exercise>") -> Exercise:
    """Validate an exercise mapping (parsed by :mod:`critmin.datafile`, so errors know their line)."""
    from critmin.datafile import validate

    if not isinstance(data, dict):
        raise ExerciseError(name, None, None, "a YAML mapping with keys id, start, weeks, shock, participants, "
                            "injects", type(data).__name__)
    ex = validate(data, Exercise, name, error=ExerciseError)
    _check_refs(ex, data, name)
    return ex


def load_exercise(path: str | Path) -> tuple[Exercise, Any]:
    """Read and validate an exercise file; returns the model and the parsed data (whose lines the chain's shock
    validation uses for its own errors)."""
    from critmin.datafile import read_yaml

    data = read_yaml(path, ExerciseError, "an exercise file")
    return parse_exercise(data, str(path)), data
