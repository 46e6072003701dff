"""The cited inputs of the EU method that the warehouse does not hold, read and validated from
``criticality/data``: factors per material (EoL-RIR, SI_SR, SI_EI, with the assumption used where none is cited)
and the scores the Commission published (for comparison, and EI where the user accepts unverified values).

A broken file is refused with an :class:`~critmin.errors.InputError` naming the file, line and field.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

DATA_DIR = Path(__file__).parent / "data"
Status = Literal["verified", "unverified"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Assumption(_Strict):
    eol_rir: float = Field(ge=0, le=1)
    si_sr: float = Field(ge=0, le=1)
    wgi_missing_scaled: float = Field(ge=0, le=10)
    reason_en: str
    reason_zh: str


class Factor(_Strict):
    """One cited value of a material's factor (at a stage, from one assessment)."""

    material: str
    factor: Literal["eol_rir", "si_sr", "si_ei"]
    value: float = Field(ge=0, le=1)
    stage: Literal["extraction", "processing"] | None = None
    assessment_year: int
    status: Status
    source: str
    year: int
    locator: str


class FactorsFile(_Strict):
    assumption: Assumption
    factors: list[Factor]


class Score(_Strict):
    material: str
    label: str
    sr: float = Field(ge=0)
    ei: float = Field(ge=0)


class Assessment(_Strict):
    id: str
    year: int
    status: Status
    source: str
    url: str | None
    locator: str
    critical_list: str | None = None
    listed_without_thresholds: list[str] = Field(default_factory=list)
    also_covers: list[str] = Field(default_factory=list)
    scores: list[Score]

    @model_validator(mode="after")
    def _something(self):
        if not self.scores and not self.critical_list:
            raise ValueError(f"assessment '{self.id}' needs scores or a critical_list")
        return self


class PublishedFile(_Strict):
    assessments: list[Assessment]


def _load(name: str, model):
    from critmin.datafile import load_data

    return load_data(DATA_DIR / name, model, expected=f"the criticality data file {name}")


@lru_cache(maxsize=1)
def factors() -> FactorsFile:
    """``criticality/data/factors.yaml``, with every material id checked against the catalog."""
    f = _load("factors.yaml", FactorsFile)
    _check_materials(DATA_DIR / "factors.yaml", [x.material for x in f.factors])
    return f


@lru_cache(maxsize=1)
def published() -> dict[str, Assessment]:
    """``criticality/data/published.yaml`` by assessment id, material ids checked against the catalog."""
    f = _load("published.yaml", PublishedFile)
    for a in f.assessments:
        _check_materials(DATA_DIR / "published.yaml",
                         [s.material for s in a.scores] + list(a.listed_without_thresholds) + list(a.also_covers))
    return {a.id: a for a in f.assessments}


def _check_materials(path: Path, ids: list[str]) -> None:
    from critmin.catalog import load_catalog
    from critmin.errors import InputError

    known = load_catalog().materials
    bad = sorted({i for i in ids if i not in known})
    if bad:
        raise InputError(str(path), None, "material", "a material id of the catalog (materials.yaml)",
                         ", ".join(bad))


def factor_table(include_unverified: bool = False):
    """The cited factors as a DataFrame (material, factor, value, status, source ...), unverified ones only when
    asked for."""
    import pandas as pd

    rows = [x.model_dump() for x in factors().factors if include_unverified or x.status == "verified"]
    cols = list(Factor.model_fields)
    return pd.DataFrame(rows, columns=cols)


def published_scores(assessment: str | None = None, include_unverified: bool = True):
    """Published SR/EI per material (one row per published label), with the assessment's status and source."""
    import pandas as pd

    rows = []
    for a in published().values():
        if (assessment and a.id != assessment) or (a.status == "unverified" and not include_unverified):
            continue
        for s in a.scores:
            rows.append({"assessment": a.id, "assessment_year": a.year, "material_id": s.material,
                         "label": s.label, "sr_published": s.sr, "ei_published": s.ei, "status": a.status,
                         "source": a.source, "locator": a.locator})
    return pd.DataFrame(rows, columns=["assessment", "assessment_year", "material_id", "label", "sr_published",
                                       "ei_published", "status", "source", "locator"])
