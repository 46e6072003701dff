"""The cited material-intensity catalog (``data/intensities.yaml``) and production at risk.

Units at risk = shortfall (t) × 1000 / intensity (kg per unit): the downstream output the shortfall would stop
if it fell wholly on that sector — an upper bound, since the engine does not split a shortfall across end uses.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from critmin.errors import CatalogError
from critmin.stress.params import Param, param_bounds

INTENSITIES = Path(__file__).parent / "data" / "intensities.yaml"


class Sector(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
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


class IntensityFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sectors: list[Sector]


@lru_cache(maxsize=2)
def load_intensities(path: str | None = None) -> tuple[Sector, ...]:
    """Validated sectors; a broken entry raises CatalogError naming the file, the sector and the field."""
    import yaml

    p = Path(path) if path else INTENSITIES
    data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    try:
        f = IntensityFile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = list(err["loc"])
        record = None
        if len(loc) >= 2 and loc[0] == "sectors" and isinstance(loc[1], int):
            sid = (data.get("sectors") or [{}])[loc[1]].get("id") if isinstance(data.get("sectors"), list) else None
            record = f"sectors[{loc[1]}]" + (f" (id={sid})" if sid else "")
            loc = loc[2:]
        raise CatalogError(str(p), record, ".".join(map(str, loc)) or None, err["msg"], err.get("input")) from None
    for s in f.sectors:
        lo, _ = param_bounds(s.kg_per_unit)
        if lo <= 0:
            raise CatalogError(str(p), f"sectors (id={s.id})", "kg_per_unit", "a positive intensity", lo)
    return tuple(f.sectors)


def sectors_for(material: str, path: str | None = None) -> list[Sector]:
    return [s for s in load_intensities(path) if s.material == material]
