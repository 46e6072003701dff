"""The three stages of an incident, each a function from the alert (and the earlier stages) to plain data.

1. fact check — the data points behind the alert recomputed from the warehouse with the indicator core (and the
   raw trade rows summed, with their provenance ids and vintages), compared with the alert's value; the
   knowledge-base entries the alert cites, with their sources.
2. impact assessment — the stress-test engine run for the alert's shock (supplier, material, stage; a modest
   default cut over twelve months, fixed seed), saved under its run id: affected importers, shortfalls, stock-out
   months and downstream sectors.
3. transition arrangements — alternative suppliers ranked by spare production (World Mining Data production
   minus exports), governance (WGI political stability, ``pv_estimate``) and existing trade ties with the
   importer; stock cover from the stress run; the arrangements that follow.

Every function returns JSON-ready dicts (stored in the warehouse as they are).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING, Any

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


def _records(df) -> list[dict[str, Any]]:
    return [{k: _clean(v) for k, v in r.items()} for r in df.to_dict(orient="records")]


def _year(alert: Alert) -> int | None:
    p = str(alert.period)
    return int(p[:4]) if p[:4].isdigit() else None


def _basis(metric: str) -> str:
    return "qty" if "_qty" in metric else "value"


def _hs6(material: str, stage: str | None) -> list[str]:
    from critmin.catalog import load_catalog

    try:
        return load_catalog().hs6_for(material, stage or None)
    except Exception:  # noqa: BLE001 - feed alerts may name materials without trade codes
        return []


def _members(entity: str, year: int) -> tuple[list[str], bool]:
    from critmin.catalog import load_catalog

    cat = load_catalog()
    return cat.members(entity, year), cat.is_group(entity)


def _in(values: list[str]) -> str:
    return ", ".join("'" + str(v).replace("'", "''") + "'" for v in values) or "''"


def metric_value(metric: str, row: dict[str, Any], supplier_share: float | None) -> float | None:
    """The alert metric's value from a dependency row (the conversions of critmin.alerts.series_from_dependency)."""
    def pct(x):
        return None if x is None else x * 100.0

    if metric.startswith("top1_share_") and metric.endswith("_pct"):
        return pct(row.get("top1_share"))
    if metric.startswith("supplier_share_") and metric.endswith("_pct"):
        return pct(supplier_share)
    if metric.startswith("supplier_hhi"):
        return row.get("hhi")
    if metric.startswith("import_") and metric.endswith("_yoy_pct"):
        return pct(row.get("yoy_imports"))
    if metric == "unit_value_yoy_pct":
        return pct(row.get("yoy_unit_value"))
    if metric in ("import_value_kusd", "import_qty_t"):
        return row.get("total_imports")
    return None


def kb_entry(entry_id: str, as_of: dt.date) -> dict[str, Any]:
    from critmin.kb import load_kb

    e = load_kb().entries.get(entry_id)
    if e is None:
        return {"id": entry_id, "missing": True}
    derived = [{"status": p.status, "from": p.from_.isoformat(), "to": p.to.isoformat() if p.to else None,
                "note": p.note} for p in e.status if p.basis == "derived"]
    return {
        "id": e.id, "kind": e.kind, "actor": e.actor, "date": e.date.isoformat(), "title_en": e.title_en,
        "title_zh": e.title_zh, "reference": e.reference, "basis": e.basis, "status_on_as_of": e.status_on(as_of),
        "derived_status": derived, "materials": list(e.materials), "stages": list(e.stages),
        "citations": [{"seed": c.seed, "primary": c.primary, "url": c.url,
                       "published": c.published.isoformat() if c.published else None} for c in e.citations],
    }


