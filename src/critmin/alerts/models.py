"""Pydantic models of early-warning rules and alerts."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

LEVELS = ("blue", "yellow", "orange", "red")  # low -> high (PRC Emergency Response Law colours)
LEVEL_RANK = {lvl: i + 1 for i, lvl in enumerate(LEVELS)}
Level = Literal["blue", "yellow", "orange", "red"]
Comparison = Literal[">", ">=", "<", "<="]
SCOPE_FIELDS = ("importer", "material", "stage", "supplier")


def _expected(text: str) -> PydanticCustomError:
    """A validation error whose message is just what was expected (no 'Value error, ' prefix)."""
    return PydanticCustomError("rule_value", "{text}", {"text": text})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _UserInput(_Strict):
    """Models read from user files: a NaN or infinity passes every range check and silently turns alerts off."""

    model_config = ConfigDict(allow_inf_nan=False)


class Thresholds(_UserInput):
    """Threshold per level; a level may be left out. Strictly monotone in the rule's direction."""

    blue: float | None = None
    yellow: float | None = None
    orange: float | None = None
    red: float | None = None

    def items(self) -> list[tuple[str, float]]:
        return [(lvl, getattr(self, lvl)) for lvl in LEVELS if getattr(self, lvl) is not None]


class Scope(_Strict):
    """Which series a rule applies to; each field is '*' (any), one value, or a list of values.

    ``lists``: only materials on one of these catalog critical lists (a group such as PGMs counts for its
    members), so a rule bound to a law's material scope reads that scope where the catalog keeps it."""

    importer: str | list[str] = "*"
    material: str | list[str] = "*"
    stage: str | list[str] = "*"
    supplier: str | list[str] = "*"
    lists: list[str] = Field(default_factory=list)

    def allowed(self, name: str) -> list[str] | None:
        v = getattr(self, name)
        if v == "*" or v == ["*"]:
            return None
        return [v] if isinstance(v, str) else list(v)


class ChangePoint(_UserInput):
    """Offline change-point detection with ruptures (Truong, Oudre & Vayatis 2020).

    penalty: the PELT/Binseg penalty; when omitted, beta = penalty_factor * sigma^2 * ln(n) with sigma
    estimated from the median absolute first difference (Killick et al. 2012 style, methods_brief 5.3).
    """

    method: Literal["pelt", "binseg"] = "pelt"
    model: Literal["l2", "l1", "rbf", "normal"] = "l2"
    penalty: float | None = Field(default=None, gt=0)
    penalty_factor: float = Field(default=2.0, gt=0)
    n_bkps: int | None = Field(default=None, ge=1, le=1000)  # binseg only: fixed number of breaks, no penalty
    min_size: int = Field(default=3, ge=2, le=1000)
    min_shift_pct: float = Field(default=0.0, ge=0)  # ignore breaks whose mean shift is smaller
    level: Level = "blue"


class Standing(_UserInput):
    """How a level held over from the previous period is reported: ``step_down`` levels lower, unless the value
    moved at least ``min_change`` (rule units) the worse way since then. A breach that is years old and unchanged
    is known; what crossed or worsened this period keeps the full level."""

    step_down: int = Field(default=1, ge=1, le=3)
    min_change: float = Field(gt=0)
    source: str = ""


