"""Synthetic four-stage chains for chain-model tests: real chains.yaml parameters, random flows (no warehouse)."""

from __future__ import annotations

import numpy as np

from critmin.stress.chain import simulate_chain
from critmin.stress.chain_baseline import StageFlows
from critmin.stress.chain_data import STAGE_ORDER, load_chains
from critmin.stress.chain_shock import parse_shock, resolve_shock

EXPORTERS = ["CHN", "MYS", "JPN", "EST", "USA", "VNM", "DEU", "HKG"]
NODES = ["EU27", "JPN", "USA", "KOR", "IND"]
GROUPS = {"EU27": ["DEU", "EST", "FRA"]}
HS = {"ore": ["-"], "oxide": ["284610", "284690"], "metal": ["280530"], "magnet": ["850511"]}


def stages_from(flows: dict[str, np.ndarray], production: dict[str, float] | None = None) -> dict[str, StageFlows]:
    """StageFlows from {hs6: (len(EXPORTERS), len(NODES))} annual arrays; HKG is a traced-back hub."""
    out = {}
    for sid in STAGE_ORDER:
        f = {h: np.asarray(flows.get(h, np.zeros((len(EXPORTERS), len(NODES)))), dtype=float) for h in HS[sid]}
        out[sid] = StageFlows(sid, HS[sid], list(EXPORTERS), list(NODES), f, f"synthetic {sid}",
                              hubs=["HKG"], hub_supplier_share={"HKG": 0.8},
                              production=dict(production or {}) if sid == "ore" else {})
    return out


def random_flows(rng: np.random.Generator, scale: float = 1000.0) -> dict[str, np.ndarray]:
    flows = {}
    for hs in ("284610", "284690", "280530", "850511"):
        a = rng.uniform(0, scale, (len(EXPORTERS), len(NODES))) * (rng.random((len(EXPORTERS), len(NODES))) < 0.7)
        a[0] += rng.uniform(0.2, 3.0, len(NODES)) * scale  # China supplies every node something
        flows[hs] = a
    return flows


def run_synthetic(shock: dict, flows: dict[str, np.ndarray], *, draws: int = 8, seed: int = 0, weeks: int = 20,
                  nodes=("EU27", "JPN"), cfile=None, first_day=None):
    """simulate_chain on synthetic flows with the real chain parameters; raw draws kept."""
    cf = cfile or load_chains()
    chain = cf.chain("ree_magnets")
    sh = parse_shock(shock, "<test>")
    stages = stages_from(flows)
    res = resolve_shock(sh, {s: v.hs6 for s, v in stages.items()})
    return simulate_chain(sh, res, chain, cf, stages, list(nodes), GROUPS, {"CHN"}, year=2024, draws=draws,
                          seed=seed, weeks=weeks, first_day=first_day, keep_draws=True, band_draws=draws, t0=0.0,
                          t_read=0.0, stage_order=STAGE_ORDER)


def goods(r, node: str):
    """{(stage, good): metrics} from a run's raw draws."""
    out: dict = {}
    for key, a in r.draws_data.items():
        if len(key) == 4 and key[0] == node:
            out.setdefault((key[1], key[2]), {})[key[3]] = a.astype(np.float64)
    return out
