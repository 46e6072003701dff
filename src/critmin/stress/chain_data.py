"""The chain data file (``data/chains.yaml``): stages, element groups, conversion factors, end uses, stage
capacities, hub rule, market, licence, quota and stock parameters, each with its source and tag.

Why a file of its own: the chain model needs many uncertain numbers, and a reviewer must be able to see, for
each one, where it comes from. Every number is a :class:`Cited` value; one without a source must carry the tag
``ASSUMPTION``, and :meth:`Cited.label` is what outputs print next to it.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from critmin.errors import CatalogError
from critmin.stress.params import Param, describe, param_bounds

CHAINS = Path(__file__).parent / "data" / "chains.yaml"
Tag = Literal["C", "D", "K", "U", "ASSUMPTION"]
STAGE_ORDER = ("ore", "oxide", "metal", "magnet")
FORM_STAGE = {"ore": "ore", "concentrate": "ore", "oxide": "oxide", "compound": "oxide", "metal": "metal",
              "alloy": "metal", "magnet": "magnet"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, populate_by_name=True)


class Cited(_Strict):
    """A number (or distribution) with its source and tag. ``value`` may be the words ``rest`` (the remainder
    of a set of shares) or ``wmd`` (World Mining Data production)."""

    value: Param | Literal["rest", "wmd"]
    source: str | None = None
    tag: Tag
    stages: list[str] | None = None  # for state stockpiles: the stages they hold

    @model_validator(mode="after")
    def _sourced(self):
        if self.source is None and self.tag != "ASSUMPTION":
            raise ValueError("a value without a source must carry tag ASSUMPTION")
        return self

    @property
    def assumption(self) -> bool:
        return self.tag == "ASSUMPTION"

    def label(self) -> str:
        """What an output prints next to the value: 'ASSUMPTION' or '[tag] source'."""
        return "ASSUMPTION (no source)" if self.assumption else f"[{self.tag}] {self.source}"

    def text(self) -> str:
        return self.value if isinstance(self.value, str) else describe(self.value)

    def bounds(self) -> tuple[float, float]:
        if isinstance(self.value, str):
            raise ValueError(f"'{self.value}' has no numeric bounds")
        return param_bounds(self.value)


class Group(_Strict):
    name_en: str
    name_zh: str
    weights: dict[str, float]
    weights_source: str
    weights_tag: Tag

    @field_validator("weights")
    @classmethod
    def _sum(cls, v):
        s = sum(v.values())
        if not 0.99 <= s <= 1.01 or min(v.values()) < 0:
            raise ValueError(f"element weights must be >= 0 and sum to 1, got {s:g}")
        return v


class HsGroups(_Strict):
    """Share of one HS6 code's tonnage by element group (the rest is ``other``); ``other_elements`` overrides
    the element weights of ``other`` for this code (cerium compounds are all Ce)."""

    ndpr: Cited | None = None
    dytb: Cited | None = None
    other_elements: dict[str, float] | None = None


class Stage(_Strict):
    id: Literal["ore", "oxide", "metal", "magnet"]
    name_en: str
    name_zh: str
    catalog_stage: str
    forms: list[str]
    unit: str
    production: Literal["wmd"] | None = None
    groups: dict[str, Cited] = Field(default_factory=dict)  # ore: element-group shares of REO
    hs6_groups: dict[str, HsGroups] = Field(default_factory=dict)
    rare_earth_share_of_code: Cited | None = None


class Sector(_Strict):
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    name_en: str
    name_zh: str
    unit_en: str
    unit_zh: str
    share: Cited
    kg_magnet_per_unit: Cited


class CapacityEntry(_Strict):
    t_per_year: Cited
    groups: dict[str, float] = Field(default_factory=lambda: {"magnet": 1.0})
    note: str | None = None


class MagnetFallback(_Strict):
    CHN_exports_t_per_year: Cited
    destination_shares: dict[str, Cited]
    other_supplier_exports: dict[str, dict[str, float]]
    other_supplier_source: Cited


class Chain(_Strict):
    material: str
    title_en: str
    title_zh: str
    groups: dict[str, Group]
    stages: list[Stage]
    conversion: dict[str, dict[str, Cited]]
    lag_weeks: Cited
    sectors: list[Sector]
    terminal_use_en: dict[str, str]
    terminal_use_zh: dict[str, str]
    capacity: dict[str, dict[str, CapacityEntry]]
    magnet_fallback: MagnetFallback | None = None

    @model_validator(mode="after")
    def _checks(self):
        ids = [s.id for s in self.stages]
        if tuple(ids) != STAGE_ORDER[: len(ids)]:
            raise ValueError(f"stages must run {', '.join(STAGE_ORDER)} in this order, got {ids}")
        if sum(1 for s in self.sectors if s.share.value == "rest") != 1:
            raise ValueError("exactly one sector takes share 'rest'")
        return self

    def stage(self, sid: str) -> Stage:
        for s in self.stages:
            if s.id == sid:
                return s
        raise KeyError(sid)

    def goods(self, sid: str) -> list[str]:
        """The element groups carried at a stage (the magnet stage is one good)."""
        return ["magnet"] if sid == "magnet" else list(self.groups)


class Hubs(_Strict):
    import_ratio: Cited
    expected: list[str] = Field(default_factory=list)


class Market(_Strict):
    spare_share_of_capacity: Cited
    ramp_weeks: Cited
    growth_cap_per_year: Cited
    elasticity_demand: Cited
    elasticity_supply: Cited
    price_cap: Cited
    demand_reduction_lag_weeks: Cited
    substitution_ceiling_per_year: Cited
    substitution_lag_weeks: Cited
    recycling_ceiling: Cited
    recycling_lag_weeks: Cited


class Licence(_Strict):
    review_delay_days: Cited
    approval_share: Cited
    decision_spread_days: Cited
    leakage: Cited
    pipeline_days: Cited
    covered_share_of_magnets: Cited


class Quota(_Strict):
    utilisation: Cited
    leakage: Cited


class StockSpec(_Strict):
    state_days: Cited | None = None
    firm_weeks: dict[str, Cited] = Field(default_factory=dict)


class ChainFile(_Strict):
    chains: dict[str, Chain]
    hubs: Hubs
    market: Market
    licence: Licence
    quota: Quota
    stocks: dict[str, StockSpec]

    @model_validator(mode="after")
    def _default_stocks(self):
        d = self.stocks.get("default")
        if d is None or set(d.firm_weeks) != set(STAGE_ORDER) or d.state_days is None:
            raise ValueError("stocks.default needs state_days and firm_weeks for ore, oxide, metal and magnet")
        return self

    def chain(self, chain_id: str) -> Chain:
        if chain_id not in self.chains:
            from critmin.errors import UsageError

            raise UsageError(f"unknown chain '{chain_id}'; known: {', '.join(sorted(self.chains))}")
        return self.chains[chain_id]

    def stock(self, node: str, stage: str) -> tuple[Cited, Cited]:
        """(state stockpile days, firm inventory weeks) for a node at a stage: the node's own entry where it has
        one, else the default; a state stockpile only counts at the stages it lists."""
        own = self.stocks.get(node)
        default = self.stocks["default"]
        state = own.state_days if own is not None and own.state_days is not None else default.state_days
        if state.stages is not None and stage not in state.stages:
            state = Cited(value=0, source=f"the {node} stockpile is not held at the {stage} stage", tag="D")
        firm = (own.firm_weeks.get(stage) if own is not None else None) or default.firm_weeks[stage]
        return state, firm


@lru_cache(maxsize=4)
def load_chains(path: str | None = None) -> ChainFile:
    """The validated chain file; a broken entry raises CatalogError naming the file, the line and the field."""
    from critmin.stress.scenario import read_validated

    return read_validated(path or CHAINS, ChainFile, "a chain data file", CatalogError)[0]


def stage_capacities(chain: str = "ree_magnets", stage: str | None = None, path: str | None = None):
    """Capacities of refiners, metal makers and magnet makers by stage (t/yr of stage output) with their source
    and tag: the one list the chain model, incident stage 3 and tests read. Mines are not in it (the ore stage
    takes World Mining Data production)."""
    import pandas as pd

    ch = load_chains(path).chain(chain)
    rows = []
    for sid, entries in ch.capacity.items():
        if stage is not None and sid != stage:
            continue
        for iso, e in entries.items():
            lo, hi = e.t_per_year.bounds()
            rows.append({"iso3": iso, "stage": sid, "t_per_year_low": lo, "t_per_year_high": hi,
                         "t_per_year_mid": (lo + hi) / 2, "groups": dict(e.groups), "basis": f"{sid} capacity",
                         "source": e.t_per_year.label(), "tag": e.t_per_year.tag, "note": e.note})
    return pd.DataFrame(rows, columns=["iso3", "stage", "t_per_year_low", "t_per_year_high", "t_per_year_mid",
                                       "groups", "basis", "source", "tag", "note"])
