"""Fixtures of the discourse tests: a warehouse with the demo corpus (synthetic texts + the seed texts)."""

from __future__ import annotations

import warnings

import pytest

warnings.filterwarnings("ignore", message=".*Dictionary.create.*")


@pytest.fixture(scope="session")
def seeds_dir():
    from critmin.discourse.demo import default_seeds_dir

    d = default_seeds_dir()
    if d is None:  # pragma: no cover - the seeds live next to the repository (DESIGN.md)
        pytest.skip("../shared/seeds not available")
    return d


@pytest.fixture(scope="session")
def demo_warehouse(tmp_path_factory, seeds_dir):
    from critmin.discourse.demo import load_demo

    path = tmp_path_factory.mktemp("discourse") / "wh.duckdb"
    result = load_demo(path, seeds=seeds_dir)
    assert not result.errors
    return path