def fact_check(alert: Alert, as_of: dt.date | str | None = None, warehouse=None) -> dict[str, Any]:
    """Stage 1: re-query the data behind the alert and cite its knowledge-base entries."""
    import critmin
    from critmin.kb import active_controls

    as_of = dt.date.fromisoformat(str(as_of)) if as_of else dt.date.today()
    year = _year(alert)
    out: dict[str, Any] = {"as_of": as_of.isoformat(), "metric": alert.metric, "alert_value": alert.value,
                           "threshold": alert.threshold, "comparison": alert.comparison, "period": alert.period}
    stage = alert.stage or None
    hs6 = _hs6(alert.material, stage)
    out["hs6"] = hs6
    from_indicators = alert.source.startswith("indicators") and year is not None and hs6
    if from_indicators:
        from critmin.indicators.dependency import dependency, suppliers

        basis = _basis(alert.metric)
        dep = dependency(alert.importer, alert.material, stage=stage, years=[year - 1, year], basis=basis,
                         warehouse=warehouse)
        rows = dep[dep["year"] == year]
        row = {k: _clean(v) for k, v in rows.iloc[0].to_dict().items()} if not rows.empty else {}
        sup = suppliers(alert.importer, alert.material, stage=stage, years=[year], basis=basis, warehouse=warehouse)
        top = sup.head(5)
        supplier = alert.supplier or row.get("top1_supplier") or ""
        s_share = sup.loc[sup["supplier"] == supplier, "share"]
        supplier_share = float(s_share.iloc[0]) if len(s_share) else (0.0 if supplier else None)
        recomputed = metric_value(alert.metric, row, supplier_share)
        verified = (recomputed is not None and math.isclose(recomputed, alert.value, rel_tol=TOLERANCE,
                                                            abs_tol=1e-9))
        out.update({
            "basis": basis, "supplier": supplier, "indicator_row": row, "supplier_share": supplier_share,
            "recomputed_value": recomputed, "verified": verified,
            "top_suppliers": _records(top[["supplier", "share", *[c for c in ("imports_kusd", "imports_t")
                                                                    if c in top.columns]]]),
        })
        members, is_group = _members(alert.importer, year)
        where = f"year = {int(year)} and hs6 in ({_in(hs6)}) and importer in ({_in(members)})"
        if is_group:
            where += f" and exporter not in ({_in(members)})"
        with critmin.open(warehouse) as wh:
            agg = wh.sql(f"""select count(*) as n_rows, sum(value_kusd) as value_kusd, sum(qty_t) as qty_t,
                                    list(distinct provenance_id order by provenance_id) as provenance_ids
                             from trade where {where}""").df().iloc[0].to_dict()
            sup_agg = wh.sql(f"""select count(*) as n_rows, sum(value_kusd) as value_kusd, sum(qty_t) as qty_t
                                 from trade where {where} and exporter = ?""", [supplier]).df().iloc[0].to_dict() \
                if supplier else {}
            ids = [str(i) for i in (agg.get("provenance_ids") or [])]
            prov = wh.sql(f"""select provenance_id, source, "table", vintage, licence, url, sha256
                              from provenance where provenance_id in ({_in(ids)})""").df()
        out["trade_rows"] = {
            "where": where, "n_rows": _clean(agg["n_rows"]), "value_kusd": _clean(agg["value_kusd"]),
            "qty_t": _clean(agg["qty_t"]), "provenance_ids": ids,
            "supplier_rows": {k: _clean(v) for k, v in sup_agg.items()},
        }
        out["provenance"] = _records(prov)
    else:
        out.update({"basis": None, "supplier": alert.supplier, "verified": None, "recomputed_value": None,
                    "note": f"value reported by {alert.source or 'a feed'} (vintage {alert.vintage or 'n/a'}); "
                            "not recomputable from the warehouse"})
    out["vintage"] = alert.vintage
    out["kb_entries"] = [kb_entry(i, as_of) for i in alert.cited_events]
    events = alert.extra.get("events") or []
    out["control_events"] = events
    out["rests_on_derived_date"] = any(e.get("basis") == "derived" for e in events)
    supplier = out.get("supplier") or alert.supplier
    out["active_controls"] = [
        {"id": e.id, "date": e.date.isoformat(), "title_en": e.title_en, "title_zh": e.title_zh,
         "reference": e.reference}
        for e in (active_controls(alert.material, as_of, actor=supplier) if supplier and alert.material else [])
    ] if alert.material else []
    return out


def _importers_with_imports(hs6: list[str], year: int, candidates: list[str], exclude: set[str],
                            warehouse=None) -> list[str]:
    import critmin

    keep = []
    with critmin.open(warehouse) as wh:
        for imp in candidates:
            if imp in exclude:
                continue
            members, is_group = _members(imp, year)
            if set(members) & exclude:
                continue
            where = f"year = {int(year)} and hs6 in ({_in(hs6)}) and importer in ({_in(members)}) and qty_t > 0"
            if is_group:
                where += f" and exporter not in ({_in(members)})"
            n = wh.sql(f"select count(*) from trade where {where}").fetchall()[0][0]
            if n:
                keep.append(imp)
    return keep


