"""The monitor's policy: how a situation's signals become a level, and how levels become a priority order.

One file (``monitor/data/priority.yaml``, or the user's own through ``--priority FILE``) holds every threshold and
weight with its source. A source containing ``ASSUMPTION`` marks a project choice; :func:`assumptions` lists
them so every output can say which numbers nobody published.

priority = level weight × materiality × criticality × novelty × user material weight, where
materiality = (1 + log10(max(imports, floor) / floor)) × (0.5 + 0.5 × stage share of the material's imports).
"""

from __future__ import annotations

import math
from functools import lru_cache
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from critmin.errors import InputError

LEVEL_ORDER = ("none", "blue", "yellow", "orange", "red")
LEVEL_RANK = {lv: i for i, lv in enumerate(LEVEL_ORDER)}


class PolicyError(InputError):
    """A priority file fails validation."""


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class _Sourced(_In):
    """A parameter group and where its numbers come from (ASSUMPTION... for a project choice)."""

    source: str


class Crma(_In):
    benchmark_pct: float = Field(gt=0, le=100)
    benchmark_source: str = ""  # from the catalog when benchmark_pct is {benchmark: <id>}
    watch_pct: float = Field(gt=0, le=100)
    watch_source: str
    importers: list[str]
    lists: list[str]


class Concentration(_Sourced):
    yellow_pct: float = Field(gt=0, le=100)
    orange_pct: float | None = Field(default=None, gt=0, le=100)

    @model_validator(mode="after")
    def _ordered(self):
        if self.orange_pct is not None and self.orange_pct <= self.yellow_pct:
            raise ValueError("orange_pct above yellow_pct")
        return self


class Control(_Sourced):
    red_share_pct: float = Field(gt=0, le=100)
    orange_share_pct: float = Field(gt=0, le=100)


class Signals(_Sourced):
    """Only a source: how signals combine is fixed in monitor/situations.py."""


class Staleness(_Sourced):
    medium_after_years: int = Field(ge=0)
    low_after_years: int = Field(ge=0)


class UnitValue(_Sourced):
    robust_z: float = Field(gt=0)
    min_factor: float = Field(ge=1)
    min_value_kusd: float = Field(ge=0)


class Levels(_In):
    crma: Crma
    concentration: Concentration
    control: Control
    signals: Signals
    floor_kusd: float = Field(ge=0)
    floor_source: str
    staleness: Staleness
    unit_value: UnitValue


class Criticality(_Sourced):
    own_list: float = Field(gt=0)
    other: float = Field(gt=0)


class Priority(_In):
    level: dict[str, float]
    level_source: str
    materiality_source: str
    criticality: Criticality
    own_lists: dict[str, list[str]]
    novelty: dict[str, float]
    novelty_source: str
    materials: dict[str, float] = Field(default_factory=dict)
    materials_source: str = ""

    @model_validator(mode="after")
    def _keys(self):
        missing = [lv for lv in LEVEL_ORDER if lv not in self.level]
        if missing:
            raise ValueError(f"a weight for every level ({', '.join(LEVEL_ORDER)}); missing {', '.join(missing)}")
        need = ("new", "escalated", "unchanged", "deescalated")
        if any(k not in self.novelty for k in need):
            raise ValueError(f"novelty weights for {', '.join(need)}")
        return self


class Watch(_In):
    material: str
    hs6: list[str] = Field(default_factory=list)
    note: str = ""


class Policy(_In):
    levels: Levels
    priority: Priority
    watchlist: list[Watch] = Field(default_factory=list)
    path: str = ""
    # set by the loader (whatever the file writes): parameter -> catalog benchmark id, for the ``*_pct`` levels
    # written ``{benchmark: <id>}``; a parameter missing here holds the file's own number
    from_benchmark: dict[str, str] = Field(default_factory=dict)


def builtin_path() -> Path:
    return Path(str(resources.files("critmin.monitor") / "data" / "priority.yaml"))


@lru_cache(maxsize=1)
def _builtin() -> Policy:
    return _load(builtin_path())


def _load(path: Path) -> Policy:
    from critmin.datafile import read_yaml, validate

    data = read_yaml(path, PolicyError, "a monitor priority file (see monitor/data/priority.yaml)")
    if not isinstance(data, dict):
        raise PolicyError(str(path), None, None, "a mapping with levels, priority and watchlist", type(data).__name__)
    refs = _benchmarks(data, str(path))
    data["path"], data["from_benchmark"] = str(path), refs
    return validate(data, Policy, str(path), error=PolicyError)


