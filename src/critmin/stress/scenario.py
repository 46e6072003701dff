"""Scenario files (YAML) for the stress test, validated by pydantic; errors name the file and the field.

A scenario names the shock (supplier, material and stage, cut, targets, start and duration), the
baseline year, the importers to report and the parameters, each fixed or a distribution
(:mod:`critmin.stress.params`). See ``critmin/stress/scenarios/*.yaml`` for worked examples and
docs/stress.md for every field with its default and source.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from critmin.errors import InputError
from critmin.stress.params import Param, Triangular, Uniform, param_bounds


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Targets(_Strict):
    """Which importers the supplier withholds from: every importer, only a list, or all except a list."""

    mode: Literal["all", "only", "except"] = "all"
    countries: list[str] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, v: Any) -> Any:
        if v is None or v == "all":
            return {"mode": "all"}
        if isinstance(v, str):
            return {"mode": "only", "countries": [v]}
        if isinstance(v, list):
            return {"mode": "only", "countries": v}
        if isinstance(v, dict) and "mode" not in v and len(v) == 1:
            (k, lst), = v.items()
            if k in ("only", "except", "all_except"):
                return {"mode": "except" if k == "all_except" else k, "countries": lst}
        return v

    @model_validator(mode="after")
    def _needs_list(self):
        if self.mode != "all" and not self.countries:
            raise ValueError(f"targets '{self.mode}' needs a non-empty list of countries")
        return self


class Shock(_Strict):
    supplier: str
    material: str
    stage: str | None = None
    hs6: list[str] | None = None  # explicit HS6 codes override material/stage resolution
    cut: Param
    targets: Targets = Field(default_factory=Targets)
    start_month: int = Field(1, ge=1)
    duration_months: int = Field(ge=1, le=120)

    @field_validator("cut")
    @classmethod
    def _cut_range(cls, v):
        lo, hi = param_bounds(v)
        if lo < 0 or hi > 1:
            raise ValueError("a fraction between 0 and 1 (every value the distribution can take)")
        return v


class Baseline(_Strict):
    year: int = Field(ge=1995, le=2100)
    monthly_feed: str | None = None  # CSV: month (1-12), exporter, importer, qty_t


def _default(p):
    return Field(default_factory=lambda: p)


class Parameters(_Strict):
    """Uncertain parameters (defaults with sources in docs/stress.md)."""

    spare_share_of_headroom: Param = _default(Uniform(dist="uniform", low=0.02, high=0.10))
    spare_share_of_exports: Param = _default(Uniform(dist="uniform", low=0.05, high=0.20))
    ramp_months: Param = _default(Triangular(dist="triangular", low=3, mode=6, high=12))
    ramp_cap_per_year: Param = 0.04
    allocation: Literal["ties", "shortfall"] = "ties"
    order: Literal["stock_first", "substitution_first"] = "stock_first"
    stock_days: Param = _default(Triangular(dist="triangular", low=30, mode=60, high=90))
    stock_days_by_importer: dict[str, Param] = Field(default_factory=dict)
    substitution_ceiling: Param = _default(Uniform(dist="uniform", low=0.05, high=0.10))
    substitution_lag_months: Param = _default(Uniform(dist="uniform", low=6, high=12))
    recycling_ceiling: Param = _default(Uniform(dist="uniform", low=0.0, high=0.02))
    recycling_lag_months: Param = _default(Uniform(dist="uniform", low=12, high=24))
    elasticity_demand: Param = _default(Uniform(dist="uniform", low=-0.3, high=-0.05))
    elasticity_supply: Param = _default(Uniform(dist="uniform", low=0.05, high=0.3))

    @model_validator(mode="after")
    def _ranges(self):
        checks = {
            "spare_share_of_headroom": (0, 1), "spare_share_of_exports": (0, 10), "ramp_months": (0, 240),
            "ramp_cap_per_year": (0, 10), "stock_days": (0, 3650), "substitution_ceiling": (0, 1),
            "substitution_lag_months": (0, 240), "recycling_ceiling": (0, 1), "recycling_lag_months": (0, 240),
            "elasticity_demand": (-10, 0), "elasticity_supply": (0, 10),
        }
        for name, (lo, hi) in checks.items():
            a, b = param_bounds(getattr(self, name))
            if a < lo or b > hi:
                raise ValueError(f"{name}: values must lie in [{lo}, {hi}], got [{a:g}, {b:g}]")
        for iso, p in self.stock_days_by_importer.items():
            a, b = param_bounds(p)
            if a < 0 or b > 3650:
                raise ValueError(f"stock_days_by_importer.{iso}: values must lie in [0, 3650]")
        return self


class Scenario(_Strict):
    name: str = "scenario"
    title_en: str | None = None
    title_zh: str | None = None
    shock: Shock
    baseline: Baseline
    horizon_months: int | None = Field(None, ge=1, le=240)
    importers: list[str] | None = None  # reported nodes; groups are merged into one node; None = top 10
    parameters: Parameters = Field(default_factory=Parameters)
    draws: int = Field(10_000, ge=1, le=2_000_000)
    seed: int | None = 0
    source_file: str | None = Field(None, exclude=True)

    @property
    def horizon(self) -> int:
        end = self.shock.start_month - 1 + self.shock.duration_months
        return max(self.horizon_months or end, end)


def _field_of(err: dict) -> str:
    loc = [str(p) for p in err["loc"] if not str(p).startswith(("function-", "tagged-union"))]
    # drop pydantic's union branch names (float, uniform, triangular, normal) from the path
    loc = [p for p in loc if p not in ("float", "uniform", "triangular", "normal", "Uniform", "Triangular", "Normal")]
    return ".".join(loc) or "(file)"


def _best_error(exc: ValidationError) -> dict:
    errs = exc.errors()
    # prefer 'missing' and value errors over union-branch noise
    for kind in ("missing", "value_error", "extra_forbidden"):
        for e in errs:
            if e["type"] == kind:
                return e
    return errs[0]


def _expected(msg: str) -> str:
    """pydantic's message as the 'expected' part of the error: 'Input should be >= 1' -> 'a value >= 1';
    a message that already says what was expected (an UsageError from the catalog) keeps only that part."""
    import re

    msg = msg.removeprefix("Value error, ")
    if msg.startswith("Input should be "):
        rest = msg.removeprefix("Input should be ")
        return rest if rest.startswith(("a ", "an ")) else f"a value {rest}" if rest[:1].islower() else rest
    m = re.search(r"; expected (.+)$", msg)
    return m.group(1) if m else msg


def parse_scenario(data: Any, file: str = "<scenario>") -> Scenario:
    """Validate a scenario mapping; a failure raises InputError(file, field, expected, got)."""
    if not isinstance(data, dict):
        raise InputError(file, None, None, "a YAML mapping with keys shock, baseline, parameters", type(data).__name__)
    try:
        sc = Scenario.model_validate(data)
    except ValidationError as exc:
        err = _best_error(exc)
        field = _field_of(err)
        expected = "a value (the field is required)" if err["type"] == "missing" else _expected(err["msg"])
        if err["type"] == "extra_forbidden":
            expected = "no such field (unknown key)"
        got = None if err["type"] == "missing" else err.get("input")
        raise InputError(file, None, field, expected, got) from None
    sc.source_file = file
    return sc


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario YAML file (structure only; names are resolved by the catalog later)."""
    import yaml

    from critmin.readtext import read_text

    path = Path(path)
    text = read_text(path, "a readable scenario file")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(str(path), (mark.line + 1) if mark else None, None, "valid YAML", str(exc)[:100]) from None
    return parse_scenario(data, str(path))
