"""The legal-measure model: an instrument (e.g. "MOFCOM/GAC 2025 No. 70") with the dates the law states,
its suspensions, and its scope at the level the law uses (scope items: goods, equipment or technology, with
elements, forms, HS6 codes and control-list numbers, destinations and end users).

Why a separate model from :class:`critmin.kb.models.Entry`: an event needs one date, a measure needs the
legal-state semantics (announced, effective, suspended, ended, never in force, unknown after a date) that
:mod:`critmin.kb.state` derives in one place. Facts only; no state is stored.

Date conventions (all inclusive): ``effective`` is the first day the measure binds; ``ends`` the last day;
a suspension covers ``from``..``until`` both included (the texts say "自即日起至2026年11月10日"); after
``unknown_after`` no primary source in hand says what holds, so the state is ``unknown``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, Field, field_validator, model_validator

from .models import ID_PATTERN, KbModel, MaterialIds, Precision, SeedName

ItemKind = Literal["goods", "equipment", "technology"]
Verification = Literal["primary", "secondary", "unverified"]
Effect = Literal["restricts", "relaxes"]
# forms the texts use; "product" is a finished good (e.g. a battery), "foreign_product" one made abroad
FORMS = ("ore", "concentrate", "metal", "alloy", "oxide", "compound", "magnet", "target", "powder", "wire",
         "semi_finished", "anode_material", "cathode_material", "battery", "synthetic", "product",
         "foreign_product", "any")
Form = Literal[FORMS]  # type: ignore[valid-type]
ITEM_KINDS = get_args(ItemKind)

# chemical symbol -> critmin material id (the catalog's ids); rare-earth elements fold into rare_earths
_REE = ("La", "Ce", "Pr", "Nd", "Pm", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm", "Yb", "Lu", "Sc", "Y")
ELEMENT_MATERIAL = {
    **{s: "rare_earths" for s in _REE},
    "Ga": "gallium", "Ge": "germanium", "Sb": "antimony", "W": "tungsten", "Te": "tellurium", "Bi": "bismuth",
    "Mo": "molybdenum", "In": "indium", "C": "graphite", "Li": "lithium", "Co": "cobalt", "Ni": "nickel",
    "Mn": "manganese", "Cu": "copper", "Nb": "niobium", "Ta": "tantalum", "Ti": "titanium", "V": "vanadium",
    "Mg": "magnesium", "Be": "beryllium", "Hf": "hafnium", "Zr": "zirconium", "Re": "rhenium", "Se": "selenium",
}
ACTOR = r"^(?:[A-Z]{3}|\*)$"  # ISO3, or "*" for every destination


def _actors(v: list[str]) -> list[str]:
    import re

    bad = [d for d in v if not re.fullmatch(ACTOR, d)]
    if bad:
        raise ValueError(f"destinations are ISO3 codes or '*', got {bad}")
    return v


#: Destination economies: ISO3 codes, or '*' for every destination.
Destinations = Annotated[list[str], AfterValidator(_actors)]


class Source(KbModel):
    """Where a fact comes from and how well it was checked.

    primary: the issuer's own text was read (or quoted in full by the cited page); secondary: a report that
    quotes or paraphrases the text (news agency, law firm); unverified: carried from a seed or earlier KB
    version without a check against any text."""

    url: str | None = Field(default=None, pattern=r"^https?://\S+$")
    title: str = Field(min_length=3)
    locator: str | None = None  # article / paragraph / annex, e.g. "art. 1(1)-(2); annex 1"
    supports: str = Field(min_length=3)  # which facts this source supports
    verification: Verification
    seed: SeedName = None
    published: dt.date | None = None


class Suspension(KbModel):
    """``from``..``until`` (both inclusive) the measure (or only the listed scope items) does not apply."""

    from_: dt.date = Field(alias="from")
    until: dt.date
    by: str = Field(pattern=ID_PATTERN)  # the suspending measure's id
    items: list[str] = Field(default_factory=list)  # scope item ids; empty = the whole measure
    note: str | None = None

    @model_validator(mode="after")
    def _order(self) -> Suspension:
        if self.until < self.from_:
            raise ValueError(f"'until' ({self.until}) is before 'from' ({self.from_})")
        return self


class ScopeItem(KbModel):
    """One controlled thing, at the level the law names it.

    ``effective``/``unknown_after`` override the measure's own (No. 61: clauses (1)-(2) start later)."""

    id: str = Field(pattern=r"^[a-z0-9_.-]+$")
    kind: ItemKind
    title_en: str = Field(min_length=3)
    title_zh: str | None = None
    elements: list[str] = Field(default_factory=list)  # chemical symbols
    materials: MaterialIds = Field(default_factory=list)  # critmin material ids not named by an element
    forms: list[Form] = Field(default_factory=list)  # type: ignore[valid-type]
    hs6: list[str] = Field(default_factory=list)
    control_list: list[str] = Field(default_factory=list)  # e.g. 1C902.a
    destinations: Destinations = Field(default_factory=list, json_schema_extra={"pattern": ACTOR})  # empty: measure's
    end_users: list[str] = Field(default_factory=list)  # e.g. military; empty: any end user
    # who exports: from inside the issuing jurisdiction, or abroad (No. 61: foreign re-exports/products)
    exporters: Literal["in_jurisdiction", "abroad"] = "in_jurisdiction"
    effective: dt.date | None = None
    unknown_after: dt.date | None = None
    locator: str | None = None
    verification: Verification = "unverified"  # how the scope (elements, HS6) was checked
    note: str | None = None

    @field_validator("elements")
    @classmethod
    def _elements(cls, v: list[str]) -> list[str]:
        bad = [e for e in v if e not in ELEMENT_MATERIAL]
        if bad:
            raise ValueError(f"unknown element symbol(s) {bad}; known: {sorted(ELEMENT_MATERIAL)}")
        return v

    @field_validator("hs6")
    @classmethod
    def _hs6(cls, v: list[str]) -> list[str]:
        import re

        bad = [h for h in v if not re.fullmatch(r"\d{6}", str(h))]
        if bad:
            raise ValueError(f"HS6 codes must be six digits, got {bad}")
        return v

    def material_ids(self) -> list[str]:
        """The critmin material ids this item names (elements mapped, explicit materials added)."""
        return list(dict.fromkeys([*(ELEMENT_MATERIAL[e] for e in self.elements), *self.materials]))