def _benchmarks(data: dict, file: str) -> dict[str, str]:
    """Replace each ``levels.<group>.<x>_pct: {benchmark: <id>}`` by the catalog benchmark in percent (in place,
    keeping the parsed lines for later errors); the CRMA group's ``benchmark_source`` becomes the benchmark's
    citation, and ``lists: {benchmark: <id>}`` the benchmark's scope. Returns parameter -> benchmark id."""
    from critmin.catalog import benchmark, benchmark_ref, benchmark_scope
    from critmin.datafile import line_of

    refs: dict[str, str] = {}
    levels = data.get("levels")
    for group, params in (levels.items() if isinstance(levels, dict) else ()):
        if not isinstance(params, dict):
            continue
        for name, v in list(params.items()):
            if name.endswith("_pct") and isinstance(v, dict):
                loc = ["levels", group, name]
                params[name], bid = benchmark_ref(v, "pct", error=PolicyError, file=file,
                                                  record=line_of(data, loc), field=".".join(loc))
                refs[".".join(loc)] = bid
                if group == "crma" and name == "benchmark_pct":
                    b = benchmark(bid)
                    params["benchmark_source"] = f"{b.citation} (catalog benchmark {bid}: {b.name_en})"
            elif name == "lists" and isinstance(v, dict):
                loc = ["levels", group, name]
                params[name] = benchmark_scope(v, error=PolicyError, file=file, record=line_of(data, loc),
                                               field=".".join(loc))
    return refs


def benchmark_pct(policy: Policy, parameter: str = "levels.crma.benchmark_pct") -> float | None:
    """The catalog benchmark (percent) that ``parameter`` reads in the bundled policy, when ``policy`` gives its
    own number there instead (a user's file); None when the parameter reads the benchmark itself."""
    if parameter in policy.from_benchmark:
        return None
    bid = _builtin().from_benchmark.get(parameter)
    if bid is None:
        return None
    from critmin.catalog import benchmark

    return benchmark(bid).pct


def load_policy(path: str | Path | None = None) -> Policy:
    """The bundled policy, or the user's file (refused with file, line and field when it does not validate)."""
    return _builtin() if path is None else _load(Path(path))


def assumptions(policy: Policy) -> list[dict[str, str]]:
    """Every parameter whose source is, or includes, an ASSUMPTION: ``{"parameter", "source"}`` rows for the outputs.

    Read off the policy itself: a group's ``source`` names the group (``levels.staleness``), an ``x_source`` field
    names its sibling parameter (``floor_source`` → ``levels.floor_kusd``), so a new group cannot be left out."""
    rows: list[dict[str, str]] = []

    def walk(model: BaseModel, path: str) -> None:
        names = list(type(model).model_fields)
        for name in names:
            value = getattr(model, name)
            if isinstance(value, BaseModel):
                walk(value, f"{path}.{name}")
            elif name == "source" or name.endswith("_source"):
                stem = name[: -len("_source")] if name != "source" else ""
                sib = [f for f in names if f != name and (f == stem or f.startswith(stem + "_"))] if stem else []
                param = path if not stem else f"{path}.{sib[0] if len(sib) == 1 else stem}"
                if "ASSUMPTION" in str(value).upper():  # also a partly assumed group (unit_value)
                    rows.append({"parameter": param, "source": value})

    walk(policy.levels, "levels")
    walk(policy.priority, "priority")
    return _own_numbers(policy) + rows


def _own_numbers(policy: Policy) -> list[dict[str, str]]:
    """Rows for the levels a user's file sets to its own number where the bundled policy reads a catalog
    benchmark: the figure is the user's, not the law's, and the outputs say so."""
    from critmin.catalog import benchmark

    rows = []
    for param, bid in (_builtin().from_benchmark.items() if policy.path != str(builtin_path()) else ()):
        if param in policy.from_benchmark:
            continue
        group, name = param.split(".")[1:]
        own = getattr(getattr(policy.levels, group), name)
        if own is None:
            continue
        b = benchmark(bid)
        rows.append({"parameter": param, "source": f"USER: {own:g} from {policy.path}, in place of the catalog "
                                                   f"benchmark {bid} ({b.pct:g} %, {b.citation})"})
    return rows


def materiality(imports_kusd: float, stage_share: float, floor_kusd: float) -> float:
    """1 at the floor, +1 per factor of ten above it; a stage that is a small part of the material weighs less."""
    floor = max(floor_kusd, 1e-9)
    v = imports_kusd if imports_kusd == imports_kusd and imports_kusd > 0 else 0.0
    share = stage_share if stage_share == stage_share else 1.0
    return (1.0 + math.log10(max(v, floor) / floor)) * (0.5 + 0.5 * min(max(share, 0.0), 1.0))


def score(policy: Policy, level: str, imports_kusd: float, stage_share: float, own_list: bool, novelty: str,
          material: str) -> float:
    """The priority score of one situation (higher first)."""
    pr = policy.priority
    crit = pr.criticality.own_list if own_list else pr.criticality.other
    return (pr.level[level] * materiality(imports_kusd, stage_share, policy.levels.floor_kusd) * crit
            * pr.novelty.get(novelty, 1.0) * pr.materials.get(material, 1.0))
