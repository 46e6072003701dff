"""The published figures the backtests score against: China's 2025 magnet exports (press reports of China's
customs data) and the 2010–2012 anchors BACI does not hold (quotas, China's own export figures, the Japan halt,
prices).

Why a module of its own: both files are hand-collected, so every number must keep its source, and a level that
nobody published must come out of a stated derivation (e.g. a 2024 level from a 2025 level and its year-on-year
change), never out of the data file. Both files are read through :mod:`critmin.datafile`, so a broken entry
names file, line and field.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from critmin.errors import CatalogError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

DATA = Path(__file__).parent / "data"
MAGNETS_2025 = DATA / "backtest_2025_magnets.yaml"
ANCHORS_2010 = DATA / "backtest_2010_anchors.yaml"

_PERIOD = r"^\d{4}-(0[1-9]|1[0-2])(\.\.\d{4}-(0[1-9]|1[0-2]))?$"


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    title: str
    publisher: str
    via: str | None = None
    url: str = Field(pattern=r"^https?://")
    date: dt.date
    customs: bool | None = None


class Observation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    period: str = Field(pattern=_PERIOD)
    destination: str = Field(pattern=r"^([A-Z]{3}|WORLD)$")
    qty_t: float | None = Field(default=None, ge=0)
    yoy_pct: float | None = Field(default=None, gt=-100)
    mom_pct: float | None = Field(default=None, gt=-100)
    source: str

    @model_validator(mode="after")
    def _one_value(self):
        if self.qty_t is None and self.yoy_pct is None and self.mom_pct is None:
            raise ValueError("at least one of qty_t, yoy_pct, mom_pct")
        return self

    @property
    def months(self) -> tuple[str, str]:
        a, _, b = self.period.partition("..")
        return a, b or a


class MagnetFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    hs6: str = Field(pattern=r"^\d{6}$")
    unit: Literal["t"]
    measure: str
    sources: dict[str, Source]
    observations: list[Observation] = Field(min_length=1)


class Quota(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    year: int
    quota_t: float = Field(gt=0)
    tag: Literal["C", "D", "K", "U"]
    source: str


class Reported(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    period: str = Field(pattern=_PERIOD)
    qty_t: float = Field(ge=0)
    yoy_pct: float | None = Field(default=None, gt=-100)
    quota_share: float | None = Field(default=None, ge=0)
    tag: Literal["C", "D", "K", "U"]
    source: str


class Halt(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    destination: str = Field(pattern=r"^[A-Z]{3}$")
    start: dt.date = Field(alias="from")
    until: dt.date
    tag: Literal["C", "D", "K", "U"]
    source: str
    note: str | None = None

    @property
    def days(self) -> int:
        return (self.until - self.start).days + 1


class Price(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    element: str
    product: str
    from_date: str | int
    from_usd_kg: float = Field(gt=0)
    to_date: str | int
    to_usd_kg: float = Field(gt=0)
    tag: Literal["C", "D", "K", "U"]
    source: str

    @property
    def ratio(self) -> float:
        return self.to_usd_kg / self.from_usd_kg


class AnchorFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sources: dict[str, Source]
    quotas: list[Quota] = Field(min_length=1)
    china_reported: list[Reported]
    destination_halts: list[Halt]
    prices: list[Price] = Field(min_length=1)


def _load(path: Path | str, model, what: str):
    from critmin.datafile import line_of
    from critmin.stress.scenario import read_validated

    p = str(path)
    f, data = read_validated(p, model, what, CatalogError)
    for key in ("observations", "quotas", "china_reported", "destination_halts", "prices"):
        for k, row in enumerate(getattr(f, key, None) or []):
            if row.source not in f.sources:
                raise CatalogError(p, line_of(data, [key, k, "source"]), f"{key}.{k}.source",
                                   f"a key of 'sources' ({', '.join(sorted(f.sources))})", row.source)
    return f


@lru_cache(maxsize=4)
def load_magnets(path: str | None = None) -> MagnetFile:
    """The 2025 magnet-export figures, validated (every observation's source must be in ``sources``)."""
    f = _load(path or MAGNETS_2025, MagnetFile, "a file of published magnet-export figures")
    seen: dict[tuple, int] = {}
    for k, o in enumerate(f.observations):  # one fact, one place: the same value twice is refused
        for field in ("qty_t", "yoy_pct", "mom_pct"):
            if getattr(o, field) is None:
                continue
            key = (o.period, o.destination, field)
            if key in seen:
                raise CatalogError(str(path or MAGNETS_2025), None, f"observations.{k}.{field}",
                                   f"one {field} per period and destination (also observations.{seen[key]})",
                                   getattr(o, field))
            seen[key] = k
    return f


@lru_cache(maxsize=4)
def load_anchors(path: str | None = None) -> AnchorFile:
    """The 2010–2012 anchors (quotas, China-reported exports, halts, prices)."""
    return _load(path or ANCHORS_2010, AnchorFile, "a file of 2010-2012 backtest anchors")


def _prev_month(m: str) -> str:
    y, mo = int(m[:4]), int(m[5:7])
    return f"{y - 1}-12" if mo == 1 else f"{y}-{mo - 1:02d}"


def _year_before(m: str) -> str:
    return f"{int(m[:4]) - 1}{m[4:]}"


def magnet_table(path: str | None = None) -> pd.DataFrame:
    """One row per single month and destination with what is known and how.

    Columns: month, destination, qty_t (2025 level), qty_how, base_t (same month a year earlier), ratio
    (qty / base), ratio_how, sources. ``*_how`` says whether a value was reported or how it was derived
    (``reported yoy``, ``from mom of the next month``, ``from two levels``, ``from two year-to-date totals``
    — last year's month as the difference of two consecutive year-to-date totals each divided by
    1 + its year-on-year change). Cumulative periods are not rows here (see
    :func:`magnet_cumulative`). Missing stays NaN.
    """
    import numpy as np
    import pandas as pd

    f = load_magnets(path)
    obs: dict[tuple[str, str], dict] = {}
    src: dict[tuple[str, str], set] = {}
    for o in f.observations:
        a, b = o.months
        if a != b:
            continue
        d = obs.setdefault((a, o.destination), {})
        for field in ("qty_t", "yoy_pct", "mom_pct"):
            v = getattr(o, field)
            if v is not None:
                d[field] = v
        src.setdefault((a, o.destination), set()).add(o.source)
    rows = []
    keys = set(obs)
    # a level not reported but implied by the next month's level and its month-on-month change
    implied: dict[tuple[str, str], tuple[float, str, set]] = {}
    for (m, dest), d in obs.items():
        if "qty_t" in d and "mom_pct" in d:
            prev = (_prev_month(m), dest)
            if "qty_t" not in obs.get(prev, {}):
                implied[prev] = (d["qty_t"] / (1 + d["mom_pct"] / 100), "from mom of the next month",
                                 src[(m, dest)])
                keys.add(prev)
    for (m, dest), d in obs.items():  # a level implied by the previous month's level and this month's change
        if "qty_t" not in d and "mom_pct" in d and "qty_t" in obs.get((_prev_month(m), dest), {}):
            implied[(m, dest)] = (obs[(_prev_month(m), dest)]["qty_t"] * (1 + d["mom_pct"] / 100),
                                  "from mom and the previous month", src[(_prev_month(m), dest)])
    # last year's level of a month from two consecutive year-to-date totals and their year-on-year changes
    ytd: dict[tuple[str, str, str], tuple[float, str]] = {}
    for o in f.observations:
        a, b = o.months
        if a != b and a.endswith("-01") and o.qty_t is not None and o.yoy_pct is not None:
            ytd[(b, o.destination, a[:4])] = (o.qty_t / (1 + o.yoy_pct / 100), o.source)
    base_from_ytd: dict[tuple[str, str], tuple[float, set]] = {}
    for (b, dest, y), (prior, source) in ytd.items():
        before = ytd.get((_prev_month(b), dest, y))
        if before is not None and b[5:] != "01":
            base_from_ytd[(b, dest)] = (prior - before[0], {source, before[1]})
    for m, dest in sorted(keys):
        if m < "2025-01":
            continue
        d = obs.get((m, dest), {})
        qty, qhow = d.get("qty_t", np.nan), "reported" if "qty_t" in d else None
        if qhow is None and (m, dest) in implied:
            qty, qhow, _ = implied[(m, dest)]
        ratio, rhow = np.nan, None
        last = obs.get((_year_before(m), dest), {})
        from_ytd = base_from_ytd.get((m, dest))
        if "yoy_pct" in d:
            ratio, rhow = 1 + d["yoy_pct"] / 100, "reported yoy"
        elif "qty_t" in last and not np.isnan(qty):
            ratio, rhow = qty / last["qty_t"], "from two levels"
        elif from_ytd is not None and not np.isnan(qty):
            ratio, rhow = qty / from_ytd[0], "from two year-to-date totals"
        base = np.nan
        if "qty_t" in last:
            base = last["qty_t"]
        elif not np.isnan(qty) and not np.isnan(ratio):
            base = qty / ratio
        s = set(src.get((m, dest), set())) | set(src.get((_year_before(m), dest), set()))
        if rhow == "from two year-to-date totals":
            s |= from_ytd[1]
        if (m, dest) in implied:
            s |= implied[(m, dest)][2]
        rows.append({"month": m, "destination": dest, "qty_t": qty, "qty_how": qhow, "base_t": base,
                     "ratio": ratio, "ratio_how": rhow, "sources": ", ".join(sorted(s))})
    return pd.DataFrame(rows)


def magnet_cumulative(path: str | None = None) -> pd.DataFrame:
    """Cumulative (year-to-date) totals as reported: period, destination, qty_t, yoy_pct, source."""
    import pandas as pd

    f = load_magnets(path)
    return pd.DataFrame([{"period": o.period, "destination": o.destination, "qty_t": o.qty_t,
                          "yoy_pct": o.yoy_pct, "source": o.source}
                         for o in f.observations if o.months[0] != o.months[1]])


def source_of(key: str, path: str | None = None, *, anchors: bool = False) -> Source:
    f = load_anchors(path) if anchors else load_magnets(path)
    return f.sources[key]


def period_months(period: str) -> int:
    """Number of months a period covers (``2010-01..2010-11`` -> 11)."""
    m = re.match(r"^(\d{4})-(\d{2})(?:\.\.(\d{4})-(\d{2}))?$", period)
    if not m:
        raise ValueError(period)
    y1, m1 = int(m[1]), int(m[2])
    y2, m2 = (int(m[3]), int(m[4])) if m[3] else (y1, m1)
    return (y2 - y1) * 12 + m2 - m1 + 1
