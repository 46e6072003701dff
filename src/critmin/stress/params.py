"""Uncertain parameters: a fixed value or a distribution, sampled as one NumPy array per parameter.

A scenario file writes a parameter either as a number (``cut: 0.4``) or as a mapping naming a
distribution::

    ramp_months: {dist: triangular, low: 6, mode: 12, high: 24}
    stock_days:  {dist: uniform, low: 30, high: 90}
    elasticity_demand: {dist: normal, mean: -0.15, sd: 0.05, low: -0.3, high: -0.02}

``normal`` is truncated to ``[low, high]`` by resampling the draws that fall outside (not by clipping,
which would pile probability mass on the bounds).
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Dist(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)  # a NaN bound passes every range check

    def bounds(self) -> tuple[float, float]:
        """The smallest and largest value a draw can take: every distribution here has fields ``low`` and
        ``high`` (a normal's are infinite unless given)."""
        return self.low, self.high  # type: ignore[attr-defined]


class Uniform(_Dist):
    dist: Literal["uniform"]
    low: float
    high: float

    @model_validator(mode="after")
    def _order(self):
        if self.high < self.low:
            raise ValueError("high must be >= low")
        return self

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, n)


class Triangular(_Dist):
    dist: Literal["triangular"]
    low: float
    mode: float
    high: float

    @model_validator(mode="after")
    def _order(self):
        if not (self.low <= self.mode <= self.high):
            raise ValueError("need low <= mode <= high")
        return self

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        if self.high == self.low:
            return np.full(n, self.low)
        return rng.triangular(self.low, self.mode, self.high, n)


class Normal(_Dist):
    dist: Literal["normal"]
    mean: float
    sd: float = Field(ge=0)
    low: float = -np.inf
    high: float = np.inf

    @model_validator(mode="after")
    def _order(self):
        if self.high < self.low:
            raise ValueError("high must be >= low")
        if not (self.low <= self.mean <= self.high):
            raise ValueError("mean within [low, high]")
        return self

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        x = rng.normal(self.mean, self.sd, n)
        bad = (x < self.low) | (x > self.high)
        for _ in range(200):  # loop over resampling rounds, never over draws
            k = int(bad.sum())
            if k == 0:
                return x
            x[bad] = rng.normal(self.mean, self.sd, k)
            bad = (x < self.low) | (x > self.high)
        # pathological bounds far in a tail: fall back to clipping the few stragglers
        return np.clip(x, self.low, self.high)


Dist = Annotated[Uniform | Triangular | Normal, Field(discriminator="dist")]
Param = float | Dist


def param_bounds(p: Param) -> tuple[float, float]:
    """The smallest and largest value a parameter can take."""
    if isinstance(p, int | float):
        return float(p), float(p)
    return p.bounds()


def sample(p: Param, rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` draws of parameter ``p`` (a constant array for a fixed value)."""
    if isinstance(p, int | float):
        return np.full(n, float(p))
    return np.asarray(p.sample(rng, n), dtype=float)


def describe(p: Param) -> str:
    """Short human text: '0.4' or 'uniform(30, 90)'."""
    if isinstance(p, int | float):
        return f"{p:g}"
    if isinstance(p, Uniform):
        return f"uniform({p.low:g}, {p.high:g})"
    if isinstance(p, Triangular):
        return f"triangular({p.low:g}, {p.mode:g}, {p.high:g})"
    return f"normal({p.mean:g}, {p.sd:g}; [{p.low:g}, {p.high:g}])"
