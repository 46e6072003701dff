"""Shocks for the chain model, as the law works: volume cuts, quotas and licence regimes, with their dates.

A shock is written by hand (a ``shock:`` mapping in a scenario or exercise file, validated by
:func:`parse_shock`) or built from a knowledge-base measure (:func:`shock_from_measure`): then which elements,
forms and HS6 codes it covers, which destinations and on which days it is in force all come from the KB's own
:func:`critmin.kb.state.periods`; a day the KB calls ``unknown`` stays unknown (the run stops before it unless
the caller says how to read it, and the output says which reading was used).

Regimes (the share of the covered baseline flow that does not ship in a week, ``c``):

* ``volume``: ``c = cut · (1 − leakage)`` while active.
* ``quota``: a yearly cap; ``c = max(0, 1 − quota·utilisation / baseline exports) · (1 − leakage)``.
* ``licence``: applications are decided from ``review_delay_days`` after filing, spread over
  ``decision_spread_days``; approved goods ship once decided, so ``c = 1 − approval · F(days since start)``
  with F a ramp, times ``(1 − leakage)``; ``steps`` change the approval share from a date. Destinations
  under a ban get ``c = 1 − leakage``; a general licence exempts a fixed share of a destination's flow from a
  date on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from critmin.errors import InputError, UsageError
from critmin.stress.params import Param, param_bounds
from critmin.stress.scenario import Targets, fraction

WEEK_DAYS = 7


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, populate_by_name=True)


class Span(_Strict):
    """``from``..``until``, both days included."""

    from_: dt.date = Field(alias="from")
    until: dt.date

    @model_validator(mode="after")
    def _order(self):
        if self.until < self.from_:
            raise ValueError(f"'until' ({self.until}) is before 'from' ({self.from_})")
        return self


class GeneralLicence(_Strict):
    """From ``from`` on, ``share`` of the covered flow to these destinations ships under a general licence."""

    destinations: list[str] = Field(min_length=1)
    from_: dt.date = Field(alias="from")
    share: float = Field(ge=0, le=1)
    source: str | None = None


class Ban(_Strict):
    """No licence for these destinations (or for ``share`` of their flow: the share going to the named end
    users, which the caller must state; a KB never says it)."""

    destinations: list[str] = Field(min_length=1)
    end_users: list[str] = Field(default_factory=list)
    share: float = Field(1.0, ge=0, le=1)
    source: str | None = None

    @model_validator(mode="after")
    def _share(self):
        if self.end_users and "share" not in self.model_fields_set:
            raise ValueError("an end-user ban needs 'share': the part of the destination's flow going to those end "
                             "users (not in any KB record; state it as an assumption)")
        return self


class ApprovalStep(_Strict):
    """From ``from`` on, the share of applications approved is ``approval_share`` (a scenario's easing or
    tightening that is not a KB measure: say so in its name)."""

    from_: dt.date = Field(alias="from")
    approval_share: float = Field(ge=0, le=1)
    note: str | None = None


class Regime(_Strict):
    kind: Literal["volume", "quota", "licence"] = "licence"
    cut: Param | None = None  # volume
    quota_t_per_year: float | None = Field(None, ge=0)  # quota
    utilisation: Param | None = None  # quota; default from chains.yaml
    approval_share: Param | None = None  # licence: share of applications eventually approved; chains.yaml default
    review_delay_days: Param | None = None  # licence: first decisions after this many days; chains.yaml default
    decision_spread_days: Param | None = None  # licence: decisions spread over this many days; chains.yaml default
    pipeline_days: Param | None = None  # licence: covered goods still shipping for these days; chains.yaml default
    steps: list[ApprovalStep] = Field(default_factory=list)  # licence: approval share changes by date (by hand)
    leakage: Param | None = None  # default from chains.yaml (by regime)

    _f = field_validator("cut", "utilisation", "approval_share", "leakage")(classmethod(lambda cls, v: fraction(v)))

    @field_validator("review_delay_days", "decision_spread_days", "pipeline_days")
    @classmethod
    def _days(cls, v):
        if v is not None:
            lo, hi = param_bounds(v)
            if lo < 0 or hi > 730:
                raise ValueError("days between 0 and 730")
        return v

    @model_validator(mode="after")
    def _needs(self):
        if self.kind == "volume" and self.cut is None:
            raise ValueError("a volume regime needs 'cut' (fraction withheld)")
        if self.kind == "quota" and self.quota_t_per_year is None:
            raise ValueError("a quota regime needs 'quota_t_per_year'")
        if self.kind != "volume" and self.cut is not None:
            raise ValueError(f"'cut' belongs to a volume regime, not {self.kind}")
        return self


Coverage = dict[str, dict[str, float] | list[str] | Literal["all"]]


class ChainShock(_Strict):
    """One supplier's restriction on a chain. Either ``measure`` (a KB id: scope and dates from the KB) or
    ``start`` + ``coverage`` by hand (then ``end`` and ``suspensions`` are optional)."""

    name: str = "shock"
    supplier: str = "CHN"
    chain: str = "ree_magnets"
    measure: str | None = None
    start: dt.date | None = None  # first day in force (hand-written shocks)
    end: dt.date | None = None  # last day in force; None = open
    suspensions: list[Span] = Field(default_factory=list)
    coverage: Coverage | None = None  # stage -> groups covered (list), {group: share}, or "all"
    regime: Regime = Field(default_factory=Regime)
    targets: Targets = Field(default_factory=Targets)
    general_licences: list[GeneralLicence] = Field(default_factory=list)
    bans: list[Ban] = Field(default_factory=list)
    unknown_as: Literal["stop", "in_force", "lifted"] = "stop"

    @model_validator(mode="after")
    def _one_source_of_law(self):
        if self.measure is not None:
            hand = [k for k in ("start", "end", "suspensions", "coverage") if k in self.model_fields_set]
            if hand:
                raise ValueError(f"with 'measure' the dates and scope come from the knowledge base; remove {hand}")
        else:
            if self.start is None:
                raise ValueError("a hand-written shock needs 'start' (first day in force)")
            if self.coverage is None:
                raise ValueError("a hand-written shock needs 'coverage' (stage: all | [groups] | {group: share})")
            if self.end is not None and self.end < self.start:
                raise ValueError(f"'end' ({self.end}) is before 'start' ({self.start})")
        return self


def parse_shock(data: Any, file: str = "<shock>") -> ChainShock:
    """Validate a ``shock:`` mapping; errors name the file, the line (when ``data`` came from
    :mod:`critmin.datafile`) and the field."""
    from critmin.stress.scenario import validation_error

    if not isinstance(data, dict):
        raise InputError(file, None, "shock", "a mapping (supplier, measure or start/coverage, regime, ...)",
                         type(data).__name__)
    try:
        sh = ChainShock.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, data, file) from None
    _check_names(sh, file)
    return sh


def as_shock(shock: ChainShock | dict | str | None) -> ChainShock | None:
    """What the chain functions accept as a shock, as a :class:`ChainShock`: a KB measure id (with
    :func:`shock_from_measure`'s defaults), a ``shock:`` mapping, or a shock already (None passes)."""
    if isinstance(shock, str):
        return shock_from_measure(shock)
    if isinstance(shock, dict):
        return parse_shock(shock, "<dict>")
    return shock


def _check_names(sh: ChainShock, file: str) -> None:
    from critmin.stress.chain_data import STAGE_ORDER, load_chains

    ch = load_chains()
    if sh.chain not in ch.chains:
        raise InputError(file, None, "chain", f"a chain of chains.yaml ({', '.join(ch.chains)})", sh.chain)
    groups = set(ch.chains[sh.chain].groups) | {"magnet"}
    for stage, cov in (sh.coverage or {}).items():
        if stage not in STAGE_ORDER:
            raise InputError(file, None, f"coverage.{stage}", f"a stage ({', '.join(STAGE_ORDER)})", stage)
        names = [] if cov == "all" else list(cov)
        bad = [g for g in names if g not in groups]
        if bad:
            raise InputError(file, None, f"coverage.{stage}", f"element groups ({', '.join(sorted(groups))})", bad)
        if isinstance(cov, dict):
            out = [g for g, s in cov.items() if not 0 <= s <= 1]
            if out:
                raise InputError(file, None, f"coverage.{stage}.{out[0]}", "a share between 0 and 1", cov[out[0]])
    if sh.measure is not None:
        from critmin.kb.loader import load_kb

        if sh.measure not in load_kb().measures:
            raise InputError(file, None, "measure", "the id of an export-control measure in the knowledge base",
                             sh.measure)


def shock_from_measure(measure_id: str, *, regime: Regime | dict | None = None, targets: Any = None,
                       general_licences: list | None = None, bans: list | None = None,
                       unknown_as: str = "stop", name: str | None = None, chain: str = "ree_magnets") -> ChainShock:
    """A shock whose scope (elements, forms, HS6, destinations) and dates come from the KB measure
    ``measure_id`` (e.g. ``"chn-2025-no18-medium-heavy-ree"``); the regime (approval share, review delay,
    leakage) defaults to chains.yaml's licence section, each default with its source."""
    data: dict[str, Any] = {"name": name or measure_id, "measure": measure_id, "chain": chain,
                            "unknown_as": unknown_as}
    if regime is not None:
        data["regime"] = regime.model_dump(exclude_none=True) if isinstance(regime, Regime) else regime
    if targets is not None:
        data["targets"] = targets
    if general_licences:
        data["general_licences"] = [g.model_dump(by_alias=True) if isinstance(g, GeneralLicence) else g
                                    for g in general_licences]
    if bans:
        data["bans"] = [b.model_dump() if isinstance(b, Ban) else b for b in bans]
    try:
        sh = ChainShock.model_validate(data)
    except ValidationError as exc:
        raise UsageError(f"shock from {measure_id}: {exc.errors()[0]['msg']}") from None
    _check_names(sh, f"<shock from {measure_id}>")
    if sh.supplier != _measure(measure_id).jurisdiction:
        sh = sh.model_copy(update={"supplier": _measure(measure_id).jurisdiction})
    return sh


def _measure(measure_id: str):
    from critmin.kb.loader import load_kb

    m = load_kb().measures.get(measure_id)
    if m is None:
        raise UsageError(f"no export-control measure '{measure_id}' in the knowledge base")
    return m


# ---------------------------------------------------------------------------------------------------------
# Resolution: from a shock to coverage shares per (stage, HS6, group) and a day-by-day legal state


@dataclass
class Resolved:
    """What the engine needs from a shock: covered share of each (stage, hs6, group), the states by day,
    destination weights and the text a user is shown."""

    shock: ChainShock
    coverage: dict[tuple[str, str, str], float]  # (stage, hs6, group) -> share of that flow covered
    magnet_covered: bool  # the magnet stage is covered (its share is a drawn parameter for measures)
    periods: list[tuple[dt.date, dt.date | None, str]]  # (from, until, state) from the KB or the hand dates
    start: dt.date  # first day of the first in-force period
    unknown_from: dt.date | None  # first day the state is unknown (None: never)
    sources: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    destinations: list[str] = field(default_factory=lambda: ["*"])

    def state_by_day(self, first: dt.date, days: int) -> np.ndarray:
        """The state (as a string array) of each of ``days`` days from ``first``."""
        out = np.full(days, "not_announced", dtype=object)
        for a, b, st in self.periods:
            i0 = max(0, (a - first).days)
            i1 = days if b is None else min(days, (b - first).days + 1)
            if i1 > i0:
                out[i0:i1] = st
        return out


def _group_of(chain, element: str) -> str | None:
    for gid, g in chain.groups.items():
        if element in g.weights:
            return gid
    return None


def resolve_shock(sh: ChainShock, hs6_by_stage: dict[str, list[str]]) -> Resolved:
    """Coverage and dates of a shock; for a KB measure every fact is read from the KB."""
    from critmin.stress.chain_data import load_chains

    chain = load_chains().chain(sh.chain)
    cov: dict[tuple[str, str, str], float] = {}
    notes: list[str] = []
    if sh.measure is None:
        for stage, spec in (sh.coverage or {}).items():
            goods = chain.goods(stage)
            shares = ({g: 1.0 for g in goods} if spec == "all" else
                      {g: 1.0 for g in spec} if isinstance(spec, list) else dict(spec))
            for hs in hs6_by_stage.get(stage, []) or ["-"]:
                for g, s in shares.items():
                    cov[(stage, hs, g)] = float(s)
        periods = _hand_periods(sh)
        sources = ["scenario file (hand-written shock)"]
        dests = ["*"]
        magnet = any(k[0] == "magnet" and v > 0 for k, v in cov.items())
    else:
        from critmin.kb.state import periods as kb_periods
        from critmin.stress.chain_data import FORM_STAGE

        m = _measure(sh.measure)
        goods_items = [i for i in m.scope if i.kind == "goods"]
        magnet = False
        for item in goods_items:
            stages = sorted({FORM_STAGE[f] for f in item.forms if f in FORM_STAGE})
            for stage in stages:
                for hs in hs6_by_stage.get(stage, []) or ["-"]:
                    if item.hs6 and hs != "-" and hs not in item.hs6:
                        continue
                    if stage == "magnet":
                        magnet = True
                        cov[(stage, hs, "magnet")] = 1.0  # times the drawn covered share of magnets
                        continue
                    for gid, grp in chain.groups.items():
                        weights = grp.weights
                        hs_spec = chain.stage(stage).hs6_groups.get(hs)
                        if gid == "other" and hs_spec is not None and hs_spec.other_elements:
                            weights = hs_spec.other_elements
                        share = sum(w for e, w in weights.items() if e in item.elements)
                        if not item.elements and "rare_earths" in item.material_ids():
                            share = 1.0
                        if share > 0:
                            key = (stage, hs, gid)
                            cov[key] = min(1.0, max(cov.get(key, 0.0), share))
        # dates: the most binding item state each day (kb.state.periods without an item)
        periods = kb_periods(m)
        sources = [m.cites()]
        dests = list(m.destinations)
        unmatched = [i.id for i in goods_items if not any(FORM_STAGE.get(f) for f in i.forms)]
        if unmatched:
            notes.append(f"{m.id}: scope items {unmatched} name no chain stage (forms), not in the shock")
        for ex in m.exemptions:
            notes.append(f"{m.id} exemption in the KB: {ex.text_en.strip()}")
        if not cov:
            notes.append(f"{m.id} covers no goods of chain {sh.chain}: the shock withholds nothing")
    first_in_force = next((a for a, _b, st in periods if st == "in_force"), None)
    unknown_from = next((a for a, _b, st in periods if st == "unknown"), None)
    if first_in_force is None:
        notes.append("the measure is never in force in the periods the KB records")
    start = first_in_force or (periods[0][0] if periods else dt.date.today())
    return Resolved(sh, cov, magnet, periods, start, unknown_from, sources, notes, dests)


def _hand_periods(sh: ChainShock) -> list[tuple[dt.date, dt.date | None, str]]:
    day = dt.timedelta(days=1)
    out: list[tuple[dt.date, dt.date | None, str]] = []
    cur = sh.start
    for s in sorted(sh.suspensions, key=lambda s: s.from_):
        if sh.end is not None and s.from_ > sh.end:
            break
        if s.from_ > cur:
            out.append((cur, s.from_ - day, "in_force"))
        out.append((max(cur, s.from_), s.until, "suspended"))
        cur = s.until + day
    if sh.end is None or cur <= sh.end:
        out.append((cur, sh.end, "in_force"))
    if sh.end is not None:
        out.append((sh.end + day, None, "ended"))
    return out


# ---------------------------------------------------------------------------------------------------------
# Weekly profiles


@dataclass
class Calendar:
    """Weeks of the simulation: week k covers days ``first + 7k`` .. ``first + 7k + 6``."""

    first: dt.date
    weeks: int

    @property
    def days(self) -> int:
        return self.weeks * WEEK_DAYS

    def week_starts(self) -> list[dt.date]:
        return [self.first + dt.timedelta(days=WEEK_DAYS * k) for k in range(self.weeks)]


def weekly_states(res: Resolved, cal: Calendar) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(active share of each week's days in force (W,), unknown share (W,), the state label of each week)."""
    st = res.state_by_day(cal.first, cal.days).reshape(cal.weeks, WEEK_DAYS)
    unknown = (st == "unknown").mean(axis=1)
    mode = res.shock.unknown_as
    active = (st == "in_force").astype(float)
    if mode == "in_force":
        active = active + (st == "unknown")
    active = active.mean(axis=1)
    labels = []
    for row in st:
        vals, counts = np.unique(row.astype(str), return_counts=True)
        labels.append(str(vals[np.argmax(counts)]))
    return active, unknown, labels


def licensed_share(since_days: np.ndarray, approval: np.ndarray, delay_days: np.ndarray, spread_days: np.ndarray,
                   pipeline_days: np.ndarray | float = 0.0) -> np.ndarray:
    """(D, T) share of the covered flow that ships ``since_days`` (T,) after the duty began.

    Applications arrive at a steady rate from the start; each is decided between ``delay`` and
    ``delay + spread`` days after it was filed (uniformly), and a share ``approval`` (D,) or (D, T) is
    approved; approved goods ship when decided (late, not cancelled), so the shipping rate is
    ``approval · F(since)`` with F the decision-time distribution (a ramp). Goods already in the pipeline ship
    for ``pipeline_days``. A negative ``since`` (before the duty) ships in full."""
    s = np.asarray(since_days, dtype=np.float32)[None, :]
    ramp = (s - np.asarray(delay_days, dtype=np.float32)[:, None]) / np.maximum(
        np.asarray(spread_days, dtype=np.float32), 1.0)[:, None]
    ramp = np.minimum(np.maximum(ramp, 0.0), 1.0)
    a = np.asarray(approval, dtype=np.float32)
    share = (a[:, None] if a.ndim == 1 else a) * ramp
    pipe = np.asarray(pipeline_days, dtype=np.float32)
    return np.where(s < (pipe[:, None] if pipe.ndim else pipe), np.float32(1.0), share)


def licence_cut(active_days: np.ndarray, since_days: np.ndarray, approval: np.ndarray, delay_days: np.ndarray,
                spread_days: np.ndarray, leakage: np.ndarray, pipeline_days: np.ndarray | float = 0.0) -> np.ndarray:
    """c[d, w]: share of the covered flow withheld in week w under a licence duty, ``since_days`` (W,) the days
    from the start of the current in-force period to mid-week: ``(1 − licensed_share) · active · (1 − leakage)``."""
    lic = licensed_share(since_days, approval, delay_days, spread_days, pipeline_days)
    c = (1.0 - lic) * np.asarray(active_days, dtype=np.float32)[None, :]
    return c * (1.0 - np.asarray(leakage, dtype=np.float32)[:, None])


class ChainRunFile(_Strict):
    """A chain scenario file: the shock plus how to run it (``critmin stress chain FILE``)."""

    name: str = "chain"
    title_en: str | None = None
    title_zh: str | None = None
    shock: ChainShock
    importers: list[str] = Field(default_factory=lambda: ["EU27"], min_length=1)
    year: int = Field(2024, ge=1995, le=2100)
    draws: int = Field(10_000, ge=1, le=1_000_000)
    seed: int | None = Field(0, ge=0, le=2**32 - 1)
    weeks: int = Field(52, ge=1, le=520)
    first_day: dt.date | None = None


def load_chain_run(path) -> ChainRunFile:
    """Read and validate a chain scenario file; errors name the file, the line and the field."""
    from critmin.datafile import read_yaml
    from critmin.stress.scenario import validation_error

    data = read_yaml(path, InputError, "a chain scenario file")
    if not isinstance(data, dict):
        raise InputError(str(path), None, None, "a YAML mapping with a 'shock' key", type(data).__name__)
    try:
        run = ChainRunFile.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, data, str(path)) from None
    _check_names(run.shock, str(path))
    return run
