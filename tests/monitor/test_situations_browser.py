"""The default run's report in headless Chromium: the executive summary is the first thing on the page, the
situation table filters and sorts, and the top ten holds the EU27 rare-earth and the export-control situations."""

from __future__ import annotations

import json
import shutil

import pytest

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def default_report(built_warehouse, tmp_path_factory):
    from critmin.monitor import run_monitor

    base = tmp_path_factory.mktemp("sit-browser")
    wh = base / "critmin.duckdb"
    shutil.copy(built_warehouse, wh)
    res = run_monitor(base / "report", lang="en", as_of="2026-11-23", warehouse=str(wh), save=False)
    return res


@pytest.fixture(scope="module")
def page(default_report, driver):
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(default_report.html.as_uri())
    WebDriverWait(driver, 60).until(lambda d: d.execute_script("return document.readyState") == "complete")
    return driver


def _visible_rows(drv) -> list[dict]:
    return drv.execute_script(
        "return Array.from(document.querySelectorAll('#situation-table tbody tr'))"
        ".filter(r => r.style.display !== 'none')"
        ".map(r => ({id: r.dataset.situation, level: r.dataset.level, importer: r.dataset.importer,"
        " text: r.textContent}));")


def test_summary_is_the_first_thing_on_the_page(page, default_report):
    first = page.execute_script("return document.querySelector('main').firstElementChild.id;")
    assert first == "exec"
    top = page.execute_script("return document.getElementById('exec').getBoundingClientRect().top;")
    height = page.execute_script("return window.innerHeight;")
    assert 0 <= top < height / 2  # on the first screen, right under the title
    text = page.find_element("id", "exec").text
    assert "Executive summary" in text and "Latest trade year 2024" in text and "2026-11-23" in text
    items = page.find_elements("css selector", "#top-ten li")
    assert len(items) == 10
    assert items[0].get_attribute("data-situation") == default_report.situations["situation_id"].iloc[0]
    assert not [e for e in page.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]


def test_top_ten_holds_the_eu27_rare_earths_and_the_export_controls(page, default_report):
    ids = [li.get_attribute("data-situation") for li in page.find_elements("css selector", "#top-ten li")]
    assert any(i.startswith("EU27|rare_earths|") for i in ids)
    doc = json.loads(default_report.situations_json.read_text(encoding="utf-8"))
    controls = [s["situation_id"] for s in doc["situations"]
                if s["level"] == "red" and "control=red" in s["signals"]]
    assert controls and set(controls) <= set(ids)
    # supplier and stage names are shown in words, not codes
    text = page.find_element("id", "top-ten").text
    assert "compounds" in text and "European Union" not in text or "EU27" in text


def test_filters_and_sorting_work(page, default_report):
    from selenium.webdriver.support.ui import Select

    s = default_report.situations
    shown = min(len(s), 400)
    assert len(_visible_rows(page)) == shown
    Select(page.find_element("id", "f-level")).select_by_value("red")
    rows = _visible_rows(page)
    assert len(rows) == int((s["level"] == "red").sum()) and {r["level"] for r in rows} == {"red"}
    Select(page.find_element("id", "f-level")).select_by_value("")
    Select(page.find_element("id", "f-importer")).select_by_value("EU27")
    rows = _visible_rows(page)
    assert len(rows) == int((s["importer"] == "EU27").sum()) and {r["importer"] for r in rows} == {"EU27"}
    box = page.find_element("id", "f-text")
    box.send_keys("graphite")
    rows = _visible_rows(page)
    assert rows and all("graphite" in r["text"].lower() for r in rows)
    assert page.find_element("id", "f-count").text.startswith(f"{len(rows)} / ")
    box.clear()
    box.send_keys(" ")  # clear() sends no input event: type, then empty again
    page.execute_script("var b = document.getElementById('f-text'); b.value = '';"
                        "b.dispatchEvent(new Event('input'));")
    Select(page.find_element("id", "f-importer")).select_by_value("")
    # sort by imports (8th column), descending on the second click
    header = page.find_elements("css selector", "#situation-table thead th")[7]
    header.click()
    header.click()
    values = page.execute_script(
        "return Array.from(document.querySelectorAll('#situation-table tbody tr'))"
        ".map(r => parseFloat(r.cells[7].dataset.sort));")
    assert values == sorted(values, reverse=True)


def test_page_is_small_and_usable_quickly(page, default_report):
    size = default_report.html.stat().st_size
    assert size <= 2_000_000
    ms = page.execute_script("var n = performance.getEntriesByType('navigation')[0];"
                             "return n.domContentLoadedEventEnd - n.startTime;")
    usable = page.execute_script("return performance.getEntriesByName('cm-usable')[0].startTime;")
    assert usable < 2000 and ms < 2000, f"table usable after {usable:.0f} ms, DOMContentLoaded after {ms:.0f} ms"
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(page, 60).until(lambda d: d.execute_script(
        "return Array.from(document.querySelectorAll('.js-plotly-plot'))"
        ".filter(d => d.querySelector('svg.main-svg')).length") == d.execute_script(
        "return document.querySelectorAll('div.chart').length;"))
    rendered = page.execute_script(
        "return Array.from(document.querySelectorAll('.js-plotly-plot'))"
        ".filter(d => d.querySelector('svg.main-svg')).length;")
    assert rendered == page.execute_script("return document.querySelectorAll('div.chart').length;")
    # one colour per country: China's bars and lines share one colour in every chart
    colours = page.execute_script(
        "var out = new Set();"
        "document.querySelectorAll('.js-plotly-plot').forEach(function (d) {"
        " (d.data || []).forEach(function (t) { if (t.name === 'China' || t.name === 'CHN') {"
        "  out.add((t.marker && t.marker.color) || (t.line && t.line.color)); } }); });"
        "return Array.from(out);")
    assert len(colours) <= 1
