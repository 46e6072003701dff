"""Baseline of the chain model: each stage's bilateral flows from its own HS6 codes in the warehouse (BACI),
mine production for the ore stage (World Mining Data), reported groups merged into one node, re-export hubs
found by a data rule and traced back to their own sources.

Hub rule (chains.yaml ``hubs``): an economy is a hub at a stage when it has no production or capacity there
(capacity table; mine output for the ore stage) and its imports of the stage's codes are at least
``import_ratio`` × its exports of them. A hub has no spare capacity; its exports to a node count as exposed to
the shocked supplier in the share the hub itself imports from that supplier.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from critmin.errors import UsageError

WEEKS_PER_YEAR = 365.25 / 7


@dataclass
class StageFlows:
    """One stage's annual flows (t/yr), per HS6 code, exporters × importer nodes."""

    stage: str
    hs6: list[str]
    exporters: list[str]
    nodes: list[str]
    flows: dict[str, np.ndarray]  # hs6 -> (E, N)
    source: str
    hubs: list[str] = field(default_factory=list)
    hub_supplier_share: dict[str, float] = field(default_factory=dict)  # hub -> share of its imports from S
    production: dict[str, float] = field(default_factory=dict)  # WMD (ore) t/yr by ISO3
    notes: list[str] = field(default_factory=list)

    def total(self) -> np.ndarray:
        return sum(self.flows.values()) if self.flows else np.zeros((len(self.exporters), len(self.nodes)))


def _node_map(groups: dict[str, list[str]]) -> dict[str, str]:
    return {m: n for n, ms in groups.items() for m in ms}


def stage_flows_from_frame(stage: str, hs6: list[str], df, groups: dict[str, list[str]], supplier: set[str],
                           producers: set[str], import_ratio: float, source: str) -> StageFlows:
    """A :class:`StageFlows` from tidy rows (exporter, importer, hs6, qty_t) of one year."""
    df = df[df["qty_t"].notna() & (df["qty_t"] > 0)].copy()
    if "hs6" not in df:
        df["hs6"] = hs6[0]
    df["hs6"] = df["hs6"].astype(str).str.zfill(6)
    # hub rule on the unmerged economies
    exp = df.groupby("exporter")["qty_t"].sum()
    imp = df.groupby("importer")["qty_t"].sum()
    from_s = df[df["exporter"].isin(supplier)].groupby("importer")["qty_t"].sum()
    hubs, hub_share = [], {}
    for e, x in exp.items():
        if e in supplier or e in producers or x <= 0:
            continue
        if float(imp.get(e, 0.0)) >= import_ratio * x:
            hubs.append(str(e))
            hub_share[str(e)] = min(1.0, float(from_s.get(e, 0.0)) / max(float(imp.get(e, 0.0)), 1e-12))
    node_of = _node_map(groups)
    df["node"] = df["importer"].map(lambda c: node_of.get(c, c))
    internal = df["exporter"].map(node_of).fillna("\0") == df["node"]
    notes = []
    if internal.any():
        notes.append(f"{stage}: {df.loc[internal, 'qty_t'].sum():,.0f} t of flows inside merged groups dropped")
    df = df[~internal]
    exporters = sorted(set(df["exporter"]) | set(producers))
    nodes = sorted(set(df["node"]) | set(groups))
    ei = {e: k for k, e in enumerate(exporters)}
    ni = {n: k for k, n in enumerate(nodes)}
    flows = {}
    for h in hs6:
        a = np.zeros((len(exporters), len(nodes)))
        sub = df[df["hs6"] == h]
        if not sub.empty:
            g = sub.groupby(["exporter", "node"], sort=False)["qty_t"].sum()
            np.add.at(a, (np.array([ei[e] for e, _ in g.index], dtype=int),
                          np.array([ni[n] for _, n in g.index], dtype=int)), g.to_numpy())
        flows[h] = a
    return StageFlows(stage, hs6, exporters, nodes, flows, source, sorted(hubs), hub_share, notes=notes)


