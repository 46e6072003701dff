"""Pydantic models of the knowledge base: cited, dated entries about measures, controls, alliances,
agreements, projects, price mechanisms, lists, reports and events.

Each entry is one dated fact (or one instrument with its status history) carried from the seed texts
with a citation: the seed file name and the primary source the seed cites. Titles are our own words.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from critmin.catalog.models import Stage  # the trade stages: one vocabulary, in the catalog

Kind = Literal["measure", "export_control", "alliance", "membership", "agreement", "strategic_project",
               "price_mechanism", "list", "report", "event"]
KINDS = get_args(Kind)
# unknown: no record after the last dated change (e.g. when a suspension ends); check the issuer.
Status = Literal["in_force", "suspended", "expired", "proposed", "announced", "unknown"]
STATUSES = get_args(Status)
Precision = Literal["day", "month", "year"]
# stated: the seed says it; derived: computed from what the seed says (e.g. "one year" after a date);
# background: general knowledge not in the seed, kept to make an entry usable -- check before publishing.
Basis = Literal["stated", "derived", "background"]

SEEDS = (
    "000_6ac80ba27d7b0cbd.txt",
    "001_7ea4d59a8eff7c56.txt",
    "002_b15c8e6b3df51052.txt",
    "003_8056066a7d1cfcf7.txt",
    "004_72fc3aed0237e251.txt",
)

# critmin material ids the knowledge base may use: the catalog's ids (snake_case) plus two KB-only groups,
# "pgm" (platinum-group metals as a group, as sources report them) and "steel" (tariff measures).
MATERIAL_GROUPS = {"pgm": ("platinum", "palladium", "rhodium", "iridium", "ruthenium")}
MATERIALS = frozenset(
    {
        "aluminium", "antimony", "arsenic", "baryte", "bauxite", "beryllium", "bismuth", "boron", "cadmium",
        "cesium", "chromium", "cobalt", "coking_coal", "copper", "fluorspar", "gallium", "germanium", "gold",
        "graphite", "hafnium", "helium", "indium", "iridium", "iron", "lead", "lithium", "magnesium",
        "manganese", "molybdenum", "nickel", "niobium", "palladium", "phosphate", "phosphorus", "platinum",
        "rare_earths", "rhenium", "rhodium", "ruthenium", "scandium", "selenium", "silicon_metal", "silver",
        "strontium", "tantalum", "tellurium", "tin", "titanium", "tungsten", "uranium", "vanadium", "zinc",
        "zirconium", "pgm", "steel",
    }
)

# actors: ISO3 codes or group ids
GROUPS = frozenset({"EU", "EU27", "G7", "MSP", "IPEF", "ERGI", "WTO", "IEA", "CMPA", "OECD"})
ID_PATTERN = r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$"
ACTOR_PATTERN = r"^(?:[A-Z]{3}|EU|EU27|G7|MSP|IPEF|ERGI|WTO|IEA|CMPA|OECD|[A-Z][A-Z0-9_]{1,15})$"


class KbModel(BaseModel):
    """Strict, frozen base of every knowledge-base model (entries and measures alike)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True, allow_inf_nan=False)


# -- field checks shared by the entry and the measure models (one check per rule) -------------------------
def _known_seed(v: str | None) -> str | None:
    if v is not None and v not in SEEDS:
        raise ValueError(f"seed must be one of {', '.join(SEEDS)}")
    return v


def _known_materials(v: list[str]) -> list[str]:
    bad = [m for m in v if m not in MATERIALS]
    if bad:
        raise ValueError(f"unknown material id(s) {bad}; known: {sorted(MATERIALS)}")
    return v


#: A seed file name of the project (or none).
SeedName = Annotated[str | None, AfterValidator(_known_seed)]
#: critmin material ids the knowledge base knows (MATERIALS).
MaterialIds = Annotated[list[str], AfterValidator(_known_materials)]


class StatusPeriod(KbModel):
    """A status that holds from ``from`` (inclusive) to ``to`` (exclusive; open when missing)."""

    status: Status
    from_: dt.date = Field(alias="from")
    to: dt.date | None = None
    basis: Basis = "stated"
    note: str | None = None

    @model_validator(mode="after")
    def _order(self) -> StatusPeriod:
        if self.to is not None and self.to <= self.from_:
            raise ValueError(f"'to' ({self.to}) must be after 'from' ({self.from_})")
        return self

    def covers(self, day: dt.date) -> bool:
        return self.from_ <= day and (self.to is None or day < self.to)


class Party(KbModel):
    """A party to an agreement or a member of an alliance, with its join (and leave) date."""

    party: str = Field(pattern=ACTOR_PATTERN)
    joined: dt.date | None = None
    joined_precision: Precision = "day"
    left: dt.date | None = None
    role: str | None = None  # founder, lead, signatory, company, ...
    basis: Basis = "stated"
    note: str | None = None


