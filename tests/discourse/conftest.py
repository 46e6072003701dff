"""Fixtures of the discourse tests: a warehouse with the demo corpus (synthetic texts + the seed texts)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# The seed texts live in ../shared/seeds beside the repository (a fresh clone in CI has shared/ beside it);
# CRITMIN_SEEDS overrides. Located from this file, so the tests do not depend on the current directory.
SEEDS = Path(os.environ.get("CRITMIN_SEEDS") or Path(__file__).parents[2] / ".." / "shared" / "seeds").resolve()


@pytest.fixture(scope="session")
def seeds_dir():
    if not sorted(SEEDS.glob("00*_*.txt")):
        pytest.fail(f"seed texts not found in {SEEDS}: clone the repository beside shared/ or set CRITMIN_SEEDS")
    return SEEDS


@pytest.fixture(scope="session")
def demo_warehouse(tmp_path_factory, seeds_dir):
    from critmin.discourse.demo import load_demo

    path = tmp_path_factory.mktemp("discourse") / "wh.duckdb"
    result = load_demo(path, seeds=seeds_dir)
    assert not result.errors
    return path
