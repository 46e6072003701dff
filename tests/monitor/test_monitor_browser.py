"""The report in Debian's headless Chromium (driven by Selenium through Debian's chromedriver, nothing
downloaded): no console errors, and the Plotly charts rendered."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def report(built_warehouse, tmp_path_factory) -> Path:
    from critmin.monitor import run_monitor

    base = tmp_path_factory.mktemp("browser")
    wh = base / "critmin.duckdb"
    shutil.copy(built_warehouse, wh)  # the session warehouse stays untouched
    res = run_monitor(base / "report", lang="en", materials="rare_earths,cobalt,lithium,graphite",
                      as_of="2026-11-23", warehouse=str(wh), save=False)
    return res.html


def _rendered(drv) -> int:
    return drv.execute_script(
        "return Array.from(document.querySelectorAll('.js-plotly-plot'))"
        ".filter(d => d.querySelector('svg.main-svg')).length;")


def test_report_renders_without_console_errors(report, driver):
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(report.as_uri())
    WebDriverWait(driver, 60).until(lambda d: d.execute_script("return document.readyState") == "complete")
    expected = driver.execute_script("return document.querySelectorAll('div.chart').length;")
    assert expected >= 6  # summary + two per material + timeline
    WebDriverWait(driver, 60).until(lambda d: _rendered(d) == expected)
    assert _rendered(driver) == expected
    errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    assert not errors, errors
    # the summary cards and the alert table are there, and the CRMA alert on rare-earth metals is listed
    assert driver.execute_script("return document.querySelectorAll('tr[data-rule]').length;") > 0
    assert "280530" in driver.find_element("id", "key-alerts").text