class Rule(_UserInput):
    id: str = Field(pattern=r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
    title_en: str
    title_zh: str
    kind: Literal["threshold", "changepoint", "control"] = "threshold"
    metric: str | list[str]
    unit: str = ""
    scope: Scope = Scope()
    comparison: Comparison = ">"
    thresholds: Thresholds = Thresholds()
    # levels whose threshold is a catalog benchmark (level -> benchmark id); set by the rule loader from
    # ``{benchmark: <id>}`` thresholds, whatever a file writes here
    from_benchmark: dict[Level, str] = Field(default_factory=dict)
    persistence: int = Field(default=1, ge=1, le=120)  # consecutive periods beyond a level's threshold to raise it
    hysteresis: float = Field(default=0.0, ge=0)  # margin beyond which a raised level clears
    clear: Thresholds | None = None  # explicit clearing thresholds per level (override hysteresis)
    normalise: Literal["reference"] | None = None  # compare value / reference (e.g. stock vs warning line)
    changepoint: ChangePoint | None = None
    standing: Standing | None = None  # threshold rules: report an unchanged, held-over level lower
    control_window_days: int = Field(default=366, ge=1, le=36600)  # control rules with as_of: look-back window
    cites: list[str] = Field(default_factory=list)  # knowledge-base entry ids behind the rule
    source: Literal["indicator", "feed"] = "indicator"
    rationale_en: str = ""
    rationale_zh: str = ""

    @property
    def metrics(self) -> list[str]:
        return [self.metric] if isinstance(self.metric, str) else list(self.metric)

    @property
    def higher_is_worse(self) -> bool:
        return self.comparison in (">", ">=")

    @field_validator("thresholds")
    @classmethod
    def _ordered(cls, v: Thresholds, info) -> Thresholds:
        """Each level stricter than the one below, else a level could never be reached (or never cleared)."""
        comparison = info.data.get("comparison", ">")
        items = v.items()
        rising = comparison in (">", ">=")
        if any((b <= a) if rising else (b >= a) for (_, a), (_, b) in zip(items, items[1:], strict=False)):
            got = ", ".join(f"{lvl} {x:g}" for lvl, x in items)
            raise _expected(f"thresholds strictly {'rising' if rising else 'falling'} from blue to red for "
                            f"comparison '{comparison}' (here {got})")
        return v

    @field_validator("clear")
    @classmethod
    def _clear_safe_side(cls, v: Thresholds | None, info) -> Thresholds | None:
        thresholds, comparison = info.data.get("thresholds"), info.data.get("comparison", ">")
        if v is None or thresholds is None:
            return v
        for lvl, c in v.items():
            thr = getattr(thresholds, lvl)
            if thr is None:
                raise _expected(f"clear.{lvl} only for a level that has a threshold (thresholds.{lvl} is not set)")
            if c > thr if comparison in (">", ">=") else c < thr:
                raise _expected(f"clear.{lvl} ({c:g}) on the safe side of thresholds.{lvl} ({thr:g})")
        return v

    @model_validator(mode="after")
    def _checks(self) -> Rule:
        if self.kind in ("threshold", "control") and not self.thresholds.items():
            raise ValueError("a threshold or control rule needs at least one level in 'thresholds'")
        if self.kind == "changepoint" and self.changepoint is None:
            raise ValueError("a changepoint rule needs a 'changepoint' block")
        return self

    def clear_threshold(self, level: str) -> float:
        thr = getattr(self.thresholds, level)
        if self.clear is not None and getattr(self.clear, level) is not None:
            return getattr(self.clear, level)
        return thr - self.hysteresis if self.higher_is_worse else thr + self.hysteresis


class Alert(_Strict):
    """One alert: the numbers, the rule, the data vintage and the cited knowledge-base events."""

    id: str
    rule_id: str
    rule_kind: str
    level: Level
    title_en: str
    title_zh: str
    metric: str
    importer: str = ""
    material: str = ""
    stage: str = ""
    supplier: str = ""
    period: str
    value: float
    threshold: float | None = None
    comparison: str = ""
    transition: Literal["new", "escalated", "deescalated", "continuing", "event"] = "new"
    vintage: str = ""
    source: str = ""
    cited_events: list[str] = Field(default_factory=list)
    extra: dict[str, Any] = Field(default_factory=dict)

    @field_validator("period", mode="before")
    @classmethod
    def _period(cls, v: Any) -> str:
        return str(v)

    @property
    def rank(self) -> int:
        return LEVEL_RANK[self.level]

    @property
    def scope(self) -> dict[str, str]:
        return {f: getattr(self, f) for f in SCOPE_FIELDS}
