"""The cited material-intensity catalog (``data/intensities.yaml``) and production at risk.

Units at risk = shortfall (t) × 1000 / intensity (kg per unit): the downstream output the shortfall would stop
if it fell wholly on that sector — an upper bound, since the engine does not split a shortfall across end uses.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from critmin.errors import CatalogError
from critmin.stress.params import Param, param_bounds

INTENSITIES = Path(__file__).parent / "data" / "intensities.yaml"


class Sector(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    id: str = Field(pattern=r"^[a-z0-9]+(?:_[a-z0-9]+)*$")
    material: str
    name_en: str
    name_zh: str
    unit_en: str
    unit_zh: str
    kg_per_unit: Param
    basis: str
    dy_tb_share_of_magnet: Param | None = None
    tag: Literal["C", "D", "K", "U"]
    sources: list[str] = Field(min_length=1)

    @field_validator("kg_per_unit")
    @classmethod
    def _positive(cls, v):
        lo, _ = param_bounds(v)
        if not lo > 0:
            raise ValueError(f"a positive intensity (every value the distribution can take), not {lo:g}")
        return v

    @field_validator("dy_tb_share_of_magnet")
    @classmethod
    def _fraction(cls, v):
        lo, hi = param_bounds(v) if v is not None else (0, 0)
        if lo < 0 or hi > 1:
            raise ValueError(f"a fraction between 0 and 1 (every value the distribution can take), not [{lo:g}, {hi:g}]")
        return v


class IntensityFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sectors: list[Sector]


@lru_cache(maxsize=2)
def load_intensities(path: str | None = None) -> tuple[Sector, ...]:
    """Validated sectors; a broken entry raises CatalogError naming the file, the line and the field. Read by
    critmin.datafile: duplicate keys and non-finite numbers are refused there; sector ids must be unique."""
    from critmin.datafile import line_of
    from critmin.stress.scenario import read_validated

    p = str(path or INTENSITIES)
    f, data = read_validated(p, IntensityFile, "a material-intensity catalog", CatalogError)
    first: dict[str, int] = {}
    for k, s in enumerate(f.sectors):
        if s.id in first:
            raise CatalogError(p, line_of(data, ["sectors", k, "id"]), f"sectors.{k}.id",
                               f"a sector id unique in the catalog (also sectors.{first[s.id]})", s.id)
        first[s.id] = k
    return tuple(f.sectors)


def sectors_for(material: str, path: str | None = None) -> list[Sector]:
    return [s for s in load_intensities(path) if s.material == material]