def read_stage_flows(wh, chain, stage_id: str, year: int, groups: dict[str, list[str]], supplier: set[str],
                     import_ratio: float, override=None) -> StageFlows:
    """The stage's flows from the warehouse (its catalog HS6 codes), a caller's frame, or the chain's stated
    fallback (magnets when the warehouse holds no HS 850511 rows)."""
    import pandas as pd

    from critmin.catalog import load_catalog
    from critmin.stress.network import read_production, read_trade

    cat = load_catalog()
    st = chain.stage(stage_id)
    hs6 = cat.hs6_for(chain.material, st.catalog_stage)
    producers = set(chain.capacity.get(stage_id, {}))
    production: dict[str, float] = {}
    notes: list[str] = []
    if st.production == "wmd":
        mat = cat.material(chain.material)
        prod, pyear, _unit = read_production(wh, mat.wmd_commodity, year) if wh is not None else (None, None, None)
        if prod is not None:
            production = {str(r.country): float(r.qty) for r in prod.itertuples() if r.qty and r.qty > 0}
            producers |= set(production)
            notes.append(f"ore: mine production from World Mining Data {pyear} ({mat.wmd_commodity})")
    if override is not None:
        df = override.copy()
        src = f"{stage_id}: baseline given by the caller ({len(df)} rows)"
        hs6 = sorted(set(df["hs6"].astype(str).str.zfill(6))) if "hs6" in df else (hs6 or ["-"])
    elif hs6 and wh is not None:
        df = read_trade(wh, hs6, year)
        src = f"{stage_id}: BACI {year}, HS {', '.join(hs6)} (warehouse table trade)"
        if df.empty or df["qty_t"].fillna(0).sum() <= 0:
            df = None
    else:
        df = None
        src = ""
    if df is None and stage_id == "magnet" and chain.magnet_fallback is not None:
        df, src = _magnet_fallback(chain)
        hs6 = hs6 or ["850511"]
        notes.append(f"magnet: no HS {', '.join(hs6)} rows for {year} in the warehouse; stated fallback flows used "
                     "(chains.yaml magnet_fallback; load full BACI with `critmin ingest baci` to replace them)")
    if df is None:
        df = pd.DataFrame(columns=["exporter", "importer", "hs6", "qty_t"])
        src = src or f"{stage_id}: no HS6 code for this stage in the catalog; trade taken as none"
        notes.append(src)
        hs6 = hs6 or []
    sf = stage_flows_from_frame(stage_id, hs6 or ["-"], df, groups, supplier, producers, import_ratio, src)
    sf.production = production
    sf.notes = notes + sf.notes
    return sf


def _magnet_fallback(chain):
    """Midpoint flows of chains.yaml magnet_fallback (China's magnet exports by destination node; a stated
    set for other makers). Not drawn: a stated placeholder until real HS 850511 rows are loaded."""
    import pandas as pd

    fb = chain.magnet_fallback
    lo, hi = fb.CHN_exports_t_per_year.bounds()
    total = (lo + hi) / 2
    rows, used = [], 0.0
    for dest, c in fb.destination_shares.items():
        a, b = c.bounds()
        q = total * (a + b) / 2
        used += q
        rows.append(("CHN", dest, "850511", q))
    rows.append(("CHN", "ROW", "850511", max(0.0, total - used)))
    for exp, dests in fb.other_supplier_exports.items():
        for dest, q in dests.items():
            rows.append((exp, dest, "850511", float(q)))
    df = pd.DataFrame(rows, columns=["exporter", "importer", "hs6", "qty_t"])
    # a fallback destination that is a group (EU27) is already one node
    src = (f"magnet: stated fallback (China exports {total:,.0f} t/yr by destination share, midpoints; "
           "other makers' exports ASSUMPTION), not BACI")
    return df, src


def resolve_nodes(importers: list[str], year: int) -> tuple[list[str], dict[str, list[str]]]:
    """Reported node names and the members of each group node (EU27 -> its members in ``year``)."""
    from critmin.catalog import load_catalog
    from critmin.catalog.economies import resolve

    cat = load_catalog()
    names, groups = [], {}
    for spec in importers:
        for e in resolve(spec, cat):
            if e.is_group:
                members = e.members(year)
                if not members:
                    raise UsageError(f"group {e.id} has no members in {year}")
                groups[e.id] = members
            names.append(e.id)
    return list(dict.fromkeys(names)), groups


def supplier_members(supplier: str, year: int) -> set[str]:
    from critmin.catalog import load_catalog
    from critmin.catalog.economies import resolve

    out: set[str] = set()
    for e in resolve(supplier, load_catalog()):
        out |= set(e.members(year)) if e.is_group else {e.id}
    return out
