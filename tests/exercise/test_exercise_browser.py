"""The brief in Debian's headless Chromium: it loads without console errors, its charts render from the shared
plotly.js, and under print media the navigation hides, the main sections start on a new page and the page prints
to a multi-page A4 PDF."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

EXAMPLE = Path(__file__).parents[2] / "src" / "critmin" / "cli" / "examples" / "exercise_no18_magnets.yaml"


@pytest.fixture(scope="module")
def brief(demo_warehouse, tmp_path_factory) -> Path:
    from critmin.exercise.api import run_exercise

    return run_exercise(EXAMPLE, out=tmp_path_factory.mktemp("brief-browser"), warehouse=str(demo_warehouse)).brief


def _rendered(drv) -> int:
    return drv.execute_script("return Array.from(document.querySelectorAll('.js-plotly-plot'))"
                              ".filter(d => d.querySelector('svg.main-svg')).length;")


def test_brief_loads_renders_and_prints(brief, driver):
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(brief.as_uri())
    WebDriverWait(driver, 60).until(lambda d: d.execute_script("return document.readyState") == "complete")
    charts = driver.execute_script("return document.querySelectorAll('div.chart').length;")
    WebDriverWait(driver, 60).until(lambda d: _rendered(d) == charts)
    errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    assert not errors, errors
    cards = driver.execute_script("return document.querySelectorAll('section.inject').length;")
    assert cards == 9
    zh = driver.execute_script("return document.querySelectorAll('[lang=\"zh-CN\"]').length;")
    assert zh > 50  # the Chinese half is in the page, marked for fonts and screen readers

    def style(sel, prop):
        return driver.execute_script(f"return getComputedStyle(document.querySelector('{sel}'))['{prop}'];")

    assert style("nav.toc", "display") != "none"
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert style("nav.toc", "display") == "none"
        assert style("h2#timeline", "breakBefore") == "page"
        assert style("section.inject", "breakInside") == "avoid"
    finally:
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    pdf = base64.b64decode(driver.execute_cdp_cmd("Page.printToPDF", {"preferCSSPageSize": True,
                                                                      "printBackground": True})["data"])
    assert pdf[:4] == b"%PDF"
    assert pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") + pdf.count(b"/Type/Page") >= 4
