"""Chain-model test helpers over the seeded demo chain (critmin.stress.chain_demo)."""

from __future__ import annotations

import numpy as np

from critmin.stress.chain_demo import demo_flows, demo_run


def random_flows(rng: np.random.Generator, scale: float = 1000.0) -> dict[str, np.ndarray]:
    return demo_flows(rng, scale)


def run_synthetic(shock: dict, flows: dict[str, np.ndarray], **kw):
    return demo_run(shock, flows, **kw)


def goods(r, node: str):
    """{(stage, good): metrics} from a run's raw draws."""
    out: dict = {}
    for key, a in r.draws_data.items():
        if isinstance(key, tuple) and len(key) == 4 and key[0] == node:
            out.setdefault((key[1], key[2]), {})[key[3]] = a.astype(np.float64)
    return out
