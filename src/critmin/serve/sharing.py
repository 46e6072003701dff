"""The sharing agreement: which datasets each outside party (a ``partner`` token's ``party``) may read.

A YAML file (``<state>/sharing.yaml``, format in docs/serve.md)::

    agreement: "Joint risk assessment pilot (seed 002)"
    parties:
      jp-partner:
        title: "Partner ministry"
        datasets: [dependency, suppliers, crma, kb]
        importers: [JPN]          # optional: indicator queries only for these importers
        expires: 2027-12-31       # optional: nothing is shared after this day

Anything not granted is refused; a party not in the file sees nothing. The file is re-read when it changes.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from critmin.errors import InputError

# Every dataset the API serves, by the name an agreement grants; "public" ones are what anonymous mode opens.
DATASETS: dict[str, tuple[str, bool]] = {
    "dependency": ("import dependency and supplier concentration (HHI, top supplier share)", True),
    "suppliers": ("supplier shares per year", True),
    "crma": ("CRMA single-third-country benchmark check", True),
    "production": ("producer concentration (World Mining Data)", True),
    "reliance": ("net import reliance", True),
    "geopolrisk": ("GeoPolRisk score, characterisation factor, HHI", True),
    "alerts": ("stored monitor alerts and situations", False),
    "kb": ("knowledge base of cited measures and events", False),
    "incidents": ("incidents and their stages", False),
    "stress": ("stress-test and exercise runs", False),
    "discourse": ("discourse documents, scores and findings", False),
    "compliance": ("dossier compliance checks", False),
    "ledger": ("custody ledgers", False),
}
PUBLIC = frozenset(k for k, (_, public) in DATASETS.items() if public)


class SharingError(InputError):
    """The sharing agreement file fails validation."""


class Party(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = ""
    datasets: list[str] = Field(default_factory=list)
    importers: list[str] | None = None
    expires: dt.date | None = None


class Agreement(BaseModel):
    model_config = ConfigDict(extra="forbid")
    agreement: str = ""
    parties: dict[str, Party] = Field(default_factory=dict)

    def grants(self, party: str | None, dataset: str, today: dt.date | None = None) -> bool:
        p = self.parties.get(party or "")
        if p is None or dataset not in p.datasets:
            return False
        return p.expires is None or (today or dt.date.today()) <= p.expires

    def datasets_of(self, party: str | None) -> list[str]:
        return [d for d in DATASETS if self.grants(party, d)]

    def importers_of(self, party: str | None) -> list[str] | None:
        p = self.parties.get(party or "")
        return None if p is None or p.importers is None else [i.upper() for i in p.importers]


def parse(text: str, name: str) -> Agreement:
    from critmin.datafile import line_of, parse_data, validate

    data = parse_data(text, name, error=SharingError, expected="a sharing agreement (YAML)") or {}
    ag = validate(data, Agreement, name, error=SharingError)
    for pid, p in ag.parties.items():
        bad = [d for d in p.datasets if d not in DATASETS]
        if bad:
            raise SharingError(name, line_of(data, ["parties", pid, "datasets"]), f"parties.{pid}.datasets",
                               f"dataset names among {', '.join(DATASETS)}", ", ".join(bad))
    return ag


class AgreementFile:
    """The agreement at ``path`` (empty when the file does not exist), re-read when its mtime changes."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._cache: tuple[int, Agreement] | None = None

    def get(self) -> Agreement:
        try:
            mtime = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            return Agreement()
        if self._cache is None or self._cache[0] != mtime:
            self._cache = (mtime, parse(self.path.read_text(encoding="utf-8"), str(self.path)))
        return self._cache[1]
