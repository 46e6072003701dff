"""Pydantic models of the catalog files. Validation errors become CatalogError naming the file and key."""

from __future__ import annotations

import re
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# Trade stages of a material's HS6 codes: the one vocabulary (kb, alerts, stress and the CLI import it).
# Custody stages of a shipment (mine, separation, ...) are another thing: critmin.compliance.model.CustodyStage.
Stage = Literal["ore_concentrate", "processed_refined", "metal", "compound", "manufactured", "scrap"]
STAGES: tuple[str, ...] = get_args(Stage)
STAGE_NAMES = {
    "ore_concentrate": ("ores and concentrates", "矿石与精矿"),
    "processed_refined": ("processed / refined", "加工与精炼品"),
    "metal": ("metal", "金属"),
    "compound": ("compounds", "化合物"),
    "manufactured": ("manufactured products (e.g. permanent magnets)", "制成品（如永磁体）"),
    "scrap": ("waste and scrap", "废碎料"),
}
# How much of an HS6 code's trade is the material: exact — the code is the material at that stage; broader — the
# code also holds other products (shares and values are upper bounds); shared — the code names several
# materials jointly (``shared_with``), so it cannot be split between them.
Coverage = Literal["exact", "broader", "shared"]
COVERAGES: tuple[str, ...] = get_args(Coverage)
# Whether flows that a later HS revision moved out of a code can be followed: material_total — every later code
# that took them is linked only to codes of the same material, so the material's total carries on; none — a
# later code mixes them with other products, so no series carries them alone.
Bridge = Literal["material_total", "none"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HsCode(_Strict):
    """One HS6 code of a material, with why it is mapped there (``reason``), how much of it is the material
    (``coverage``), and the years its series is live in the HS92 data (a code deleted or merged by a later HS
    revision stops carrying the flows: ``last_year``; readers leave it out after that year)."""

    hs6: str
    stage: Stage
    reason: str
    coverage: Coverage = "exact"
    shared_with: list[str] = Field(default_factory=list)
    first_year: int | None = None
    last_year: int | None = None
    description: str | None = None
    # the later-revision codes the bundled UNSD table links to this code ("HS17:811292"), and whether the flows
    # they took can be followed (``Bridge``); stated for every dead series, checked against the table by a test
    successors: list[str] = Field(default_factory=list)
    bridge: Bridge | None = None

    @model_validator(mode="after")
    def _shared(self):
        if (self.coverage == "shared") != bool(self.shared_with):
            raise ValueError("shared_with lists the other materials exactly when coverage is 'shared'")
        if self.last_year is not None and self.bridge is None:
            raise ValueError("a dead series (last_year) says whether it is bridged: bridge material_total or none")
        if bool(self.successors) != (self.bridge is not None):
            raise ValueError("successors (e.g. 'HS17:811292') are listed exactly when bridge is given")
        bad = [c for c in self.successors if not re.fullmatch(r"HS(96|02|07|12|17|22):\d{6}", c)]
        if bad:
            raise ValueError(f"successors as 'HS17:811292' (revision:code), got {', '.join(bad)}")
        if self.first_year and self.last_year and self.first_year > self.last_year:
            raise ValueError("first_year after last_year")
        return self

    def live(self, year: int) -> bool:
        return (self.first_year or 0) <= year <= (self.last_year or 9999)

    @field_validator("hs6")
    @classmethod
    def _six_digits(cls, v: str) -> str:
        if not re.fullmatch(r"\d{6}", v):
            raise ValueError("a six-digit HS code as a string, e.g. '284690'")
        return v


class Material(_Strict):
    id: str
    name_en: str
    name_zh: str
    wmd_commodity: str | None = None
    gpr_name: str | None = None
    hs: list[HsCode] = Field(default_factory=list)
    # a material group (e.g. pgms): its trade is its members' codes, it has none of its own
    members: list[str] = Field(default_factory=list)
    note: str | None = None

    @field_validator("id")
    @classmethod
    def _snake(cls, v: str) -> str:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", v):
            raise ValueError("a snake_case id")
        return v

    @model_validator(mode="after")
    def _group_has_no_codes(self):
        if self.members and self.hs:
            raise ValueError("a material group (members) carries its members' codes, not its own hs list")
        return self

    def hs6(self, stage: str | None = None) -> list[str]:
        """This material's own codes (a group's come from :meth:`critmin.catalog.Catalog.hs6_for`)."""
        return [h.hs6 for h in self.hs if stage is None or h.stage == stage]

    def name(self, lang: str = "en") -> str:
        return self.name_zh if lang == "zh" else self.name_en


class MaterialsFile(_Strict):
    source: str
    materials: list[Material]

    @model_validator(mode="after")
    def _unique(self):
        seen: set[str] = set()
        for m in self.materials:
            if m.id in seen:
                raise ValueError(f"material id '{m.id}' appears twice")
            seen.add(m.id)
        return self


ISO3 = Field(pattern=r"^[A-Z]{3}$", description="ISO 3166-1 alpha-3 code, upper case")


class GroupMember(_Strict):
    iso3: str = ISO3
    from_year: int | None = None
    to_year: int | None = None
    note: str | None = None


class Wave(_Strict):
    coco_column: str
    from_year: int


class Exit(_Strict):
    iso3: str = ISO3
    last_year: int


class Group(_Strict):
    id: str
    name_en: str
    name_zh: str
    kind: Literal["coco_fixed", "coco_accession", "eu_waves", "explicit"]
    coco_column: str | None = None
    valid_from: int | None = None
    valid_to: int | None = None
    waves: list[Wave] = Field(default_factory=list)
    exits: list[Exit] = Field(default_factory=list)
    members: list[GroupMember] = Field(default_factory=list)
    institutional_members: list[str] = Field(default_factory=list)
    citation: str

    @model_validator(mode="after")
    def _kind_fields(self):
        if self.kind in ("coco_fixed", "coco_accession") and not self.coco_column:
            raise ValueError(f"group '{self.id}': kind {self.kind} needs coco_column")
        if self.kind == "eu_waves" and not self.waves:
            raise ValueError(f"group '{self.id}': kind eu_waves needs waves")
        if self.kind == "explicit" and not self.members:
            raise ValueError(f"group '{self.id}': kind explicit needs members")
        return self


class GroupsFile(_Strict):
    groups: list[Group]


class ListItem(_Strict):
    name: str
    material: str | None


class CriticalList(_Strict):
    id: str
    name_en: str
    name_zh: str
    issuer: str
    date: str
    expected_count: int
    citation: str
    items: list[ListItem]

    @model_validator(mode="after")
    def _count(self):
        if len(self.items) != self.expected_count:
            raise ValueError(f"list '{self.id}' has {len(self.items)} items, expected {self.expected_count}")
        return self


class CriticalListsFile(_Strict):
    lists: list[CriticalList]


class Benchmark(_Strict):
    id: str
    name_en: str
    name_zh: str
    metric: str
    comparison: Literal["<", "<=", ">", ">="]
    value: float
    applies_to: str | None
    citation: str

    @model_validator(mode="after")
    def _share_is_fraction(self):
        if self.is_share and not 0 < self.value <= 1:
            raise ValueError(f"a share benchmark ({self.metric}) holds a fraction in (0, 1], e.g. 0.65")
        return self

    @property
    def is_share(self) -> bool:
        """A share benchmark holds a fraction (0.65); rules and the monitor compare percentages (65)."""
        return "share" in self.metric.split("_")

    @property
    def pct(self) -> float:
        """The value in percent for a share benchmark, rounded so 0.65 reads 65.0, not 65.00000000000001."""
        if not self.is_share:
            raise ValueError(f"benchmark {self.id} is not a share ({self.metric}); it has no percentage")
        return round(self.value * 100, 9)


class BenchmarksFile(_Strict):
    benchmarks: list[Benchmark]


class CountryCorrection(_Strict):
    m49: int
    iso3: str
    name_en: str
    name_zh: str
    reason: str


class CountryCorrectionsFile(_Strict):
    corrections: list[CountryCorrection]
