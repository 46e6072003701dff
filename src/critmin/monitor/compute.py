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

    from critmin.catalog.economies import Economy

DEFAULT_IMPORTERS = ("EU27", "USA", "JPN", "CHN")
# Critical-raw-material lists whose members (with trade codes in the warehouse) the monitor covers by default.
DEFAULT_LISTS = ("eu_2023_strategic", "eu_2023", "us_2022")
# Always covered (the named strategic materials), whatever the lists say.
CORE_MATERIALS = ("rare_earths", "cobalt", "lithium", "graphite", "germanium", "tungsten", "antimony", "vanadium",
                  "niobium", "manganese", "nickel", "copper", "platinum", "palladium")
ALERT_COLUMNS = ["id", "level", "rule_id", "rule_kind", "metric", "importer", "material", "stage", "hs6",
                 "supplier", "period", "value", "threshold", "comparison", "transition", "vintage",
                 "provenance_ids", "source", "cited_events", "control_events", "date_basis", "full_level", "level_note",
                 "title_en", "title_zh"]


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
    from critmin.warehouse.handle import using

    with using(warehouse) as wh:
        # codes with rows in the trade data (since issue 13 the catalog also lists codes the bundled subset lacks)
        have = set(wh.sql("""select distinct material_id from material_hs6
                              where hs6 in (select distinct hs6 from trade)""").df()["material_id"])
        listed = set(wh.sql("select distinct material_id from critical_lists where list_id in ?",
                            [list(DEFAULT_LISTS)]).df()["material_id"].dropna())
    return sorted((listed | set(CORE_MATERIALS)) & have)


def resolve_importers(spec: str | list[str] | None, catalog=None) -> list[Economy]:
    """The importers to monitor (the defaults when ``spec`` is None), resolved by the catalog's one resolver."""
    from critmin.catalog.economies import resolve

    return resolve(list(DEFAULT_IMPORTERS) if spec is None else spec, catalog, what="importer")


def importer_selections(importers: list[Economy]) -> list[str]:
    """Importer selections for the indicator core: the countries together, each group on its own (one union per
    call in the core; a group's members come from its economy)."""
    countries = [e.id for e in importers if not e.is_group]
    return [*([",".join(countries)] if countries else []), *(e.id for e in importers if e.is_group)]


def _dependency_all(importers: list[Economy], by: str, years: list[int], basis: str, warehouse) -> pd.DataFrame:
    import pandas as pd

    from critmin.indicators.dependency import dependency

    return pd.concat([dependency(sel, None, by=by, years=years, basis=basis, warehouse=warehouse)
                      for sel in importer_selections(importers)], ignore_index=True)


def _suppliers_all(importers: list[Economy], year: int, warehouse) -> pd.DataFrame:
    import pandas as pd

    from critmin.indicators.dependency import suppliers

    return pd.concat([suppliers(sel, None, years=[year], basis="value", warehouse=warehouse)
                      for sel in importer_selections(importers)], ignore_index=True)


def trade_years(warehouse=None) -> list[int]:
    """Every year from the first to the last of the trade table."""
    from critmin.warehouse.handle import using

    with using(warehouse) as wh:
        years = wh.trade_years()
    return list(range(years[0], years[-1] + 1))


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
            "full_level": a.extra.get("full_level", ""), "level_note": _level_note(a),
            "title_en": a.title_en, "title_zh": a.title_zh,
        })
    return pd.DataFrame(rows, columns=ALERT_COLUMNS)


def _level_note(a) -> str:
    """Why a rule with ``standing`` reports an alert below the level its value reaches (empty otherwise)."""
    if not a.extra.get("standing"):
        return ""
    return (f"{a.extra['full_level']} held over from the previous period (then {a.extra['previous_value']:.1f}) "
            f"and not materially worse: reported as {a.level} (ASSUMPTION: rule {a.rule_id}, 'standing')")


#: Change points this many years before the latest trade year or later reach the situations (as context).
RECENT_BREAK_YEARS = 5


def compute(importers=None, materials=None, years=None, as_of=None, warehouse=None, feed=None, rules=None,
            step=None, changepoint_floor_kusd: float = 0.0) -> MonitorData:
    """Indicators, CRMA check and alerts for the monitor. ``step(name)`` is called before each stage (progress).

    ``warehouse`` is the command's :class:`~critmin.warehouse.handle.Warehouse` (or a path / None, opened once
    here): every indicator, list and provenance query runs on that one handle.
    """
    from critmin.warehouse.handle import using

    economies = resolve_importers(importers)  # a misspelt importer is refused before the warehouse is touched
    with using(warehouse) as wh:
        return _compute(economies, materials, years, as_of, wh, feed, rules, step or (lambda name: None),
                        changepoint_floor_kusd)


