"""Scenario files (YAML) for the stress test, validated by pydantic; errors name the file and the field.

A scenario names the shock (supplier, material and stage, cut, targets, start and duration), the
baseline year, the importers to report and the parameters, each fixed or a distribution
(:mod:`critmin.stress.params`). See ``critmin/stress/scenarios/*.yaml`` for worked examples and
docs/stress.md for every field with its default and source.

Every number must be finite (a NaN cut passed ``0 <= cut <= 1`` and gave blank results) and in range: start
month and duration 1–120, horizon up to 240 months, seed 0–2**32-1, draws 1–10⁶ with draws × horizon months
at most 1.2·10⁷ (memory), fractions 0–1 and the other parameters within ``PARAM_RANGES``. Files are read by
:mod:`critmin.datafile`, so duplicate keys are refused and errors name the line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from critmin.errors import InputError
from critmin.stress.params import Param, Triangular, Uniform, param_bounds

MAX_MONTHS = 120  # start month and duration: ten years of monthly steps
MAX_SEED = 2**32 - 1  # numpy's SeedSequence takes non-negative integers
MAX_DRAWS = 1_000_000
MAX_DRAW_MONTHS = 12_000_000  # draws × horizon months: ~96 MB per (draws, months) array


def fraction(v: Param | None) -> Param | None:
    """A parameter that is a share: every value its distribution can take lies in [0, 1] (None passes)."""
    if v is None:
        return v
    lo, hi = param_bounds(v)
    if lo < 0 or hi > 1:
        raise ValueError("a fraction between 0 and 1 (every value the distribution can take)")
    return v


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)  # a NaN cut passes `0 <= cut <= 1`


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
    start_month: int = Field(1, ge=1, le=MAX_MONTHS)
    duration_months: int = Field(ge=1, le=MAX_MONTHS)

    _cut_range = field_validator("cut")(classmethod(lambda cls, v: fraction(v)))


class Baseline(_Strict):
    year: int = Field(ge=1995, le=2100)
    monthly_feed: str | None = None  # CSV: month (1-12), exporter, importer, qty_t


def _default(p):
    return Field(default_factory=lambda: p)


PARAM_RANGES = {  # every value a parameter's distribution can take lies in these bounds (docs/stress.md)
    "spare_share_of_headroom": (0, 1), "spare_share_of_exports": (0, 10), "ramp_months": (0, 240),
    "ramp_cap_per_year": (0, 10), "stock_days": (0, 3650), "substitution_ceiling": (0, 1),
    "substitution_lag_months": (0, 240), "recycling_ceiling": (0, 1), "recycling_lag_months": (0, 240),
    "elasticity_demand": (-10, 0), "elasticity_supply": (0, 10),
}


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

    @field_validator(*PARAM_RANGES)
    @classmethod
    def _range(cls, v, info):
        lo, hi = PARAM_RANGES[info.field_name]
        a, b = param_bounds(v)
        if a < lo or b > hi:
            raise ValueError(f"values in [{lo:g}, {hi:g}] (every value the distribution can take), "
                             f"not [{a:g}, {b:g}]")
        return v

    @field_validator("stock_days_by_importer")
    @classmethod
    def _stock_range(cls, v):
        for iso, p in v.items():
            a, b = param_bounds(p)
            if a < 0 or b > 3650:
                raise ValueError(f"{iso}: values in [0, 3650] days, not [{a:g}, {b:g}]")
        return v


class Scenario(_Strict):
    name: str = "scenario"
    title_en: str | None = None
    title_zh: str | None = None
    shock: Shock
    baseline: Baseline
    horizon_months: int | None = Field(None, ge=1, le=2 * MAX_MONTHS)
    importers: list[str] | None = None  # reported nodes; groups are merged into one node; None = top 10
    parameters: Parameters = Field(default_factory=Parameters)
    draws: int = Field(10_000, ge=1, le=MAX_DRAWS)
    seed: int | None = Field(0, ge=0, le=MAX_SEED)
    source_file: str | None = Field(None, exclude=True)

    @property
    def horizon(self) -> int:
        end = self.shock.start_month - 1 + self.shock.duration_months
        return max(self.horizon_months or end, end)


def run_size_problem(draws: int, seed: int | None, months: int) -> tuple[str, str, object] | None:
    """(field, expected, got) when draws or seed are out of range or draws × months would not fit in memory."""
    if not 1 <= draws <= MAX_DRAWS:
        return "draws", f"an integer from 1 to {MAX_DRAWS:,}", draws
    if draws * months > MAX_DRAW_MONTHS:
        return "draws", f"draws × horizon months at most {MAX_DRAW_MONTHS:,} (here at most " \
                        f"{MAX_DRAW_MONTHS // months:,} draws over {months} months)", draws
    if seed is not None and not 0 <= seed <= MAX_SEED:
        return "seed", f"an integer from 0 to {MAX_SEED} (2**32 - 1)", seed
    return None


_BRANCHES = ("float", "int", "uniform", "triangular", "normal", "Uniform", "Triangular", "Normal")


def _loc(err: dict) -> list:
    """The error's location without pydantic's union branch names (float, uniform, …)."""
    return [p for p in err["loc"] if not str(p).startswith(("function-", "tagged-union")) and p not in _BRANCHES]


def _field_of(err: dict) -> str:
    return ".".join(str(p) for p in _loc(err)) or "(file)"


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


def validation_error(exc: ValidationError, data: Any, file: str, error: type[InputError] = InputError) -> InputError:
    """pydantic's most useful error as ``error`` with the line (when ``data`` came from critmin.datafile), the
    field without union branch names, and 'expected …' in words."""
    from critmin.datafile import line_of

    err = _best_error(exc)
    expected = "a value (the field is required)" if err["type"] == "missing" else _expected(err["msg"])
    if err["type"] == "extra_forbidden":
        expected = "no such field (unknown key)"
    got = None if err["type"] == "missing" else err.get("input")
    return error(file, line_of(data, _loc(err)), _field_of(err), expected, got)


def read_validated(path: str | Path, model: type[BaseModel], what: str, error: type[InputError]) -> tuple[Any, Any]:
    """(validated ``model``, raw data) of a data file read by :mod:`critmin.datafile` (so duplicate keys and
    non-finite numbers are refused there); a broken entry raises ``error`` naming the file, line and field. The
    raw data is returned so that further checks can name their lines too."""
    from critmin.datafile import read_yaml

    p = str(path)
    data = read_yaml(p, error, what)
    try:
        return model.model_validate(data), data
    except ValidationError as exc:
        raise validation_error(exc, data, p, error) from None


def parse_scenario(data: Any, file: str = "<scenario>") -> Scenario:
    """Validate a scenario mapping; a failure raises InputError(file, line, field, expected, got), the line
    known when ``data`` came from :func:`critmin.datafile.parse_data`."""
    from critmin.datafile import line_of

    if not isinstance(data, dict):
        raise InputError(file, None, None, "a YAML mapping with keys shock, baseline, parameters", type(data).__name__)
    try:
        sc = Scenario.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, data, file) from None
    problem = run_size_problem(sc.draws, sc.seed, sc.horizon)
    if problem:
        raise InputError(file, line_of(data, [problem[0]]), *problem)
    sc.source_file = file
    return sc


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario YAML file (structure only; names are resolved by the catalog later).
    Duplicate keys and non-finite numbers are refused at their line by :mod:`critmin.datafile`."""
    from critmin.datafile import read_yaml

    return parse_scenario(read_yaml(path, InputError, "a scenario file"), str(path))
