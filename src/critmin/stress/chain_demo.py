"""A seeded synthetic four-stage chain (random flows, the real chains.yaml parameters), no warehouse needed:
what the chain tests, the benchmark and examples run on (house rule 7: one small demo set for all three)."""

from __future__ import annotations

import numpy as np

from critmin.stress.chain_baseline import StageFlows
from critmin.stress.chain_data import STAGE_ORDER

EXPORTERS = ["CHN", "MYS", "JPN", "EST", "USA", "VNM", "DEU", "HKG"]
NODES = ["EU27", "JPN", "USA", "KOR", "IND"]
GROUPS = {"EU27": ["DEU", "EST", "FRA"]}
HS = {"ore": ["-"], "oxide": ["284610", "284690"], "metal": ["280530"], "magnet": ["850511"]}


def demo_flows(rng: np.random.Generator, scale: float = 1000.0, ore: bool = False) -> dict[str, np.ndarray]:
    """{hs6: (exporters, nodes)} annual tonnes; China supplies every node at every stage (and ore if asked)."""
    flows = {}
    for hs in (["-"] if ore else []) + ["284610", "284690", "280530", "850511"]:
        a = rng.uniform(0, scale, (len(EXPORTERS), len(NODES))) * (rng.random((len(EXPORTERS), len(NODES))) < 0.7)
        a[0] += rng.uniform(0.2, 3.0, len(NODES)) * scale
        flows[hs] = a
    return flows


def demo_stages(flows: dict[str, np.ndarray], production: dict[str, float] | None = None) -> dict[str, StageFlows]:
    """StageFlows from :func:`demo_flows`; HKG is a re-export hub importing 80 % from China."""
    out = {}
    for sid in STAGE_ORDER:
        f = {h: np.asarray(flows.get(h, np.zeros((len(EXPORTERS), len(NODES)))), dtype=float) for h in HS[sid]}
        out[sid] = StageFlows(sid, HS[sid], list(EXPORTERS), list(NODES), f, f"synthetic {sid}", hubs=["HKG"],
                              hub_supplier_share={"HKG": 0.8},
                              production=dict(production or {}) if sid == "ore" else {})
    return out


def demo_run(shock: dict, flows: dict[str, np.ndarray], *, draws: int = 8, seed: int = 0, weeks: int = 20,
             nodes=("EU27", "JPN"), cfile=None, first_day=None, keep_draws: bool = True,
             production: dict[str, float] | None = None, band_draws: int | None = None):
    """:func:`critmin.stress.chain.simulate_chain` on demo flows with the real chain parameters."""
    import time

    from critmin.stress.chain import simulate_chain
    from critmin.stress.chain_data import load_chains
    from critmin.stress.chain_shock import parse_shock, resolve_shock

    t0 = time.perf_counter()
    cf = cfile or load_chains()
    chain = cf.chain("ree_magnets")
    sh = parse_shock(shock, "<demo>")
    stages = demo_stages(flows, production)
    res = resolve_shock(sh, {s: v.hs6 for s, v in stages.items()})
    return simulate_chain(sh, res, chain, cf, stages, list(nodes), GROUPS, {"CHN"}, year=2024, draws=draws,
                          seed=seed, weeks=weeks, first_day=first_day, keep_draws=keep_draws,
                          band_draws=band_draws or min(draws, 20_000), t0=t0, t_read=time.perf_counter(),
                          stage_order=STAGE_ORDER)
