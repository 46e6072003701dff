"""Stress results in the warehouse: ``stress_runs`` (one row per run) and ``stress_results`` (long table of
bands), so an incident's impact assessment can cite a run by its id.

``stress_results(run_id, importer, month, metric, p10, p50, p90)``: ``month`` NULL means a total over the
horizon; ``importer`` NULL marks market-level rows (price pressure, replacement pool); downstream rows use
the metric ``units_at_risk:<sector>``; alternative suppliers' extra deliveries use ``extra_t:<ISO3>``.
Saving the same run id again replaces its rows (same scenario, draws, seed and data give the same id).

``result`` below is a :class:`critmin.stress.result.StressResult`; this module does not import it (the result's
``save()`` calls down here), so the dependency runs one way (result → store).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

RUNS_DDL = """
create table if not exists stress_runs (
    run_id varchar primary key, created_at timestamp, name varchar, material varchar, hs6 varchar,
    supplier varchar, baseline_year integer, start_month integer, duration_months integer, months integer,
    draws integer, seed bigint, allocation varchar, stock_order varchar, spare_source varchar,
    scenario_json varchar, meta_json varchar, critmin_version varchar, provenance_ids varchar)
"""
RESULTS_DDL = """
create table if not exists stress_results (
    run_id varchar, importer varchar, month integer, metric varchar, p10 double, p50 double, p90 double)
"""
SUMMARY_METRICS = ("demand_t", "exposed_t", "shortfall_t", "stockout_month", "stock0_t", "replacement_t",
                   "shortfall_share")


def results_long(result) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    parts = [result.monthly.assign(run_id=result.run_id)]
    s = result.summary
    rows: list[dict[str, Any]] = []
    for r in s.to_dict(orient="records"):
        for m in SUMMARY_METRICS:
            if f"{m}_p50" in r and f"{m}_p10" in r:
                q = (r[f"{m}_p10"], r[f"{m}_p50"], r[f"{m}_p90"])
            elif f"{m}_p50" in r:
                q = (np.nan, r[f"{m}_p50"], np.nan)
            elif m in r:
                q = (r[m], r[m], r[m])
            else:
                continue
            rows.append({"importer": r["importer"], "month": None, "metric": m, "p10": q[0], "p50": q[1], "p90": q[2]})
    for r in result.downstream.to_dict(orient="records"):
        rows.append({"importer": r["importer"], "month": None, "metric": f"units_at_risk:{r['sector']}",
                     "p10": r["units_at_risk_p10"], "p50": r["units_at_risk_p50"], "p90": r["units_at_risk_p90"]})
    for r in result.suppliers.to_dict(orient="records"):
        rows.append({"importer": None, "month": None, "metric": f"extra_t:{r['exporter']}",
                     "p10": r["extra_t_p10"], "p50": r["extra_t_p50"], "p90": r["extra_t_p90"]})
    parts.append(pd.DataFrame(rows).assign(run_id=result.run_id))
    parts.append(result.market.assign(importer=None, run_id=result.run_id))
    df = pd.concat(parts, ignore_index=True)[["run_id", "importer", "month", "metric", "p10", "p50", "p90"]]
    df["month"] = df["month"].astype("Int64")
    for q in ("p10", "p50", "p90"):  # +inf (never stocked out) is stored as NULL
        df[q] = df[q].astype(float).replace([np.inf, -np.inf], np.nan)
    return df


def save_result(result, warehouse=None) -> str:
    """Write the run and its bands (one transaction); returns the run id."""
    from critmin import __version__
    from critmin.warehouse.tables import delete_where, insert_frame, insert_row, transaction

    meta = result.meta
    run = {
        "run_id": result.run_id, "created_at": datetime.now(UTC).replace(tzinfo=None),
        "name": result.scenario.name, "material": meta["material"], "hs6": ",".join(meta["hs6"]),
        "supplier": meta["supplier"], "baseline_year": meta["baseline_year"], "start_month": meta["start_month"],
        "duration_months": meta["duration_months"], "months": meta["months"], "draws": meta["draws"],
        "seed": meta["seed"], "allocation": meta["allocation"], "stock_order": meta["order"],
        "spare_source": meta["spare_source"],
        "scenario_json": json.dumps(result.scenario.model_dump(mode="json"), ensure_ascii=False, sort_keys=True),
        "meta_json": json.dumps(meta, ensure_ascii=False, sort_keys=True, default=str),
        "critmin_version": __version__, "provenance_ids": ",".join(meta.get("provenance_ids", [])),
    }
    long = results_long(result)

    def write(con) -> None:
        delete_where(con, ("stress_results", "stress_runs"), "run_id", result.run_id)
        insert_row(con, "stress_runs", run)
        insert_frame(con, "stress_results", long, ["run_id", "importer", "month", "metric", "p10", "p50", "p90"])

    transaction(warehouse, (RUNS_DDL, RESULTS_DDL), write, command="stress")
    return result.run_id


def load_run(run_id: str, warehouse=None) -> dict[str, Any]:
    """A saved run: its ``run`` row (dict, scenario and meta parsed) and its ``results`` (DataFrame)."""
    from critmin.errors import UsageError
    from critmin.warehouse.handle import using

    with using(warehouse) as wh:
        if "stress_runs" not in wh.tables():
            raise UsageError(f"no stress runs saved in {wh.path}")
        runs = wh.sql("select * from stress_runs where run_id = ?", [run_id]).df()
        if runs.empty:
            raise UsageError(f"no stress run '{run_id}' in {wh.path}")
        res = wh.sql("select * from stress_results where run_id = ? order by importer, metric, month",
                     [run_id]).df()
    row = runs.iloc[0].to_dict()
    row["scenario"] = json.loads(row.pop("scenario_json"))
    row["meta"] = json.loads(row.pop("meta_json"))
    return {"run": row, "results": res}


def list_runs(warehouse=None) -> pd.DataFrame:
    import pandas as pd

    from critmin.warehouse.handle import using

    with using(warehouse) as wh:
        if "stress_runs" not in wh.tables():
            return pd.DataFrame(columns=["run_id", "created_at", "name", "material", "supplier", "baseline_year",
                                         "draws", "seed"])
        return wh.sql("select run_id, created_at, name, material, supplier, baseline_year, draws, seed "
                      "from stress_runs order by created_at desc").df()