def _recent_breaks(rules: list, series: pd.DataFrame, as_of, latest: int, floor_kusd: float) -> list:
    """Change-point alerts of the last RECENT_BREAK_YEARS years, on series whose importer × material × stage
    imported at least ``floor_kusd`` in the latest year. Evaluated on the whole history: a break can never sit
    on a series' last period (each segment has ``min_size`` periods), so the latest-only filter would drop them
    all."""
    from critmin.alerts import evaluate

    if not rules or series.empty:
        return []
    keys = ["importer", "material", "stage"]
    level = series[(series["metric"] == "import_value_kusd") & (series["period"] == str(latest))
                   & (series["value"] >= floor_kusd)][keys].drop_duplicates()
    sub = series.merge(level, on=keys, how="inner")
    found = evaluate(rules, sub, as_of=as_of, latest_only=False)
    return [a for a in found if str(a.period)[:4].isdigit() and int(str(a.period)[:4]) > latest - RECENT_BREAK_YEARS]


def _compute(economies: list[Economy], materials, years, as_of, wh, feed, rules, step,
             changepoint_floor_kusd: float = 0.0) -> MonitorData:
    import pandas as pd

    from critmin.alerts import evaluate, load_feed, load_rules, series_from_dependency
    from critmin.catalog import load_catalog
    from critmin.indicators.crma import crma_check
    from critmin.indicators.years import parse_years
    from critmin.kb.query import parse_day

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    cat = load_catalog()
    available = trade_years(wh)
    yrs = parse_years(years) if years else None
    yrs = sorted(yrs) if yrs else available[-10:]
    latest = max(y for y in yrs if y in available) if set(yrs) & set(available) else max(yrs)
    mats = sorted({cat.material(m).id for m in (materials.split(",") if isinstance(materials, str) else materials)}) \
        if materials else default_materials(wh)
    as_of_d = parse_day(str(as_of), "--as-of") if as_of else dt.date.today()

    prov = wh.provenance()
    py = wh.provenance_by_year()
    prov_by_year = {int(y): sorted(set(g["provenance_id"])) for y, g in py.groupby("year")}
    trade_prov = prov[prov["table"] == "trade"]
    vintage = "; ".join(sorted(set(trade_prov["vintage"].astype(str)))) or "unknown"
    timings["setup_s"] = time.perf_counter() - t0

    step("dependency")
    t = time.perf_counter()
    deps = [_dependency_all(economies, "stage", yrs, b, wh) for b in ("value", "qty")]
    dep = pd.concat(deps, ignore_index=True)
    dep = dep[dep["material_id"].isin(mats)].reset_index(drop=True)
    dep_mat = _dependency_all(economies, "material", yrs, "value", wh)
    dep_mat = dep_mat[dep_mat["material_id"].isin(mats)].reset_index(drop=True)
    sup = _suppliers_all(economies, latest, wh)
    sup = sup[sup["material_id"].isin(mats)].reset_index(drop=True)
    timings["indicators_s"] = time.perf_counter() - t

    step("crma")
    t = time.perf_counter()
    crma = crma_check("EU27", years=yrs, materials=mats, warehouse=wh, only_breaches=False)
    crma = crma[crma["year"] == latest].reset_index(drop=True)
    timings["crma_s"] = time.perf_counter() - t

    step("alerts")
    t = time.perf_counter()
    series = pd.concat([series_from_dependency(dep[dep["basis"] == b], vintage=vintage) for b in ("value", "qty")],
                       ignore_index=True)
    if feed:
        series = pd.concat([series, load_feed(feed)], ignore_index=True)
    rule_set = load_rules(rules) if rules else load_rules()
    breaks = [r for r in rule_set if r.kind == "changepoint" and r.source == "indicator"]
    alerts = evaluate([r for r in rule_set if r not in breaks], series, as_of=as_of_d, latest_only=True)
    recent = _recent_breaks(breaks, series, as_of_d, latest, changepoint_floor_kusd)
    # a series whose last year is older than the latest year (imports stopped) is history, not a warning
    alerts = [a for a in alerts if not str(a.period)[:4].isdigit() or int(str(a.period)[:4]) >= latest
              or not a.source.startswith("indicators")]
    alerts += recent
    table = alerts_table(alerts, prov_by_year)
    timings["alerts_s"] = time.perf_counter() - t

    return MonitorData(importers=[e.id for e in economies], materials=mats, years=yrs, as_of=as_of_d,
                       dependency=dep, dependency_material=dep_mat, suppliers=sup, crma=crma, alerts=alerts,
                       alerts_table=table, provenance=prov, vintage=vintage, timings=timings)
