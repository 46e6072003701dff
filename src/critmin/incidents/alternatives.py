"""Alternative suppliers for incident stage 3 (and the exercise brief), by stage, with capacity.

Where a chain of the chain model covers the material (rare earths: ore → oxide → metal → magnet), the candidates
are the chain's own (:func:`critmin.stress.chain.alternatives`): refiners, metal and magnet makers with their
cited capacity at the stage asked — never mine output above the ore stage — with the shock's source, re-export
hubs (the chain's hub rule) and economies hit by the same shock (they take half or more of their input from the
source) flagged and left out, each with its reason. The importer's own members are left out too (their output
is already the importer's).

Other materials keep the indicator ranking (:func:`critmin.indicators.suppliers.alternative_suppliers`) with two
corrections: mine production counts as capacity only for an ore/concentrate alert (a mine is not a supplier of
metal), and the same hub rule (the chain file's ``hubs.import_ratio``) removes economies that export the codes
without producing them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

ORE = "ore_concentrate"


def chain_stages(material: str, catalog_stage: str | None) -> tuple[str, list[str]] | None:
    """(chain id, chain stages) covering ``material`` at ``catalog_stage`` (all processed stages when the
    alert names none: a stock or a core-firm alert is about the material as a whole), or None."""
    from critmin.stress.chain_data import load_chains

    for cid, ch in load_chains().chains.items():
        if ch.material != material:
            continue
        if catalog_stage:
            st = [s.id for s in ch.stages if s.catalog_stage == catalog_stage]
        else:
            st = [s.id for s in ch.stages if s.id != "ore"]
        return (cid, st) if st else None
    return None


def by_chain(chain_id: str, stages: list[str], importer, supplier: str, shock, year: int,
             wh) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(eligible, excluded) rows over ``stages`` from the chain model, eligible ranked by spare capacity then by
    existing exports to the importer."""
    import pandas as pd

    from critmin.stress.chain import alternatives

    parts = [alternatives(st, importer.id, year=year, shock=shock, chain=chain_id, warehouse=wh) for st in stages]
    df = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if df.empty:
        return df, df
    own = set(importer.members(year))
    own_rows = df["iso3"].isin(own)  # whatever else is said of them, they are the importer itself
    df.loc[own_rows, "reason"] = (f"a member of {importer.id} (its output is already the importer's)"
                                  if importer.is_group else "the importer itself")
    df.loc[own_rows, "eligible"] = False
    df["spare_t_per_year_mid"] = (df["spare_t_per_year_low"] + df["spare_t_per_year_high"]) / 2
    df["capacity_t_mid"] = (df["capacity_t_low"] + df["capacity_t_high"]) / 2
    ok = df[df["eligible"]].sort_values(["spare_t_per_year_mid", "exports_to_importer_t"], ascending=False,
                                         kind="stable")
    return ok.reset_index(drop=True), df[~df["eligible"]].reset_index(drop=True)


def hub_rule(wh, hs6: list[str], year: int, producers: set[str], supplier: set[str]) -> list[str]:
    """Economies that export the codes without producing them and import at least ``import_ratio`` × what they
    export (the chain file's rule, one place), e.g. Hong Kong, Singapore, Switzerland in rare-earth trade."""
    from critmin.stress.chain_baseline import stage_flows_from_frame
    from critmin.stress.chain_data import load_chains

    lo, hi = load_chains().hubs.import_ratio.bounds()
    df = wh.sql("select exporter, importer, hs6, qty_t from trade where year = ? and list_contains(?, hs6)",
                [int(year), list(hs6)]).df()
    return stage_flows_from_frame("any", list(hs6), df, {}, supplier, producers, (lo + hi) / 2, "trade").hubs


def generic(importer, hs6: list[str], year: int, supplier: str, commodity: str | None, catalog_stage: str | None,
            wh) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """(eligible, excluded, capacity criterion) for a material without a chain."""
    import pandas as pd

    from critmin.catalog.economies import resolve_one
    from critmin.indicators.suppliers import alternative_suppliers

    src = (set(resolve_one(supplier, what="supplier").members(year)) | {supplier}) if supplier else set()
    own = set(importer.members(year))
    mine_counts = catalog_stage == ORE  # production is mine output: capacity only at the ore stage
    ranked = alternative_suppliers(importer, hs6, year, src | own, commodity if mine_counts else None, warehouse=wh)
    producers = set(ranked.loc[ranked["production_t"].fillna(0) > 0, "iso3"]) if mine_counts else set()
    hubs = set(hub_rule(wh, hs6, year, producers, src))
    excluded = pd.DataFrame({"iso3": sorted(hubs & set(ranked["iso3"])), "reason": "re-export hub (hub rule)"})
    ok = ranked[~ranked["iso3"].isin(hubs)].reset_index(drop=True)
    ok.attrs.update(ranked.attrs)
    return ok, excluded, ranked.attrs["capacity"]


def measure_shock(fact: dict[str, Any], supplier: str):
    """The shock stage 3 judges 'hit by the same shock' against: the first export control of the supplier in
    force on the as-of date that covers the alert's codes (knowledge base), else None (every stage covered)."""
    ids = [c["id"] for c in fact.get("active_controls", []) if c.get("id")]
    if ids:
        return ids[0]
    return {"supplier": supplier, "start": fact.get("as_of"), "coverage": {"ore": "all", "oxide": "all",
                                                                          "metal": "all", "magnet": "all"},
            "regime": {"kind": "volume", "cut": 1.0}} if supplier else None
