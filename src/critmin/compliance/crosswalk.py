"""The equivalence matrix between two regimes: for every requirement of regime A, is it met, partly met
or not at all addressed (unique) by evidence regime B already demands? The reasoning is data
(``data/crosswalk.yaml``), validated against the rule packs on load.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict

from critmin.compliance.rules import REGIMES, Bilingual, load_pack, parse_regimes
from critmin.errors import CatalogError, UsageError

FILE = "compliance/data/crosswalk.yaml"
RELATIONS = ("met", "partial", "unique")


class Mapping(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    from_: str
    to: list[str]
    relation: Literal["met", "partial"]
    fields: list[list[str]] = []
    reason: Bilingual


def rule_regime() -> dict[str, str]:
    return {rule.id: regime for regime in REGIMES for rule in load_pack(regime).rules}


@lru_cache(maxsize=1)
def mappings() -> list[Mapping]:
    from critmin.datafile import read_yaml

    path = str(resources.files("critmin") / FILE)
    return mappings_from_data(read_yaml(path, CatalogError, "a crosswalk YAML file", name=FILE) or {})


def mappings_from_data(data: dict, file: str = FILE) -> list[Mapping]:
    """Validate parsed crosswalk data against the packs; CatalogError names the file and the mapping."""
    from critmin.datafile import validate

    src = file
    owner = rule_regime()
    out: list[Mapping] = []
    for i, raw in enumerate(data.get("mappings", [])):
        key = f"mappings[{i}]" + (f" ({raw.get('from')})" if isinstance(raw, dict) else "")
        if not isinstance(raw, dict):
            raise CatalogError(file=src, record=key, expected="a mapping", got=type(raw).__name__)
        try:
            m = validate({("from_" if k == "from" else k): v for k, v in raw.items()}, Mapping, src, error=CatalogError)
        except CatalogError as exc:  # name the mapping, not only the field
            raise CatalogError(src, key, exc.field, exc.expected, exc.got) from None
        unknown = [r for r in [m.from_, *m.to] if r not in owner]
        if unknown:
            raise CatalogError(file=src, record=key, field="from/to", expected="rule ids of the packs", got=unknown)
        targets = {owner[r] for r in m.to}
        if len(targets) != 1 or owner[m.from_] in targets:
            raise CatalogError(file=src, record=key, field="to", expected="rules of one other regime", got=m.to)
        if any(len(pair) != 2 for pair in m.fields):
            raise CatalogError(file=src, record=key, field="fields", expected="pairs [from_path, to_path]", got=m.fields)
        out.append(m)
    return out


def crosswalk(regime_a: str, regime_b: str, lang: str = "en"):
    """One row per requirement of ``regime_a``: relation to ``regime_b`` (met / partial / unique), the
    ``regime_b`` rules whose evidence covers it, the field pairs and the reason (DataFrame)."""
    import pandas as pd

    from critmin.i18n import t

    (a,) = parse_regimes([regime_a])
    (b,) = parse_regimes([regime_b])
    if a == b:
        raise UsageError("crosswalk needs two different regimes")
    owner = rule_regime()
    by_from: dict[str, list[Mapping]] = {}
    for m in mappings():
        if owner[m.to[0]] == b:
            by_from.setdefault(m.from_, []).append(m)
    rows = []
    for rule in load_pack(a).rules:
        ms = by_from.get(rule.id, [])
        relation = "met" if any(m.relation == "met" for m in ms) else ("partial" if ms else "unique")
        chosen = [m for m in ms if m.relation == relation] if ms else []
        rows.append(
            {
                "rule_id": rule.id,
                "severity": rule.severity,
                "relation": relation,
                "relation_label": t(f"compliance.relation.{relation}", lang),
                "covered_by": ",".join(r for m in chosen for r in m.to),
                "requirement": rule.text.in_(lang),
                "fields_a": ";".join(rule.field_paths()),
                "field_map": ";".join(f"{x}={y}" for m in chosen for x, y in m.fields),
                "reason": " ".join(m.reason.in_(lang) for m in chosen),
            }
        )
    return pd.DataFrame(rows)


def matrix(lang: str = "en"):
    """Counts of met / partial / unique for every ordered pair of regimes (DataFrame)."""
    import pandas as pd

    rows = []
    for a in REGIMES:
        for b in REGIMES:
            if a == b:
                continue
            df = crosswalk(a, b, lang)
            counts = df["relation"].value_counts()
            rows.append({"regime": a, "against": b, "rules": len(df), **{r: int(counts.get(r, 0)) for r in RELATIONS}})
    return pd.DataFrame(rows)
