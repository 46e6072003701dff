"""China's rare-earth export-control announcements and their status over time (cited data in
``data/cn_export_controls.yaml``), e.g. which elements need a licence on a given shipment date.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from importlib import resources

from pydantic import BaseModel, ConfigDict, model_validator

from critmin.errors import CatalogError
from critmin.kb.models import StatusPeriod  # the one status-period model (kb owns measures' facts)

FILE = "compliance/data/cn_export_controls.yaml"


class Announcement(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    number: str
    title_en: str
    title_zh: str
    published: date
    scope_en: str
    scope_zh: str
    elements: list[str] = []
    forms: list[str] = []
    elements_source: str | None = None
    suspends: list[str] = []
    url: str
    seed: str
    status_periods: list[StatusPeriod]

    @model_validator(mode="after")
    def _periods_consecutive(self):
        ps = self.status_periods
        if not ps:
            raise ValueError("status_periods must not be empty")
        for a, b in zip(ps, ps[1:], strict=False):
            if a.to is None or a.to != b.from_:
                raise ValueError("status_periods must be consecutive (each 'to' equals the next 'from')")
        return self

    def status_on(self, day: date) -> str:
        """'in_force' | 'suspended' | 'unknown' | 'not_yet' on ``day``."""
        if day < self.status_periods[0].from_:
            return "not_yet"
        return next((p.status for p in self.status_periods if p.covers(day)), "unknown")


class AnnouncementsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    announcements: list[dict] = []  # each validated on its own, so an error can name the announcement's id


@lru_cache(maxsize=1)
def announcements() -> dict[str, Announcement]:
    from critmin.datafile import read_yaml

    path = resources.files("critmin") / FILE
    return announcements_from_data(read_yaml(str(path), CatalogError, "an export-control YAML file", name=FILE) or {})


def announcements_from_data(data: dict, file: str = FILE) -> dict[str, Announcement]:
    """Validate parsed announcement data; CatalogError names the file, the announcement id and the field."""
    from critmin.datafile import validate

    out: dict[str, Announcement] = {}
    for i, raw in enumerate(validate(data, AnnouncementsFile, file, error=CatalogError).announcements):
        key = raw.get("id", f"#{i}") if isinstance(raw, dict) else f"#{i}"
        try:
            ann = validate(raw, Announcement, file, error=CatalogError)
        except CatalogError as exc:  # the announcement's id is a better handle than the line alone
            raise CatalogError(file, key, exc.field, exc.expected, exc.got) from None
        if ann.id in out:
            raise CatalogError(file=file, record=ann.id, field="id", expected="a unique id", got=ann.id)
        out[ann.id] = ann
    for ann in out.values():
        for s in ann.suspends:
            if s not in out:
                raise CatalogError(file=file, record=ann.id, field="suspends", expected="known announcement ids", got=s)
    return out


def controlled_elements(day: date) -> dict[str, list[str]]:
    """Elements whose items need a Chinese export licence on ``day`` -> the announcements that say so.

    'unknown' status (after a recorded suspension ends) is treated as controlled: the cautious reading.
    """
    out: dict[str, list[str]] = {}
    for ann in announcements().values():
        if ann.status_on(day) in ("in_force", "unknown"):
            for el in ann.elements:
                out.setdefault(el, []).append(ann.id)
    return out


def controls_table(day: date):
    """One row per announcement with its status on ``day`` (DataFrame)."""
    import pandas as pd

    rows = []
    for ann in announcements().values():
        rows.append(
            {
                "id": ann.id,
                "number": ann.number,
                "published": ann.published.isoformat(),
                "elements": ",".join(ann.elements),
                "status": ann.status_on(day),
                "as_of": day.isoformat(),
                "title_en": ann.title_en,
                "title_zh": ann.title_zh,
                "url": ann.url,
            }
        )
    return pd.DataFrame(rows)
