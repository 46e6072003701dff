"""The three stages of an incident, each a function from the alert (and the earlier stages) to plain data.

1. fact check — the data points behind the alert recomputed with the indicator core (and the raw trade rows
   summed, :func:`critmin.indicators.suppliers.flow_totals`), with the provenance ids the indicator row carries
   and their vintages, compared with the alert's value through the metric registry
   (:mod:`critmin.indicators.metrics`); the knowledge-base entries the alert cites, with their sources.
2. impact assessment — the stress-test engine run for the alert's shock (supplier, material, stage; a modest
   default cut over twelve months, fixed seed), saved under its run id: affected importers, shortfalls, stock-out
   months and downstream sectors.
3. transition arrangements — alternative suppliers by stage with capacity (:mod:`critmin.incidents.alternatives`:
   the chain model's refiners, metal and magnet makers where a chain covers the material, without the shock's
   source, re-export hubs or economies hit by the same shock); stock cover from the stress run; seed 002's
   transition measures (:mod:`critmin.incidents.process`); the arrangements that follow.

Economies (the alert's importer, the supplier, the importers reported) resolve through
:mod:`critmin.catalog.economies`; every function takes the command's warehouse handle (or a path) and returns
JSON-ready dicts (stored in the warehouse as they are).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING, Any

from critmin.incidents.kbentry import kb_entry

if TYPE_CHECKING:  # pragma: no cover
    from critmin.alerts import Alert

DEFAULT_CUT = 0.4
DEFAULT_MONTHS = 12
DEFAULT_DRAWS = 2000
DEFAULT_SEED = 0
REPORTED_IMPORTERS = ("EU27", "USA", "JPN", "CHN", "KOR", "IND")
TOLERANCE = 1e-6  # relative: recomputed value vs the alert's


def _clean(v: Any) -> Any:
    """JSON-safe plain values (NaN / inf -> None, numpy scalars -> Python)."""
    if hasattr(v, "item") and not isinstance(v, (list, dict, str)):
        v = v.item()
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    return v


def records(df) -> list[dict[str, Any]]:
    """JSON-ready rows of a DataFrame (what every stage stores and an incident's history shows)."""
    return [{k: _clean(v) for k, v in r.items()} for r in df.to_dict(orient="records")]


def _year(alert: Alert) -> int | None:
    p = str(alert.period)
    return int(p[:4]) if p[:4].isdigit() else None


def _hs6(material: str, stage: str | None) -> list[str]:
    from critmin.catalog import load_catalog

    try:
        return load_catalog().hs6_for(material, stage or None)
    except Exception:  # noqa: BLE001 - feed alerts may name materials without trade codes
        return []


def metric_value(metric: str, row: dict[str, Any], supplier_share: float | None) -> float | None:
    """The alert metric's value from a dependency row, read through the registry both directions share; a
    supplier-share metric takes the share of the alert's supplier (``china_share`` is China's)."""
    from critmin.indicators.metrics import metric as lookup

    m = lookup(metric)
    if m is None:
        return None
    if m.supplier == "controlling":
        return None if supplier_share is None else supplier_share * m.scale
    return m.value(row)


def fact_check(alert: Alert, as_of: dt.date | str | None = None, warehouse=None) -> dict[str, Any]:
    """Stage 1: re-query the data behind the alert and cite its knowledge-base entries."""
    from critmin.kb import controls_on, load_kb
    from critmin.warehouse.handle import using

    as_of = dt.date.fromisoformat(str(as_of)) if as_of else dt.date.today()
    year = _year(alert)
    out: dict[str, Any] = {"as_of": as_of.isoformat(), "metric": alert.metric, "alert_value": alert.value,
                           "threshold": alert.threshold, "comparison": alert.comparison, "period": alert.period}
    stage = alert.stage or None
    hs6 = _hs6(alert.material, stage)
    out["hs6"] = hs6
    from_indicators = alert.source.startswith("indicators") and year is not None and hs6
    if from_indicators:
        from critmin.catalog.economies import resolve_one
        from critmin.indicators.dependency import dependency, suppliers
        from critmin.indicators.metrics import metric
        from critmin.indicators.provenance import split
        from critmin.indicators.suppliers import flow_totals

        m = metric(alert.metric)
        basis = m.basis if m else "value"
        econ = resolve_one(alert.importer, what="importer")
        with using(warehouse) as wh:
            dep = dependency([econ], alert.material, stage=stage, years=[year - 1, year], basis=basis, warehouse=wh)
            rows = dep[dep["year"] == year]
            row = {k: _clean(v) for k, v in rows.iloc[0].to_dict().items()} if not rows.empty else {}
            sup = suppliers([econ], alert.material, stage=stage, years=[year], basis=basis, warehouse=wh)
            supplier = alert.supplier or row.get("top1_supplier") or ""
            totals = flow_totals(econ, hs6, year, supplier or None, warehouse=wh)
            ids = split(row.get("provenance_ids"))
            prov = wh.sql("""select provenance_id, source, "table", vintage, licence, url, sha256
                             from provenance where list_contains(?, provenance_id)""", [ids]).df()
        top = sup.head(5)
        s_share = sup.loc[sup["supplier"] == supplier, "share"]
        supplier_share = float(s_share.iloc[0]) if len(s_share) else (0.0 if supplier else None)
        recomputed = metric_value(alert.metric, row, supplier_share)
        verified = (recomputed is not None and math.isclose(recomputed, alert.value, rel_tol=TOLERANCE,
                                                            abs_tol=1e-9))
        out.update({
            "basis": basis, "supplier": supplier, "indicator_row": row, "supplier_share": supplier_share,
            "recomputed_value": recomputed, "verified": verified,
            "top_suppliers": records(top[["supplier", "share", *[c for c in ("imports_kusd", "imports_t")
                                                                    if c in top.columns]]]),
        })
        members = econ.members(year)
        where = (f"year {year}, hs6 {', '.join(hs6)}, importer {econ.id}"
                 + (f" (members {', '.join(members)}; partners outside them)" if econ.is_group else ""))
        out["trade_rows"] = {
            "where": where, **{k: _clean(totals[k]) for k in ("n_rows", "value_kusd", "qty_t")},
            "provenance_ids": ids,
            "supplier_rows": {k: _clean(v) for k, v in totals["supplier_rows"].items()},
        }
        out["provenance"] = records(prov)
    else:
        out.update({"basis": None, "supplier": alert.supplier, "verified": None, "recomputed_value": None,
                    "note": f"value reported by {alert.source or 'a feed'} (vintage {alert.vintage or 'n/a'}); "
                            "not recomputable from the warehouse"})
        if not alert.supplier and hs6:
            out.update(top_supplier(alert, hs6, warehouse))
    out["vintage"] = alert.vintage
    out["kb_entries"] = [kb_entry(i, as_of) for i in alert.cited_events]
    events = alert.extra.get("events") or []
    out["control_events"] = events
    out["rests_on_derived_date"] = any(e.get("basis") == "derived" for e in events)
    supplier = out.get("supplier") or alert.supplier
    out["active_controls"] = []
    if supplier and alert.material:  # controls in force on the day whose goods items match the flow's HS6
        kb = load_kb()
        hits = controls_on(as_of, material=alert.material, hs6=hs6 or None, jurisdiction=supplier,
                           exporter=supplier, states=("in_force",), kb=kb)
        for mid in dict.fromkeys(h.measure_id for h in hits):
            e = kb.entries[mid]
            out["active_controls"].append({"id": e.id, "date": e.date.isoformat(), "title_en": e.title_en,
                                           "title_zh": e.title_zh, "reference": e.reference,
                                           "items": [h.item_id for h in hits if h.measure_id == mid]})
    return out


def top_supplier(alert: Alert, hs6: list[str], warehouse=None) -> dict[str, Any]:
    """The shock's source when the alert names none (a strategic-stock or a core-firm alert): the importer's
    largest supplier of the alert's codes by quantity in the latest trade year, recorded with how it was found.
    Without it stage 3 would rank that very supplier first as an alternative."""
    from critmin.catalog.economies import resolve_one
    from critmin.errors import UsageError
    from critmin.indicators.dependency import suppliers
    from critmin.warehouse.handle import using

    try:
        econ = resolve_one(alert.importer, what="importer")
    except UsageError:
        return {}
    with using(warehouse) as wh:
        year = min(_year(alert) or wh.trade_years()[-1], wh.trade_years()[-1])
        try:
            sup = suppliers([econ], hs6=hs6, years=[year], basis="qty", warehouse=wh)
        except UsageError:
            return {}
    if sup.empty:
        return {}
    top = sup.iloc[0]
    return {"supplier": str(top["supplier"]), "supplier_inferred": {
        "year": year, "share_qty": _clean(top["share"]), "hs6": hs6,
        "note": f"the alert names no supplier: {top['supplier']} is {econ.id}'s largest supplier of HS "
                f"{', '.join(hs6)} by quantity in {year} ({float(top['share']) * 100:.0f} %)"}}


def impact_assessment(alert: Alert, fact: dict[str, Any], warehouse=None, cut: float = DEFAULT_CUT,
                      months: int = DEFAULT_MONTHS, draws: int = DEFAULT_DRAWS, seed: int = DEFAULT_SEED,
                      importers: list[str] | None = None, save: bool = True) -> dict[str, Any]:
    """Stage 2: the stress engine for the alert's shock; returns the run id and what it found."""
    from critmin.catalog.economies import resolve, resolve_one
    from critmin.indicators.suppliers import importers_with_imports
    from critmin.stress import quick_scenario, run
    from critmin.warehouse.handle import using

    supplier = fact.get("supplier") or alert.supplier
    stage = alert.stage or None
    hs6 = fact.get("hs6") or _hs6(alert.material, stage)
    with using(warehouse, read_only=not save, command="incident") as wh:
        years = wh.trade_years()
        year = min(_year(alert) or years[-1], years[-1])
        out: dict[str, Any] = {"shock": {"supplier": supplier, "material": alert.material, "stage": stage,
                                         "hs6": hs6, "cut": cut, "duration_months": months, "baseline_year": year,
                                         "draws": draws, "seed": seed}}
        if not supplier:
            out["skipped"] = "the alert names no supplier and no top supplier was found: nothing to shock"
            return out
        if not hs6:
            out["skipped"] = (f"the catalog has no HS6 code for {alert.material}"
                              f"{' at stage ' + stage if stage else ''}: no trade network to shock")
            return out
        exclude = set(resolve_one(supplier, what="supplier").members(year)) | {supplier}
        cands = resolve([alert.importer, *(importers or REPORTED_IMPORTERS)], what="importer")
        report = importers_with_imports([e for e in cands if e.id not in exclude and not set(e.members(year)) & exclude],
                                        hs6, year, warehouse=wh)
        if not report:
            out["skipped"] = f"no importer among {', '.join(e.id for e in cands)} imports these codes in {year}"
            return out
        sc = quick_scenario(supplier, alert.material, cut, months, stage=stage, importers=report, year=year,
                            draws=draws, seed=seed)
        res = run(sc, warehouse=wh, save=save)
        chain = chain_impact(alert, fact, supplier, report, year, draws, seed, wh)
    summary = res.summary.copy()
    summary["exposure_share"] = summary["exposed_t"] / summary["demand_t"].where(summary["demand_t"] > 0)
    down = res.downstream
    out.update({
        "stress_run_id": res.run_id, "saved": save, "reported_importers": report,
        "affected_importers": records(summary),
        "downstream_sectors": records(down.drop(columns=["tag"], errors="ignore")) if not down.empty else [],
        "sectors": sorted(set(down["sector"])) if not down.empty else [],
        "alternative_deliveries": records(res.suppliers),
        "spare_source": res.meta.get("spare_source"),
        "parameters": {k: res.meta["parameters"][k] for k in ("cut", "stock_days", "spare_share",
                                                                "substitution_ceiling", "recycling_ceiling")
                       if k in res.meta.get("parameters", {})},
        "provenance_ids": res.meta.get("provenance_ids", []),
    })
    if chain is not None:  # the chain's sector split replaces gross tonnage over motor intensities
        out["chain"] = chain
        out["downstream_sectors"] = chain.pop("sectors")
        out["sectors"] = sorted({r["sector"] for r in out["downstream_sectors"]})
    return out


def chain_impact(alert: Alert, fact: dict[str, Any], supplier: str, report: list[str], year: int, draws: int,
                 seed: int, wh) -> dict[str, Any] | None:
    """Where a chain of the chain model covers the material: the same shock stage 3 judges against (the
    supplier's control in force, else all stages) run week by week over a year for the reported importers —
    the magnet shortfall per importer and its split across end uses, which add up (no gross tonnage of all
    rare earths over motor intensities)."""
    from critmin.incidents import alternatives as alt
    from critmin.stress.chain import run_chain

    if alt.chain_stages(alert.material, None) is None or not supplier:
        return None
    shock = alt.measure_shock(fact, supplier)
    r = run_chain(shock, report, year=year, draws=draws, seed=seed, weeks=52, warehouse=wh)
    t = r.totals
    mag = t[(t["stage"] == "magnet") & (t["good"] == "magnet") & (t["metric"] == "shortfall_t")]
    nodes = records(mag.rename(columns={"node": "importer"})[["importer", "p10", "p50", "p90"]])
    st = r.sector_totals.rename(columns={"node": "importer", "name_en": "name_en", "name_zh": "name_zh"})
    return {"run_id": r.run_id, "shock": shock if isinstance(shock, str) else f"all stages of {supplier}",
            "weeks": 52, "first_day": str(r.meta.get("first_day")), "magnet_shortfall_t": nodes,
            "sectors": records(st.drop(columns=[c for c in ("tag_share", "tag_intensity") if c in st.columns])),
            "assumptions": [a for a in records(r.assumptions) if a.get("assumption")],
            "notes": list(r.meta.get("notes", []))}


def transition_arrangements(alert: Alert, fact: dict[str, Any], impact: dict[str, Any], warehouse=None,
                            top: int = 10) -> dict[str, Any]:
    """Stage 3: alternative suppliers by stage with capacity (:mod:`critmin.incidents.alternatives`: the chain
    model's where it covers the material), stock cover, the seed's transition measures and the arrangements."""
    from critmin.catalog import load_catalog
    from critmin.catalog.economies import resolve_one
    from critmin.incidents import alternatives as alt
    from critmin.indicators.provenance import split
    from critmin.warehouse.handle import using

    cat = load_catalog()
    stage = alert.stage or None
    hs6 = fact.get("hs6") or _hs6(alert.material, stage)
    supplier = fact.get("supplier") or alert.supplier
    chain = alt.chain_stages(alert.material, stage)
    with using(warehouse) as wh:
        years = wh.trade_years()
        year = min(_year(alert) or years[-1], years[-1])
        out: dict[str, Any] = {"baseline_year": year, "supplier": supplier, "hs6": hs6}
        if not hs6:
            out["skipped"] = (f"the catalog has no HS6 code for {alert.material}"
                              f"{' at stage ' + stage if stage else ''}: no trade data to rank alternatives on")
            return out
        importer = resolve_one(alert.importer, what="importer")
        try:
            commodity = cat.material(alert.material).wmd_commodity
        except Exception:  # noqa: BLE001
            commodity = None
        if chain is not None:
            shock = alt.measure_shock(fact, supplier)
            ok, excluded = alt.by_chain(chain[0], chain[1], importer, supplier or "CHN", shock, year, wh)
            capacity, prov = "spare_t_per_year", {}
            method = ("chain model (docs/stress.md, 'Chain model'): refiners, metal and magnet makers with cited "
                      "capacity at each stage, never mine output above the ore stage; spare = capacity × the idle "
                      "share; the shock's source, re-export hubs, economies taking half or more of their input "
                      "from the source (hit by the same shock) and the importer's own members are left out")
            out["chain"] = {"id": chain[0], "stages": chain[1],
                            "shock": shock if isinstance(shock, str) else "all stages of " + str(supplier)}
        else:
            ok, excluded, capacity = alt.generic(importer, hs6, year, supplier, commodity, stage, wh)
            prov = ok.attrs.get("provenance", {})
            method = ("score = mean percentile rank of capacity (spare production = WMD mine production − exports "
                      "of the codes, counted only for an ore/concentrate alert; exports otherwise), WGI "
                      "pv_estimate and the importer's imports from the country; the supplier, its group, the "
                      "importer's own members and re-export hubs (hub rule) are left out")
    extra = {d["exporter"]: d.get("extra_t_p50") for d in impact.get("alternative_deliveries", [])}
    df = ok.head(top).reset_index(drop=True)
    df["stress_extra_t_p50"] = df["iso3"].map(extra)
    df.insert(0, "rank", range(1, len(df) + 1))
    df.insert(2, "name_en", [cat.country_name(c, "en") if cat.is_country(c) else c for c in df["iso3"]])
    df.insert(3, "name_zh", [cat.country_name(c, "zh") if cat.is_country(c) else c for c in df["iso3"]])
    out.update({
        "capacity_criterion": capacity, "wmd_commodity": commodity, "method": method,
        "alternatives": records(df.drop(columns=["groups"], errors="ignore")),
        "excluded": records(excluded[[c for c in ("iso3", "stage", "reason", "dependence_on_supplier")
                                      if c in excluded.columns]]) if len(excluded) else [],
        "governance_provenance_ids": split(prov.get("governance")),
    })
    # stock cover from the stress run, for the alert's importer
    cover = None
    for r in impact.get("affected_importers", []):
        if r.get("importer") == alert.importer:
            months = int(impact["shock"]["duration_months"]) if impact.get("shock") else 12
            monthly = (r.get("demand_t") or 0) / max(1, months)
            cover = {
                "importer": alert.importer, "stock0_t_p50": r.get("stock0_t_p50"), "monthly_imports_t": monthly,
                "cover_months_p50": (r["stock0_t_p50"] / monthly) if monthly and r.get("stock0_t_p50") is not None
                else None,
                "stockout_month_p10": r.get("stockout_month_p10"), "stockout_month_p50": r.get("stockout_month_p50"),
                "stockout_month_p90": r.get("stockout_month_p90"),
                "shortfall_share_p50": r.get("shortfall_share_p50"),
                "stock_days_assumed": impact.get("parameters", {}).get("stock_days"),
            }
    out["stock_cover"] = cover
    steps = []
    if cover and cover.get("cover_months_p50") is not None:
        steps.append({"key": "incident.step.stocks", "fields": {
            "months": round(cover["cover_months_p50"], 1),
            "stockout": "—" if cover.get("stockout_month_p50") is None else f"{cover['stockout_month_p50']:g}"}})
    if len(df):
        steps.append({"key": "incident.step.suppliers", "fields": {"names": ", ".join(df["iso3"].head(3))}})
    steps.append({"key": "incident.step.watch", "fields": {"material": alert.material, "supplier": supplier or "—"}})
    if fact.get("rests_on_derived_date"):
        steps.append({"key": "incident.step.derived", "fields": {}})
    # the transition measures seed 002 proposes for this stage, cited, with what later happened (KB)
    from critmin.incidents.process import measures_for

    out["transition_measures"] = measures_for(fact.get("as_of"))
    steps.append({"key": "incident.step.seed_measures",
                  "fields": {"en": "; ".join(m["en"] for m in out["transition_measures"]),
                             "zh": "；".join(m["zh"] for m in out["transition_measures"])}})
    out["arrangements"] = steps
    return out
