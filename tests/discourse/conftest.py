"""Fixtures of the discourse tests: a warehouse with the demo corpus (synthetic texts + the seed texts)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# The seed texts live in ../shared/seeds beside the repository (a fresh clone in CI has shared/ beside it);
# CRITMIN_SEEDS overrides. Located from this file, so the tests do not depend on the current directory.
SEEDS = Path(os.environ.get("CRITMIN_SEEDS") or Path(__file__).parents[2] / ".." / "shared" / "seeds").resolve()


HAVE_SEEDS = bool(sorted(SEEDS.glob("00*_*.txt")))


@pytest.fixture(scope="session")
def seeds_dir():
    """The seed texts; they are an extra beside a clone, so tests that need them skip without them (CI sets
    CRITMIN_REQUIRE_SEEDS=1 where shared/ is beside the clone, turning the skip into a failure)."""
    if not HAVE_SEEDS:
        msg = f"seed texts not found in {SEEDS} (clone beside shared/ or set CRITMIN_SEEDS)"
        if os.environ.get("CRITMIN_REQUIRE_SEEDS") == "1":
            pytest.fail(msg)
        pytest.skip(msg)
    return SEEDS


@pytest.fixture(scope="session")
def demo_warehouse(tmp_path_factory):
    """The demo corpus: the synthetic texts, plus the seed texts when they are beside the clone."""
    from critmin.discourse.demo import load_demo

    path = tmp_path_factory.mktemp("discourse") / "wh.duckdb"
    result = load_demo(path, seeds=SEEDS if HAVE_SEEDS else None, with_seeds=HAVE_SEEDS)
    assert not result.errors
    return path