class Exemption(KbModel):
    """An exemption or general licence the text provides."""

    text_en: str = Field(min_length=3)
    text_zh: str | None = None
    locator: str | None = None


class Measure(KbModel):
    """A legal measure with its dates, suspensions and scope (see the module docstring for date rules)."""

    id: str = Field(pattern=ID_PATTERN, max_length=80)
    kind: Literal["export_control"] = "export_control"
    jurisdiction: str = Field(pattern=r"^[A-Z]{3}$")  # whose law (CHN)
    issuer: str = Field(min_length=2)  # e.g. MOFCOM/GAC
    instrument: str = Field(min_length=3)  # e.g. "MOFCOM/GAC 2025 No. 70"
    title_en: str = Field(min_length=3)
    title_zh: str = Field(min_length=2)
    effect: Effect = "restricts"
    announced: dt.date
    announced_precision: Precision = "day"
    effective: dt.date | None = None  # None: not known
    effective_precision: Precision = "day"
    ends: dt.date | None = None  # last day in force (repealed, lapsed)
    ends_precision: Precision = "day"
    suspensions: list[Suspension] = Field(default_factory=list)
    unknown_after: dt.date | None = None
    suspends: list[str] = Field(default_factory=list)  # for a relaxing measure: the ids it suspends
    scope: list[ScopeItem] = Field(default_factory=list)
    destinations: Destinations = Field(default_factory=lambda: ["*"])
    operators: list[str] = Field(default_factory=list)  # who the duty binds, e.g. exporters in China
    exemptions: list[Exemption] = Field(default_factory=list)
    related: list[str] = Field(default_factory=list)
    note_en: str | None = None
    note_zh: str | None = None
    sources: list[Source] = Field(min_length=1)
    reviewed: dt.date | None = None  # the day every fact was last checked against its sources
    replaces: str | None = None  # user KB: the bundled id this record replaces
    source_file: str = Field(default="", exclude=True)

    @model_validator(mode="after")
    def _checks(self) -> Measure:
        if self.effective is not None and self.effective < self.announced:
            raise ValueError(f"effective ({self.effective}) is before announced ({self.announced})")
        if self.ends is not None and self.ends < self.announced:
            raise ValueError(f"ends ({self.ends}) is before announced ({self.announced})")
        ids = [i.id for i in self.scope]
        if len(ids) != len(set(ids)):
            raise ValueError(f"scope item ids repeat: {ids}")
        for s in self.suspensions:
            bad = [i for i in s.items if i not in ids]
            if bad:
                raise ValueError(f"suspension by {s.by} names unknown scope item(s) {bad}")
            if s.from_ < self.announced:
                raise ValueError(f"suspension by {s.by} starts ({s.from_}) before the measure is announced")
        spans = sorted((s.from_, s.until, tuple(s.items)) for s in self.suspensions)
        for a, b in zip(spans, spans[1:], strict=False):
            if b[0] <= a[1] and (not a[2] or not b[2] or set(a[2]) & set(b[2])):
                raise ValueError(f"suspensions overlap: {a[0]}..{a[1]} and {b[0]}..{b[1]}")
        if self.effect == "relaxes" and not self.suspends:
            raise ValueError("a relaxing measure lists the ids it suspends in 'suspends'")
        return self

    # ---- the listing view shared with Entry (events, timeline, citations) ------------------------
    @property
    def actor(self) -> str:
        return self.jurisdiction

    @property
    def date(self) -> dt.date:
        return self.announced

    @property
    def date_precision(self) -> str:
        return self.announced_precision

    @property
    def reference(self) -> str:
        return self.instrument

    @property
    def materials(self) -> list[str]:
        return list(dict.fromkeys(m for i in self.scope for m in i.material_ids()))

    @property
    def elements(self) -> list[str]:
        return list(dict.fromkeys(e for i in self.scope for e in i.elements))

    @property
    def stages(self) -> list[str]:
        return []

    @property
    def parties(self) -> list:
        return []

    @property
    def shares(self) -> list:
        return []

    @property
    def restricts(self) -> bool:
        return self.effect == "restricts"

    @property
    def verification(self) -> Verification:
        """The best verification among the sources (primary > secondary > unverified)."""
        order = {"primary": 0, "secondary": 1, "unverified": 2}
        return min((s.verification for s in self.sources), key=order.__getitem__)

    @property
    def basis(self) -> str:
        """Entry-compatible basis: 'stated' when a primary or secondary source was checked, else 'background'."""
        return "background" if self.verification == "unverified" else "stated"

    def item(self, item_id: str) -> ScopeItem:
        for i in self.scope:
            if i.id == item_id:
                return i
        raise KeyError(f"{self.id} has no scope item '{item_id}'")

    def cites(self) -> str:
        return "; ".join(f"{s.title}" + (f" <{s.url}>" if s.url else "") + f" [{s.verification}]"
                         for s in self.sources)
