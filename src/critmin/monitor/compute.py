"""The monitor's computations: indicators for the chosen importers and materials, early-warning rules, and the
tables the report draws (no rendering here).

Flow (DESIGN.md): warehouse ──► indicators (dependency by stage on value and quantity bases, supplier shares,
CRMA check) ──► alerts (built-in rules, ``as_of`` the monitoring date) ──► report / alerts.json / incidents.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

DEFAULT_IMPORTERS = ("EU27", "USA", "JPN", "CHN")
# Critical-raw-material lists whose members (with trade codes in the warehouse) the monitor covers by default.
DEFAULT_LISTS = ("eu_2023_strategic", "eu_2023", "us_2022")
# Always covered (the named strategic materials), whatever the lists say.
CORE_MATERIALS = ("rare_earths", "cobalt", "lithium", "graphite", "germanium", "tungsten", "antimony", "vanadium",
                  "niobium", "manganese", "nickel", "copper", "platinum", "palladium")
ALERT_COLUMNS = ["id", "level", "rule_id", "rule_kind", "metric", "importer", "material", "stage", "hs6",
                 "supplier", "period", "value", "threshold", "comparison", "transition", "vintage",
                 "provenance_ids", "source", "cited_events", "control_events", "date_basis", "title_en", "title_zh"]


@dataclass
class MonitorData:
    """Everything the report shows, as data."""

    importers: list[str]
    materials: list[str]
    years: list[int]
    as_of: dt.date
    dependency: pd.DataFrame  # by stage, both bases (column basis)
    dependency_material: pd.DataFrame  # per material (all stages), value basis: the dependency charts
    suppliers: pd.DataFrame  # per material, latest year, value basis
    crma: pd.DataFrame  # EU27 CRMA check, latest year, chosen materials (breaches and not)
    alerts: list  # list[critmin.alerts.Alert], one per id
    alerts_table: pd.DataFrame  # ALERT_COLUMNS
    provenance: pd.DataFrame
    vintage: str
    timings: dict[str, float] = field(default_factory=dict)


def default_materials(warehouse=None) -> list[str]:
    """Materials on the EU 2023 (critical and strategic) and US 2022 lists that have HS6 codes in the warehouse,
    plus the core strategic set."""
    import critmin

    with critmin.open(warehouse) as wh:
        have = set(wh.sql("select distinct material_id from material_hs6").df()["material_id"])
        listed = set(wh.sql("select distinct material_id from critical_lists where list_id in ?",
                            [list(DEFAULT_LISTS)]).df()["material_id"].dropna())
    return sorted((listed | set(CORE_MATERIALS)) & have)


def parse_importers(spec: str | list[str] | None) -> list[str]:
    if spec is None:
        return list(DEFAULT_IMPORTERS)
    items = spec.split(",") if isinstance(spec, str) else spec
    out = [s.strip().upper() for s in items if s.strip()]
    if not out:
        from critmin.errors import UsageError

        raise UsageError("--importers: expected a comma-separated list such as EU27,USA,JPN,CHN")
    return list(dict.fromkeys(out))


def _dependency_all(importers: list[str], by: str, years: list[int], basis: str, warehouse) -> pd.DataFrame:
    """The indicator core's dependency table for countries and groups (queried separately: the core builds one
    union per call, and countries and groups are computed by different branches)."""
    import pandas as pd

    from critmin.catalog import load_catalog
    from critmin.indicators.dependency import dependency

    cat = load_catalog()
    groups = [i for i in importers if cat.is_group(i)]
    countries = [i for i in importers if i not in groups]
    parts = []
    for sel in ([*([",".join(countries)] if countries else []), *groups]):
        parts.append(dependency(sel, None, by=by, years=years, basis=basis, warehouse=warehouse))
    return pd.concat(parts, ignore_index=True)


def _suppliers_all(importers: list[str], year: int, warehouse) -> pd.DataFrame:
    import pandas as pd

    from critmin.catalog import load_catalog
    from critmin.indicators.dependency import suppliers

    cat = load_catalog()
    groups = [i for i in importers if cat.is_group(i)]
    countries = [i for i in importers if i not in groups]
    parts = [suppliers(sel, None, years=[year], basis="value", warehouse=warehouse)
             for sel in ([*([",".join(countries)] if countries else []), *groups])]
    return pd.concat(parts, ignore_index=True)


def trade_years(warehouse=None) -> list[int]:
    import critmin

    with critmin.open(warehouse) as wh:
        lo, hi = wh.sql("select min(year), max(year) from trade").fetchall()[0]
    return list(range(int(lo), int(hi) + 1))


def alerts_table(alerts: list, prov_by_year: dict[int, list[str]]) -> pd.DataFrame:
    """Flat table of alerts with the fields the report, alerts.csv/json and incidents use."""
    import pandas as pd

    from critmin.catalog import load_catalog

    cat = load_catalog()
    hs6_cache: dict[tuple[str, str], str] = {}

    def hs6(material: str, stage: str) -> str:
        key = (material, stage)
        if key not in hs6_cache:
            try:
                hs6_cache[key] = ",".join(cat.hs6_for(material, stage or None))
            except Exception:  # noqa: BLE001 - feed materials outside the catalog have no codes
                hs6_cache[key] = ""
        return hs6_cache[key]

    rows = []
    for a in alerts:
        events = a.extra.get("events") or []
        year = int(str(a.period)[:4]) if str(a.period)[:4].isdigit() else None
        rows.append({
            "id": a.id, "level": a.level, "rule_id": a.rule_id, "rule_kind": a.rule_kind, "metric": a.metric,
            "importer": a.importer, "material": a.material, "stage": a.stage, "hs6": hs6(a.material, a.stage),
            "supplier": a.supplier, "period": str(a.period), "value": float(a.value),
            "threshold": None if a.threshold is None else float(a.threshold), "comparison": a.comparison,
            "transition": a.transition, "vintage": a.vintage,
            "provenance_ids": ";".join(prov_by_year.get(year, [])) if a.source.startswith("indicators") else "",
            "source": a.source, "cited_events": ";".join(a.cited_events),
            "control_events": ";".join(f"{e['event_id']}@{e['event_date']}({e['change']},{e['basis']})"
                                       for e in events),
            "date_basis": "derived" if any(e.get("basis") == "derived" for e in events)
            else ("stated" if events else ""),
            "title_en": a.title_en, "title_zh": a.title_zh,
        })
    return pd.DataFrame(rows, columns=ALERT_COLUMNS)


def compute(importers=None, materials=None, years=None, as_of=None, warehouse=None, feed=None, rules=None,
            step=None) -> MonitorData:
    """Indicators, CRMA check and alerts for the monitor. ``step(name)`` is called before each stage (progress)."""
    import pandas as pd

    import critmin
    from critmin.alerts import evaluate, load_feed, load_rules, series_from_dependency
    from critmin.catalog import load_catalog
    from critmin.indicators.crma import crma_check
    from critmin.indicators.years import parse_years
    from critmin.kb.query import parse_day

    step = step or (lambda name: None)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    cat = load_catalog()
    importers = parse_importers(importers)
    for imp in importers:
        if not (cat.is_group(imp) or cat.is_country(imp)):
            from critmin.errors import UsageError

            raise UsageError(f"--importers: unknown importer '{imp}'; expected ISO3 codes or groups "
                             f"({', '.join(cat.groups)})")
    available = trade_years(warehouse)
    yrs = parse_years(years) if years else None
    yrs = sorted(yrs) if yrs else available[-10:]
    latest = max(y for y in yrs if y in available) if set(yrs) & set(available) else max(yrs)
    mats = sorted({cat.material(m).id for m in (materials.split(",") if isinstance(materials, str) else materials)}) \
        if materials else default_materials(warehouse)
    as_of_d = parse_day(str(as_of), "--as-of") if as_of else dt.date.today()

    with critmin.open(warehouse) as wh:
        prov = wh.provenance()
        py = wh.sql("select year, list(distinct provenance_id order by provenance_id) as ids from trade "
                    "group by year").df()
    prov_by_year = {int(r.year): list(r.ids) for r in py.itertuples()}
    trade_prov = prov[prov["table"] == "trade"]
    vintage = "; ".join(sorted(set(trade_prov["vintage"].astype(str)))) or "unknown"
    timings["setup_s"] = time.perf_counter() - t0

    step("dependency")
    t = time.perf_counter()
    deps = [_dependency_all(importers, "stage", yrs, b, warehouse) for b in ("value", "qty")]
    dep = pd.concat(deps, ignore_index=True)
    dep = dep[dep["material_id"].isin(mats)].reset_index(drop=True)
    dep_mat = _dependency_all(importers, "material", yrs, "value", warehouse)
    dep_mat = dep_mat[dep_mat["material_id"].isin(mats)].reset_index(drop=True)
    sup = _suppliers_all(importers, latest, warehouse)
    sup = sup[sup["material_id"].isin(mats)].reset_index(drop=True)
    timings["indicators_s"] = time.perf_counter() - t

    step("crma")
    t = time.perf_counter()
    crma = crma_check("EU27", years=yrs, materials=mats, warehouse=warehouse, only_breaches=False)
    crma = crma[crma["year"] == latest].reset_index(drop=True)
    timings["crma_s"] = time.perf_counter() - t

    step("alerts")
    t = time.perf_counter()
    series = pd.concat([series_from_dependency(dep[dep["basis"] == b], vintage=vintage) for b in ("value", "qty")],
                       ignore_index=True)
    if feed:
        series = pd.concat([series, load_feed(feed)], ignore_index=True)
    rule_set = load_rules(rules) if rules else load_rules()
    alerts = evaluate(rule_set, series, as_of=as_of_d, latest_only=True)
    # a series whose last year is older than the latest year (imports stopped) is history, not a warning
    alerts = [a for a in alerts if not str(a.period)[:4].isdigit() or int(str(a.period)[:4]) >= latest
              or not a.source.startswith("indicators")]
    table = alerts_table(alerts, prov_by_year)
    timings["alerts_s"] = time.perf_counter() - t

    return MonitorData(importers=importers, materials=mats, years=yrs, as_of=as_of_d, dependency=dep,
                       dependency_material=dep_mat, suppliers=sup, crma=crma, alerts=alerts, alerts_table=table,
                       provenance=prov, vintage=vintage, timings=timings)
