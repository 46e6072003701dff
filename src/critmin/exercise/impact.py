"""The exercise's impact from the chain model (:func:`critmin.stress.chain.run_chain`): the shock run week by week
from the exercise's first Monday for its importers, turned into what the brief shows — the magnet shortfall per
sector per week (the chain splits it once across end uses, so sectors add up to the importer's total), a few
lines per importer for stage 2, every parameter with its source or its ASSUMPTION label, and the alternative
suppliers by stage for stage 3 (:mod:`critmin.incidents.alternatives`, the same code path as incidents)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from critmin.exercise.model import Exercise
    from critmin.stress.chain import ChainResult

STAGES = ("oxide", "metal", "magnet")


def run(ex: Exercise, wh) -> ChainResult:
    from critmin.stress.chain import parse_shock, run_chain

    shock = parse_shock(ex.chain_shock(), ex.id)
    return run_chain(shock, ex.importers, year=ex.year, draws=ex.draws, seed=ex.seed, weeks=ex.weeks,
                     first_day=ex.start, warehouse=wh)


def weekly_table(r: ChainResult) -> pd.DataFrame:
    """Per importer × sector × week: the sector's magnet shortfall P10/P50/P90 (t/week) and the importer's total
    magnet shortfall that week (the chain's own bands, not a sum of quantiles)."""
    names = r.sector_totals[["sector", "name_en", "name_zh"]].drop_duplicates("sector")
    s = r.sectors.merge(names, on="sector", how="left").rename(columns={
        "node": "importer", "name_en": "sector_en", "name_zh": "sector_zh",
        **{f"shortfall_t_magnet_p{q}": f"shortfall_t_p{q}" for q in (10, 50, 90)}})
    w = r.weekly
    tot = w[(w["metric"] == "shortfall_t") & (w["stage"] == "magnet") & (w["good"] == "magnet")]
    tot = tot.rename(columns={"node": "importer", "p10": "total_t_p10", "p50": "total_t_p50", "p90": "total_t_p90"})
    return s.merge(tot[["importer", "week", "total_t_p10", "total_t_p50", "total_t_p90"]], on=["importer", "week"],
                   how="left")


def _n(x: float) -> str:
    return f"{x:,.0f}"


def impact_lines(ex: Exercise, r: ChainResult) -> list[dict[str, str]]:
    """Stage 2 in a few lines per importer: the magnet shortfall over the exercise, the first week it shows, the
    units at risk per sector and the peak price pressure."""
    from critmin.exercise.brief import both

    out = []
    t = r.totals
    w = r.weekly
    st = r.sector_totals
    for imp in r.meta.get("nodes", ex.importers):
        row = t[(t["node"] == imp) & (t["stage"] == "magnet") & (t["good"] == "magnet") & (t["metric"] == "shortfall_t")]
        if row.empty:
            continue
        x = row.iloc[0]
        ww = w[(w["node"] == imp) & (w["stage"] == "magnet") & (w["good"] == "magnet") & (w["metric"] == "shortfall_t")]
        hit = ww[ww["p50"] > 0.5]
        first = int(hit["week"].min()) if len(hit) else None
        out.append(both("exercise.impact.total", importer=imp, weeks=ex.weeks, p10=_n(x["p10"]), p50=_n(x["p50"]),
                        p90=_n(x["p90"]), first="—" if first is None else first))
        up = t[(t["node"] == imp) & (t["good"] == "all") & (t["metric"] == "terminal_shortfall_t")
               & t["stage"].isin(["oxide", "metal"])].set_index("stage")["p50"]
        if float(up.sum()) > 0.5:
            out.append(both("exercise.impact.upstream", importer=imp, oxide=f"{up.get('oxide', 0.0):,.1f}",
                            metal=f"{up.get('metal', 0.0):,.1f}"))
        secs = st[st["node"] == imp]
        if len(secs) and x["p50"] > 0.5:
            en = "; ".join(f"{s.name_en} {_n(s.units_at_risk_p50)} {s.unit}" for s in secs.itertuples()
                           if s.sector != "other")
            zh = "；".join(f"{s.name_zh} {_n(s.units_at_risk_p50)}" for s in secs.itertuples() if s.sector != "other")
            out.append({"en": both("exercise.impact.units", importer=imp, what=en)["en"],
                        "zh": both("exercise.impact.units", importer=imp, what=zh)["zh"]})
    pi = w[(w["metric"] == "price_index") & (w["stage"] == "magnet")]
    if len(pi):
        top = pi.loc[pi["p50"].idxmax()]
        out.append(both("exercise.impact.price", value=f"{top['p50']:.2f}", week=int(top["week"])))
    return out


def parameters(r: ChainResult) -> tuple[list[dict[str, Any]], list[str]]:
    """(the shock's own parameters for the shock section, one line per ASSUMPTION for the sources section)."""
    a = r.assumptions
    shock = [{"name": x.parameter, "value": x.value, "source": x.source, "assumption": bool(x.assumption)}
             for x in a.itertuples() if x.used_in == "shock"]
    assumed = [f"ASSUMPTION: {x.parameter} = {x.value} (chain model, used in {x.used_in}; no source)"
               for x in a.itertuples() if x.assumption]
    return shock, assumed


def alternatives_by_stage(ex: Exercise, wh) -> tuple[list[dict[str, Any]], list[str]]:
    """Eligible alternative suppliers per importer and processed stage (the five with most spare capacity), and one
    note per importer and stage naming who was left out for what."""
    from critmin.catalog import load_catalog
    from critmin.catalog.economies import resolve_one
    from critmin.incidents.alternatives import by_chain

    cat = load_catalog()
    chain = str(ex.shock.get("chain", "ree_magnets"))
    rows, notes = [], []
    for imp in ex.importers:
        econ = resolve_one(imp, what="importer")
        for stage in STAGES:
            ok, out = by_chain(chain, [stage], econ, ex.supplier, ex.chain_shock(), ex.year, wh)
            for r in ok.head(5).itertuples():
                rows.append({"importer": imp, "stage": stage, "iso3": r.iso3,
                             "name_en": cat.country_name(r.iso3, "en") if cat.is_country(r.iso3) else r.iso3,
                             "name_zh": cat.country_name(r.iso3, "zh") if cat.is_country(r.iso3) else r.iso3,
                             "capacity": f"{r.capacity_t_low:,.0f}–{r.capacity_t_high:,.0f}",
                             "spare": f"{r.spare_t_per_year_low:,.0f}–{r.spare_t_per_year_high:,.0f}",
                             "basis": f"{r.basis}; {r.source}", "assumption": r.tag == "ASSUMPTION"})
            if len(out):
                why: dict[str, list[str]] = {}
                for r in out.itertuples():
                    key = r.reason.split(":")[0]
                    why.setdefault(key, []).append(r.iso3)
                notes.append(f"{imp}, {stage}: left out — " + "; ".join(
                    f"{k} ({len(v)}: {', '.join(v[:8])}{', …' if len(v) > 8 else ''})" for k, v in why.items()))
    return rows, notes