def impact_assessment(alert: Alert, fact: dict[str, Any], warehouse=None, cut: float = DEFAULT_CUT,
                      months: int = DEFAULT_MONTHS, draws: int = DEFAULT_DRAWS, seed: int = DEFAULT_SEED,
                      importers: list[str] | None = None, save: bool = True) -> dict[str, Any]:
    """Stage 2: the stress engine for the alert's shock; returns the run id and what it found."""
    from critmin.monitor.compute import trade_years
    from critmin.stress import quick_scenario, run

    supplier = fact.get("supplier") or alert.supplier
    stage = alert.stage or None
    hs6 = fact.get("hs6") or _hs6(alert.material, stage)
    years = trade_years(warehouse)
    year = min(_year(alert) or years[-1], years[-1])
    out: dict[str, Any] = {"shock": {"supplier": supplier, "material": alert.material, "stage": stage, "hs6": hs6,
                                     "cut": cut, "duration_months": months, "baseline_year": year, "draws": draws,
                                     "seed": seed}}
    if not supplier:
        out["skipped"] = "the alert names no supplier and no top supplier was found: nothing to shock"
        return out
    if not hs6:
        out["skipped"] = (f"the catalog has no HS6 code for {alert.material}"
                          f"{' at stage ' + stage if stage else ''}: no trade network to shock")
        return out
    sup_members, _ = _members(supplier, year)
    cands = list(dict.fromkeys([alert.importer, *(importers or REPORTED_IMPORTERS)]))
    report = _importers_with_imports(hs6, year, cands, set(sup_members) | {supplier}, warehouse)
    if not report:
        out["skipped"] = f"no importer among {', '.join(cands)} imports these codes in {year}"
        return out
    sc = quick_scenario(supplier, alert.material, cut, months, stage=stage, importers=report, year=year,
                        draws=draws, seed=seed)
    res = run(sc, warehouse=warehouse, save=save)
    summary = res.summary.copy()
    summary["exposure_share"] = summary["exposed_t"] / summary["demand_t"].where(summary["demand_t"] > 0)
    down = res.downstream
    out.update({
        "stress_run_id": res.run_id, "saved": save, "reported_importers": report,
        "affected_importers": _records(summary),
        "downstream_sectors": _records(down.drop(columns=["tag"], errors="ignore")) if not down.empty else [],
        "sectors": sorted(set(down["sector"])) if not down.empty else [],
        "alternative_deliveries": _records(res.suppliers),
        "spare_source": res.meta.get("spare_source"),
        "parameters": {k: res.meta["parameters"][k] for k in ("cut", "stock_days", "spare_share",
                                                                "substitution_ceiling", "recycling_ceiling")
                       if k in res.meta.get("parameters", {})},
        "provenance_ids": res.meta.get("provenance_ids", []),
    })
    return out


