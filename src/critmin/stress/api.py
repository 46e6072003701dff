"""``critmin.stress.run(scenario) -> StressResult``: resolve, read the baseline, sample, simulate, summarise."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from critmin.stress import engine
from critmin.stress.result import MONTHLY_METRICS, StressResult

if TYPE_CHECKING:  # pragma: no cover
    from critmin.stress.network import Baseline, Resolved
    from critmin.stress.scenario import Scenario

QS = (10, 50, 90)
_CHUNK_ELEMENTS = 12_000_000  # draws × importers × months per chunk (bounds memory to ~100 MB per array)


def as_scenario(scenario: Scenario | str | Path | dict) -> Scenario:
    from critmin.stress.scenario import Scenario, load_scenario, parse_scenario

    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, dict):
        return parse_scenario(scenario, "<dict>")
    return load_scenario(scenario)


def engine_params(sc: Scenario, spare_param: str) -> dict[str, Any]:
    """The engine's parameter specs (fixed values or distributions) taken from the scenario."""
    pr = sc.parameters
    return {
        "cut": sc.shock.cut,
        "spare_share": getattr(pr, spare_param),
        "ramp_months": pr.ramp_months,
        "ramp_cap_per_year": pr.ramp_cap_per_year,
        "substitution_ceiling": pr.substitution_ceiling,
        "substitution_lag_months": pr.substitution_lag_months,
        "recycling_ceiling": pr.recycling_ceiling,
        "recycling_lag_months": pr.recycling_lag_months,
        "elasticity_demand": pr.elasticity_demand,
        "elasticity_supply": pr.elasticity_supply,
    }


