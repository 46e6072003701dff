"""Fixtures of the analyst-experience tests: the demo warehouse as the default one."""

from __future__ import annotations

import pytest


@pytest.fixture
def demo_default(demo_warehouse, monkeypatch, tmp_path):
    """The demo warehouse as ``$CRITMIN_WAREHOUSE`` (a copy, so a test may write to it), run from ``tmp_path``."""
    import shutil

    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_warehouse, path)
    monkeypatch.setenv("CRITMIN_WAREHOUSE", str(path))
    monkeypatch.chdir(tmp_path)
    return path