class Amount(KbModel):
    """A figure: value with currency (ISO 4217) and/or unit (t, kg, project, pct, member, ...)."""

    value: float
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    unit: str | None = None
    label: str  # snake_case name of what is counted, e.g. funding_total, price_floor
    qualifier: Literal["=", ">", ">=", "<", "<=", "~"] = "="

    @field_validator("label")
    @classmethod
    def _snake(cls, v: str) -> str:
        import re

        if not re.fullmatch(r"[a-z][a-z0-9_]*", v):
            raise ValueError("label must be snake_case")
        return v


class Share(KbModel):
    """A supply share stated in a source: importer's supply of a material from a supplier."""

    importer: str = Field(pattern=ACTOR_PATTERN)
    material: str
    supplier: str = Field(pattern=ACTOR_PATTERN)
    share_pct: float = Field(ge=0, le=100)
    qualifier: Literal["=", ">", ">=", "<", "<=", "~"] = "="
    stage: Stage | None = None
    year: int | None = Field(default=None, ge=1900, le=2100)
    note: str | None = None

    @field_validator("material")
    @classmethod
    def _material(cls, v: str) -> str:
        if v not in MATERIALS:
            raise ValueError(f"unknown material id '{v}'")
        return v


class Citation(KbModel):
    """A source of an entry: a seed file and the primary source it cites, or (seed empty) a source read
    directly, with its address, locator and how well it was checked."""

    seed: SeedName = None
    primary: str  # title of the primary source (publisher, title)
    url: str | None = Field(default=None, pattern=r"^https?://\S+$")
    published: dt.date | None = None
    locator: str | None = None  # article / paragraph / page
    supports: str | None = None  # which facts of the entry this source supports
    verification: Literal["primary", "secondary", "unverified"] | None = None

    @model_validator(mode="after")
    def _traceable(self) -> Citation:
        if self.seed is None and self.url is None:
            raise ValueError("a citation without a seed needs a url")
        return self


class Entry(KbModel):
    id: str = Field(pattern=ID_PATTERN, max_length=80)
    kind: Kind
    actor: str = Field(pattern=ACTOR_PATTERN)
    title_en: str = Field(min_length=3)
    title_zh: str = Field(min_length=2)
    date: dt.date
    date_precision: Precision = "day"
    basis: Basis = "stated"
    status: list[StatusPeriod] = Field(default_factory=list)
    materials: MaterialIds = Field(default_factory=list)
    elements: list[str] = Field(default_factory=list)
    stages: list[Stage] = Field(default_factory=list)
    parties: list[Party] = Field(default_factory=list)
    amounts: list[Amount] = Field(default_factory=list)
    shares: list[Share] = Field(default_factory=list)
    related: list[str] = Field(default_factory=list)
    alliance: str | None = None  # for kind membership: the alliance entry id
    reference: str | None = None  # official number, e.g. "MOFCOM/GAC 2025 No. 18"
    # False for entries that relax rather than restrict (e.g. a decision suspending other controls)
    restricts: bool = True
    note_en: str | None = None
    note_zh: str | None = None
    citations: list[Citation] = Field(min_length=1)
    reviewed: dt.date | None = None  # the day the entry was last checked against its sources
    replaces: str | None = None  # user KB: the bundled id this entry replaces
    source_file: str = Field(default="", exclude=True)

    @model_validator(mode="after")
    def _checks(self) -> Entry:
        if self.date_precision == "month" and self.date.day != 1:
            raise ValueError("month precision needs the first day of the month")
        if self.date_precision == "year" and (self.date.month, self.date.day) != (1, 1):
            raise ValueError("year precision needs January 1")
        periods = sorted(self.status, key=lambda p: p.from_)
        for a, b in zip(periods, periods[1:], strict=False):
            if a.from_ == b.from_ or (a.to is not None and a.to > b.from_):
                raise ValueError(f"status periods overlap: {a.status} from {a.from_} and {b.status} from {b.from_}")
        if self.kind == "membership" and not self.alliance:
            raise ValueError("a membership entry needs 'alliance' (the alliance entry id)")
        return self

    # ---- derived views ----------------------------------------------------------------------
    def members_in(self, year: int) -> list[str]:
        """Parties that had joined by the end of ``year`` and had not left before it began."""
        end, start = dt.date(year, 12, 31), dt.date(year, 1, 1)
        out = []
        for p in self.parties:
            joined = p.joined or self.date
            if joined <= end and (p.left is None or p.left >= start):
                out.append(p.party)
        return out

    def cites(self) -> str:
        return "; ".join((f"{c.seed}: " if c.seed else "") + c.primary + (f" <{c.url}>" if c.url else "")
                         for c in self.citations)