def transition_arrangements(alert: Alert, fact: dict[str, Any], impact: dict[str, Any], warehouse=None,
                            top: int = 10) -> dict[str, Any]:
    """Stage 3: alternative suppliers ranked, stock cover, and the arrangements that follow."""
    import pandas as pd

    import critmin
    from critmin.catalog import load_catalog
    from critmin.monitor.compute import trade_years

    cat = load_catalog()
    stage = alert.stage or None
    hs6 = fact.get("hs6") or _hs6(alert.material, stage)
    supplier = fact.get("supplier") or alert.supplier
    years = trade_years(warehouse)
    year = min(_year(alert) or years[-1], years[-1])
    out: dict[str, Any] = {"baseline_year": year, "supplier": supplier, "hs6": hs6}
    if not hs6:
        out["skipped"] = (f"the catalog has no HS6 code for {alert.material}"
                          f"{' at stage ' + stage if stage else ''}: no trade data to rank alternatives on")
        return out
    imp_members, imp_group = _members(alert.importer, year)
    sup_members, _ = _members(supplier, year) if supplier else ([], False)
    try:
        commodity = cat.material(alert.material).wmd_commodity
    except Exception:  # noqa: BLE001
        commodity = None
    with critmin.open(warehouse) as wh:
        exports = wh.sql(f"""select exporter as iso3, sum(qty_t) as exports_t, sum(value_kusd) as exports_kusd
                             from trade where year = {int(year)} and hs6 in ({_in(hs6)}) group by 1""").df()
        tie_where = f"year = {int(year)} and hs6 in ({_in(hs6)}) and importer in ({_in(imp_members)})"
        if imp_group:
            tie_where += f" and exporter not in ({_in(imp_members)})"
        ties = wh.sql(f"""select exporter as iso3, sum(value_kusd) as tie_kusd from trade where {tie_where}
                          group by 1""").df()
        prod = pd.DataFrame(columns=["iso3", "production_t", "production_year"])
        if commodity:
            prod = wh.sql("""select country as iso3,
                                    sum(case unit when 'metr. t' then qty when 'kg' then qty / 1000 end) as production_t,
                                    max(year) as production_year
                             from production where commodity = ? and year = (
                                select max(year) from production where commodity = ? and year <= ?)
                             group by 1""", [commodity, commodity, year]).df()
        gov = wh.sql("""select country as iso3, value as pv_estimate, year as governance_year from governance
                        where indicator = 'pv_estimate' and year = (select max(year) from governance
                        where indicator = 'pv_estimate' and year <= ?)""", [year]).df()
        gov_prov = wh.sql("select distinct provenance_id from governance").df()["provenance_id"].tolist()
    df = exports.merge(prod, on="iso3", how="outer").merge(ties, on="iso3", how="left").merge(gov, on="iso3",
                                                                                              how="left")
    excluded = set(sup_members) | {supplier} | set(imp_members)
    df = df[~df["iso3"].isin(excluded) & ((df["exports_t"].fillna(0) > 0) | (df["production_t"].fillna(0) > 0))]
    df = df.copy()
    df["tie_kusd"] = df["tie_kusd"].fillna(0.0)
    total_tie = float(ties["tie_kusd"].sum()) or 1.0
    df["tie_share"] = df["tie_kusd"] / total_tie
    has_prod = df["production_t"].notna().any()
    df["spare_t"] = (df["production_t"] - df["exports_t"].fillna(0)).clip(lower=0) if has_prod else float("nan")
    capacity = "spare_t" if has_prod else "exports_t"
    extra = {d["exporter"]: d.get("extra_t_p50") for d in impact.get("alternative_deliveries", [])}
    df["stress_extra_t_p50"] = df["iso3"].map(extra)
    # composite: mean percentile rank (0–1, higher better) of capacity, governance and trade ties
    def pct_rank(x, positive_only: bool):
        r = x.rank(pct=True, method="max").fillna(0.0)
        return r.where(x.fillna(0) > 0, 0.0) if positive_only else r

    ranks = pd.DataFrame({
        "capacity": pct_rank(df[capacity], True),  # no spare capacity (or unknown) scores 0
        "governance": pct_rank(df["pv_estimate"], False),
        "ties": pct_rank(df["tie_kusd"], True),  # no imports from the country scores 0
    })
    df["capacity_rank"], df["governance_rank"], df["ties_rank"] = (ranks["capacity"], ranks["governance"],
                                                                   ranks["ties"])
    df["score"] = ranks.mean(axis=1)
    df = df.sort_values(["score", capacity], ascending=False, kind="stable").head(top).reset_index(drop=True)
    df.insert(0, "rank", range(1, len(df) + 1))
    df.insert(2, "name_en", [cat.country_name(c, "en") if cat.is_country(c) else c for c in df["iso3"]])
    df.insert(3, "name_zh", [cat.country_name(c, "zh") if cat.is_country(c) else c for c in df["iso3"]])
    out.update({
        "capacity_criterion": capacity, "wmd_commodity": commodity,
        "method": "score = mean percentile rank of capacity (spare production = WMD production − exports of the "
                  "codes, or exports where no production series), WGI pv_estimate and the importer's imports from "
                  "the country; the supplier, its group and the importer's own members are left out",
        "alternatives": _records(df), "governance_provenance_ids": gov_prov,
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
    out["arrangements"] = steps
    return out
