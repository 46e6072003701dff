"""Helpers of the compliance tests: data paths and the defect patches."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

DATA = Path(__file__).parent / "data"
ALL_REGIMES = ["cn-export", "eu-csddd", "eu-crma-magnet", "eu-crma-risk", "eu-batteries", "eu-dpp"]
_SEG = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _parts(path: str):
    return [int(i) if i else n for n, i in _SEG.findall(path)]


def apply_patch(doc: dict, patch: dict) -> dict:
    """Apply {'set': {path: value}, 'delete': [path]} to a copy of ``doc``."""
    doc = copy.deepcopy(doc)
    for path, value in patch.get("set", {}).items():
        *head, last = _parts(path)
        node = doc
        for p in head:
            node = node[p]
        if isinstance(node, list) and last == len(node):
            node.append(value)
        else:
            node[last] = value
    for path in patch.get("delete", []):
        *head, last = _parts(path)
        node = doc
        for p in head:
            node = node[p]
        del node[last]
    return doc


def complete_doc_dict() -> dict:
    return json.loads((DATA / "complete.json").read_text(encoding="utf-8"))


def defect_files():
    return sorted((DATA / "defects").glob("*.json"))


# MAG-2026-007 of complete.json through a real ledger: 1750 kg virgin metal + 250 kg post-consumer scrap ->
# 12.5 % recycled overall and for Nd, Pr and B, 10/97.5 for Dy, none for Tb (the dossier claims 12.0, 12.5, 9.0, 0).
CUSTODY_EVENTS = [
    {"kind": "create_batch", "party": "sep", "batch": "MET-2025-019", "mass_kg": 1750, "stage": "metal",
     "origin_country": "CHN", "composition": {"Nd": 24.0, "Pr": 6.0, "Dy": 5.0, "Tb": 1.0, "B": 1.0, "Fe": 63.0}},
    {"kind": "recycle_in", "party": "sep", "batch": "SCR-2025-002", "mass_kg": 250, "source": "post_consumer",
     "origin_country": "DEU", "composition": {"Nd": 24.0, "Pr": 6.0, "Dy": 4.0, "Tb": 0.0, "B": 1.0, "Fe": 65.0}},
    {"kind": "transform", "party": "sep",
     "inputs": [{"batch": "MET-2025-019", "mass_kg": 1750}, {"batch": "SCR-2025-002", "mass_kg": 250}],
     "outputs": [{"batch": "MAG-2026-007", "mass_kg": 1800, "stage": "magnet", "origin_country": "CHN"}]},
]


def custody_ledger(path):
    """A ledger backing complete.json's batch (``check(..., ledger=...)`` recomputes the custody section from it)."""
    from critmin.compliance.ledger import Ledger

    led = Ledger.init(path)
    led.append_many(CUSTODY_EVENTS)
    return led


def verified_doc_dict(ledger) -> dict:
    """complete.json with its chain_of_custody section exported from ``ledger`` (as `ledger export --into` does)."""
    doc = complete_doc_dict()
    doc["chain_of_custody"] = ledger.export_evidence("MAG-2026-007").model_dump(mode="json", exclude_none=True)
    return doc