def make_network(sc: Scenario, base: Baseline) -> engine.Network:
    months = sc.horizon
    if base.monthly is not None:
        reps = -(-months // 12)
        flows = np.concatenate([base.monthly] * reps, axis=0)[:months]
    else:
        flows = engine.monthly_from_annual(base.annual, months)
    return engine.Network(
        base.exporters, base.importers, flows, base.spare_annual / 12.0, base.supplier, base.target,
        start=sc.shock.start_month - 1, duration=sc.shock.duration_months,
        allocation=sc.parameters.allocation, order=sc.parameters.order,
    )


def report_idx(net: engine.Network, res: Resolved) -> list[int]:
    """Positions of the importer nodes to report: the scenario's, else the ten most exposed (also the backtest's)."""
    if res.report is not None:
        pos = {n: k for k, n in enumerate(net.importers)}
        missing = [n for n in res.report if n not in pos]
        if missing:
            from critmin.errors import UsageError

            raise UsageError(f"no imports of {res.material} ({', '.join(res.hs6)}) by {', '.join(missing)} "
                             "in the baseline year")
        return [pos[n] for n in res.report]
    x = net.exposure.sum(axis=0)
    order = np.argsort(-x, kind="stable")
    return [int(i) for i in order[:10] if x[i] > 0]


def checked_draws_seed(sc: Scenario, draws: int | None, seed: int | None) -> tuple[int, int | None]:
    """The scenario's draws and seed, or the caller's overrides (``--draws``/``--seed``) checked against the
    same bounds as the scenario file: a negative seed crashed numpy, a huge draw count exhausted memory."""
    from critmin.errors import UsageError
    from critmin.stress.scenario import run_size_problem

    draws = sc.draws if draws is None else draws
    seed = sc.seed if seed is None else seed
    problem = run_size_problem(draws, seed, sc.horizon)
    if problem:
        field, expected, got = problem
        raise UsageError(f"{field}: expected {expected}, got {got}")
    return int(draws), seed


_STOCK_TEXT = ("per importer from stress/data/chains.yaml stocks: state stockpile days where one exists (none for "
               "the EU) plus firm inventories in weeks of the stage (default 2-13 weeks [U]); see the notes")
# catalog stage -> the stage of the stock table (stages outside the rare-earth chain use the generic firm inventory)
_STOCK_STAGE = {"ore_concentrate": "ore", "compound": "oxide", "metal": "metal", "manufactured": "magnet"}


def _sourced_stocks(sc: Scenario, nodes: list[str], draws: int, seed: int | None) -> dict:
    """Days of consumption held per importer node when the scenario sets no ``stock_days``: the state
    stockpile (only where one exists) plus firm inventories, read and drawn by the chain model's code from the
    one stock table (each node's stocks on their own named stream, as in a chain run with the same seed),
    instead of a blanket 60 days that would pass for a strategic stock."""
    from critmin.stress.chain import WEEK_DAYS, ParamSet, add_stock, node_stock_weeks
    from critmin.stress.chain_data import load_chains

    cf = load_chains()
    stage = _STOCK_STAGE.get(sc.shock.stage or "", "oxide")
    ps = ParamSet(draws, seed)
    for node in nodes:
        add_stock(ps, cf, node, stage)
    ps.draw()
    return {node: WEEK_DAYS * node_stock_weeks(ps, node, stage) for node in nodes}


def simulate(sc: Scenario, res: Resolved, base: Baseline, *, draws: int | None = None, seed: int | None = None,
             lang: str = "en") -> StressResult:
    """Run the engine on a resolved scenario and its baseline arrays (no warehouse access)."""
    import pandas as pd

    from critmin.stress.downstream import sectors_for
    from critmin.stress.params import describe, sample

    t0 = time.perf_counter()
    draws, seed = checked_draws_seed(sc, draws, seed)
    net = make_network(sc, base)
    specs = engine_params(sc, base.spare_param)
    p = engine.sample_parameters(specs, draws, seed)
    t_sample = time.perf_counter()
    market = engine.solve_market(net, p)
    t_market = time.perf_counter()
    idx = report_idx(net, res)
    # stock days: the common parameter, overridden per importer node (own random stream per override)
    ss = np.random.SeedSequence(None if seed is None else [int(seed), 1])
    rng = np.random.default_rng(ss)
    common = sample(sc.parameters.stock_days, rng, draws)
    overrides = {k: sample(v, rng, draws) for k, v in sorted(sc.parameters.stock_days_by_importer.items())}
    stock_text = describe(sc.parameters.stock_days)
    if "stock_days" not in sc.parameters.model_fields_set:  # no stock given: the one sourced stock table
        sourced = _sourced_stocks(sc, [net.importers[i] for i in idx], draws, seed)
        overrides, stock_text = sourced | overrides, _STOCK_TEXT
    sectors = sectors_for(res.material)
    intens = {s.id: sample(s.kg_per_unit, rng, draws) for s in sectors}
    months = np.arange(1, net.months + 1)
    dem = net.demand
    expo = net.exposure
    rows, monthly_parts, down_rows = [], [], []
    chunk = max(1, _CHUNK_ELEMENTS // max(1, draws * net.months))
    for c0 in range(0, len(idx), chunk):
        cidx = idx[c0:c0 + chunk]
        days = np.stack([overrides.get(net.importers[i], common) for i in cidx], axis=1)
        out = engine.simulate_importers(net, p, market, cidx, stock_days=days)
        bands = {m: _bands(out[m]) for m in MONTHLY_METRICS}  # (3, r, M)
        tot_short = out["shortfall_t"].sum(axis=2)  # (D, r)
        so = out["stockout_month"]
        ci = np.asarray(cidx)
        names = np.array([net.importers[i] for i in cidx], dtype=object)
        r, nm = len(cidx), net.months
        demand_h = dem[:, ci].sum(axis=0)  # (r,)
        sq = _bands(tot_short)  # (3, r)
        oq = np.percentile(np.ascontiguousarray(so.T), QS, axis=1, method="inverted_cdf")  # (3, r)
        rows.append(pd.DataFrame({
            "importer": names,
            "targeted": net.target[ci],
            "demand_t": demand_h,
            "exposed_t": (expo[:, ci] * net.active[:, None]).sum(axis=0),
            "shortfall_t_p10": sq[0], "shortfall_t_p50": sq[1], "shortfall_t_p90": sq[2],
            "shortfall_share_p50": np.divide(sq[1], demand_h, out=np.zeros(r), where=demand_h > 0),
            "stockout_month_p10": oq[0], "stockout_month_p50": oq[1], "stockout_month_p90": oq[2],
            "stock0_t_p50": _bands(out["stock0_t"])[1],
            "replacement_t_p50": _bands(out["replacement_t"].sum(axis=2))[1],
        }))
        for m in MONTHLY_METRICS:  # long table: importer-major, month-minor
            monthly_parts.append(pd.DataFrame({
                "importer": np.repeat(names, nm), "month": np.tile(months, r), "metric": m,
                "p10": bands[m][0].ravel(), "p50": bands[m][1].ravel(), "p90": bands[m][2].ravel(),
            }))
        for sct in sectors:
            uq = _bands(tot_short * 1000.0 / intens[sct.id][:, None])  # (3, r)
            down_rows.append(pd.DataFrame({
                "importer": names, "sector": sct.id, "name_en": sct.name_en, "name_zh": sct.name_zh,
                "unit": sct.unit_en, "kg_per_unit": describe(sct.kg_per_unit),
                "units_at_risk_p10": uq[0], "units_at_risk_p50": uq[1], "units_at_risk_p90": uq[2],
                "tag": sct.tag,
            }))
        del out
    t_imp = time.perf_counter()
    summary = pd.concat(rows, ignore_index=True)
    monthly = pd.concat(monthly_parts, ignore_index=True)
    # order rows importer by importer (as reported), then metric, then month
    monthly["_o"] = monthly["importer"].map({n: k for k, n in enumerate(summary["importer"])})
    monthly = monthly.sort_values(["_o", "metric", "month"], kind="stable").drop(columns="_o").reset_index(drop=True)
    mk = []
    for metric, arr in (("price_pressure", market.price_pressure), ("pool_t", market.pool),
                        ("replaced_t", market.replaced), ("withheld_t", market.withheld)):
        b = _bands(arr)
        mk.append(pd.DataFrame({"month": months, "metric": metric, "p10": b[0], "p50": b[1], "p90": b[2]}))
    market_df = pd.concat(mk, ignore_index=True)
    # alternative suppliers' extra deliveries: the pool delivered, apportioned by spare capacity
    alt = (~net.supplier) & (net.spare > 0)
    total_repl = market.replaced.sum(axis=1)  # (D,)
    sup_rows = []
    if alt.any() and net.spare[alt].sum() > 0:
        share = net.spare[alt] / net.spare[alt].sum()
        ex = np.array(net.exporters)[alt]
        for k in np.argsort(-share, kind="stable")[:15]:
            q = np.percentile(total_repl * share[k], QS)
            sup_rows.append({"exporter": str(ex[k]), "spare_share": float(share[k]),
                             "extra_t_p10": float(q[0]), "extra_t_p50": float(q[1]), "extra_t_p90": float(q[2])})
    suppliers = pd.DataFrame(sup_rows, columns=["exporter", "spare_share", "extra_t_p10", "extra_t_p50",
                                                "extra_t_p90"])
    meta = {
        "material": res.material, "material_name_en": res.material_name_en, "material_name_zh": res.material_name_zh,
        "hs6": res.hs6, "supplier": res.supplier, "supplier_members": res.supplier_members,
        "baseline_year": sc.baseline.year, "months": net.months, "start_month": sc.shock.start_month,
        "duration_months": sc.shock.duration_months, "targets": sc.shock.targets.model_dump(),
        "draws": draws, "seed": seed, "allocation": net.allocation, "order": net.order,
        "spare_source": base.spare_source, "spare_parameter": base.spare_param,
        "spare_capacity_t_per_year": float(base.spare_annual.sum()),
        "supplier_exports_t": float(base.annual[base.supplier].sum()),
        "world_imports_t": float(base.annual.sum()),
        "parameters": {k: describe(v) for k, v in specs.items()} | {
            "stock_days": stock_text,
            "stock_days_by_importer": {k: describe(v) for k, v in sc.parameters.stock_days_by_importer.items()},
        },
        "notes": base.notes,
        "provenance_ids": list(getattr(base, "provenance_ids", [])),
        "monthly_feed": sc.baseline.monthly_feed,
    }
    run_id = _run_id(sc, draws, seed, base)
    timings = {"sample_s": t_sample - t0, "market_s": t_market - t_sample, "importers_s": t_imp - t_market,
               "total_s": time.perf_counter() - t0}
    downstream = pd.concat(down_rows, ignore_index=True) if down_rows else pd.DataFrame(
        columns=["importer", "sector", "name_en", "name_zh", "unit", "kg_per_unit", "units_at_risk_p10",
                 "units_at_risk_p50", "units_at_risk_p90", "tag"])
    if not downstream.empty:
        downstream["_o"] = downstream["importer"].map({n: k for k, n in enumerate(summary["importer"])})
        downstream = downstream.sort_values("_o", kind="stable").drop(columns="_o").reset_index(drop=True)
    return StressResult(run_id, sc, meta, summary, monthly, market_df, downstream, suppliers, timings)


def _bands(a: np.ndarray) -> np.ndarray:
    """P10/P50/P90 over the draws axis (0) of a (D, ...) array; partitions run on contiguous rows (faster)."""
    d = a.shape[0]
    rows = np.ascontiguousarray(a.reshape(d, -1).T)
    return np.percentile(rows, QS, axis=1).reshape((len(QS), *a.shape[1:]))


def _run_id(sc: Scenario, draws: int, seed: int | None, base: Baseline) -> str:
    """Same scenario, draws, seed and baseline data → same id (so a cited run can be reproduced)."""
    h = hashlib.sha256()
    h.update(json.dumps(sc.model_dump(mode="json"), sort_keys=True).encode())
    h.update(f"|{draws}|{seed}|".encode())
    h.update(np.ascontiguousarray(base.annual).tobytes())
    h.update(np.ascontiguousarray(base.spare_annual).tobytes())
    h.update("|".join(base.exporters + ["/"] + base.importers).encode())
    return "stress-" + h.hexdigest()[:12]


def prepare(sc: Scenario, warehouse=None, catalog=None) -> tuple[Resolved, Baseline]:
    """Resolve names (before the warehouse is touched) and read the baseline from the warehouse."""
    from critmin.warehouse.handle import using

    res, feed = _resolve(sc, catalog)
    with using(warehouse) as wh:
        return res, _baseline(wh, sc, res, feed)


def _resolve(sc: Scenario, catalog):
    from critmin.stress.network import parse_monthly_feed, resolve

    return resolve(sc, catalog), parse_monthly_feed(sc.baseline.monthly_feed) if sc.baseline.monthly_feed else None


def _baseline(wh, sc: Scenario, res: Resolved, feed) -> Baseline:
    from critmin.stress.network import (
        build_baseline,
        monthly_array,
        placeholders,
        read_production,
        read_trade,
    )

    trade = read_trade(wh, res.hs6, sc.baseline.year)
    # World Mining Data is mine output: capacity for an ore/concentrate shock only, never for a refined stage;
    # where a chain covers the material and stage, its refiner / metal / magnet-maker capacities stand in
    mine_stage = sc.shock.stage in (None, "ore_concentrate")
    prod, pyear, unit = read_production(wh, res.wmd_commodity, sc.baseline.year) if mine_stage else (None, None, None)
    capacity_source = None if mine_stage else _chain_capacity(res.material, sc.shock.stage)
    if capacity_source is not None:
        prod, capacity_source = capacity_source
        pyear, unit = sc.baseline.year, "t per year of stage output"
    prov = wh.sql(f"select distinct provenance_id from trade where year = ? and hs6 in ({placeholders(res.hs6)}) "
                  "order by 1", [int(sc.baseline.year), *res.hs6]).df()["provenance_id"].astype(str).tolist()
    if prod is not None and capacity_source is None:
        prov += wh.sql("select distinct provenance_id from production where commodity = ? and year = ?",
                       [res.wmd_commodity, pyear]).df()["provenance_id"].astype(str).tolist()
    base = build_baseline(res, trade, prod, pyear, unit, year=sc.baseline.year)
    if capacity_source is not None:  # a plant's idle share of its capacity, not capacity minus all exports
        cap = prod.groupby("country")["qty"].sum()
        spare = np.array([float(cap.get(e, 0.0)) for e in base.exporters])
        base.spare_annual = np.where(base.supplier, 0.0, spare)
        base.spare_source = capacity_source
    base.provenance_ids = prov
    if feed is not None:
        base.monthly = monthly_array(feed, base, sc.baseline.monthly_feed)
    return base


def _chain_capacity(material: str, stage: str | None):
    """(capacities as a production-shaped frame, spare-capacity text) from the chain data when a chain covers
    ``material`` at the catalog ``stage``; else None."""
    import pandas as pd

    from critmin.stress.chain_data import load_chains, stage_capacities

    for cid, ch in load_chains().chains.items():
        if ch.material != material:
            continue
        for st in ch.stages:
            if st.catalog_stage == stage and st.id != "ore":
                cap = stage_capacities(cid, st.id)
                if cap.empty:
                    return None
                frame = pd.DataFrame({"country": cap["iso3"], "qty": cap["t_per_year_mid"]})
                return frame, (f"{st.id} capacity of refiners / metal / magnet makers outside the shocked set "
                               f"(stress/data/chains.yaml, mid of each cited range), of which "
                               f"spare_share_of_headroom can be mobilised; mine output is not capacity at this stage")
    return None


def run(scenario: Scenario | str | Path | dict, *, warehouse=None, draws: int | None = None,
        seed: int | None = None, save: bool = False, catalog=None) -> StressResult:
    """Run a stress test.

    ``scenario`` is a :class:`~critmin.stress.scenario.Scenario`, a path to a YAML scenario file or a mapping.
    ``draws`` / ``seed`` override the scenario's. With ``save=True`` the result is written to the warehouse
    tables ``stress_runs`` and ``stress_results`` under ``result.run_id``. ``warehouse``: the command's handle
    (writable to save) or a path / None, then opened once — writable when saving — after the scenario's names
    have been checked.
    """
    from critmin.stress.store import save_result
    from critmin.warehouse.handle import using

    sc = as_scenario(scenario)
    checked_draws_seed(sc, draws, seed)
    res, feed = _resolve(sc, catalog)
    with using(warehouse, read_only=not save, command="stress") as wh:
        result = simulate(sc, res, _baseline(wh, sc, res, feed), draws=draws, seed=seed)
        if save:
            save_result(result, wh)
    return result
