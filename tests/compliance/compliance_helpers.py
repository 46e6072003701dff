"""Helpers of the compliance tests: data paths and the defect patches."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

DATA = Path(__file__).parent / "data"
ALL_REGIMES = ["cn-export", "eu-csddd", "eu-crma-magnet", "eu-dpp"]
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
