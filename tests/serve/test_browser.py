"""The dashboard in Debian's headless Chromium (Selenium through Debian's chromedriver, nothing downloaded),
against a real uvicorn server on loopback: sign in with a token, filter the inbox, open a material page (charts
and the offline map drawn, no console errors), advance an incident as analyst, be refused as viewer, see only
the shared datasets as partner."""

from __future__ import annotations

import os
import socket
import threading
import time

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1280,1000"]


@pytest.fixture(scope="module")
def site(served_warehouse, tmp_path_factory):
    """A uvicorn server on a free loopback port, in a thread, over a private copy of the served warehouse."""
    import uvicorn
    from serve_helpers import make_served

    s = make_served(served_warehouse, tmp_path_factory.mktemp("site"))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(s.app, host="127.0.0.1", port=port, log_level="warning"))
    th = threading.Thread(target=server.run, daemon=True)
    th.start()
    t0 = time.monotonic()
    while not server.started:
        assert time.monotonic() - t0 < 30, "uvicorn did not start"
        time.sleep(0.05)
    s.base = f"http://127.0.0.1:{port}"
    yield s
    server.should_exit = True
    th.join(10)
    s.ws.close()


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


def _login(drv, site, role: str) -> None:
    drv.delete_all_cookies()
    drv.get(site.base + "/login")
    drv.find_element("id", "token").send_keys(site.tokens[role])
    drv.find_element("id", "login-submit").click()
    _until_url(drv, lambda u: "/login" not in u)
    _ready(drv)


def _until_url(drv, ok) -> None:
    """Wait for the navigation a click started (readyState alone may still describe the old page)."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(drv, 60).until(lambda d: ok(d.current_url))


def _ready(drv) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(drv, 60).until(lambda d: d.execute_script("return document.readyState") == "complete")


def _errors(drv) -> list:
    return [e for e in drv.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]


def test_sign_in_and_filter_the_inbox(site, driver):
    from selenium.webdriver.support.ui import Select, WebDriverWait

    driver.get(site.base + "/ui/inbox")
    _ready(driver)
    assert driver.current_url.endswith("/login")  # no token, no inbox
    driver.find_element("id", "token").send_keys("cm_wrong")
    driver.find_element("id", "login-submit").click()
    WebDriverWait(driver, 60).until(lambda d: d.find_elements("id", "login-error"))
    assert driver.find_element("id", "login-error").is_displayed()
    driver.get_log("browser")  # drain: the refused sign-in's 401 is expected
    _login(driver, site, "viewer")
    assert driver.find_element("id", "whoami").get_attribute("data-role") == "viewer"
    total = len(driver.find_elements("css selector", "#inbox tbody tr"))
    assert total > 3
    basis = site.get("/api/v1/situations").json()["meta"]["basis"]
    assert driver.find_element("id", "inbox-basis").get_attribute("data-basis") == basis
    first = driver.find_element("css selector", "#inbox tbody tr")
    level, material = first.get_attribute("data-level"), first.get_attribute("data-material")
    Select(driver.find_element("id", "f-level")).select_by_value(level)
    Select(driver.find_element("id", "f-material")).select_by_value(material)
    driver.find_element("id", "f-submit").click()
    _until_url(driver, lambda u: f"level={level}" in u)
    _ready(driver)
    rows = driver.find_elements("css selector", "#inbox tbody tr")
    assert 0 < len(rows) < total
    assert {r.get_attribute("data-level") for r in rows} == {level}
    assert {r.get_attribute("data-material") for r in rows} == {material}
    api = site.get(f"/api/v1/situations?level={level}&material={material}").json()
    assert len(rows) == api["count"]  # the page and the API agree
    driver.find_element("id", "lang-switch").click()  # zh/en switch
    _until_url(driver, lambda u: "lang=zh" in u)
    _ready(driver)
    assert "收件箱" in driver.find_element("tag name", "h1").text
    driver.get(site.base + "/ui/inbox?lang=en")
    _ready(driver)
    assert _errors(driver) == []


def test_material_page_draws_trend_and_offline_map(site, driver):
    from selenium.webdriver.support.ui import WebDriverWait

    _login(driver, site, "viewer")
    driver.get(site.base + "/ui/inbox?level=red&material=rare_earths")
    _ready(driver)
    driver.find_element("css selector", "#inbox tbody tr td a[href^='/ui/material/']").click()
    _until_url(driver, lambda u: "/ui/material/" in u)
    _ready(driver)
    assert driver.find_element("id", "material-title").get_attribute("data-material") == "rare_earths"
    WebDriverWait(driver, 60).until(lambda d: d.execute_script(
        "return document.querySelectorAll('.js-plotly-plot svg.main-svg').length") >= 2)
    # the map's country shapes came from /static/topojson (no CDN): choropleth paths are drawn
    WebDriverWait(driver, 60).until(lambda d: d.execute_script(
        "return document.querySelectorAll('#fig-map .choroplethlocation').length") > 5)
    rows = driver.find_elements("css selector", "#suppliers tbody tr")
    assert len(rows) >= 3
    from urllib.parse import parse_qs, urlparse

    importer = parse_qs(urlparse(driver.current_url).query)["importer"][0]
    year = site.get(f"/api/v1/indicators/dependency?importer={importer}&material=rare_earths").json()["rows"][-1]["year"]
    api = site.get(f"/api/v1/indicators/suppliers?importer={importer}&material=rare_earths&years={year}&top=1").json()
    assert rows[0].text.split()[0] == api["rows"][0]["supplier"]  # the page and the API agree
    assert _errors(driver) == []


def test_analyst_advances_an_incident_and_viewer_is_refused(site, driver):
    alert = site.get("/api/v1/alerts?level=red").json()["rows"][0]["alert_id"]
    iid = site.post("/api/v1/incidents", json={"alert_id": alert}).json()["incident_id"]
    _login(driver, site, "viewer")
    driver.get(f"{site.base}/ui/incidents/{iid}")
    _ready(driver)
    assert driver.find_elements("id", "advance") == []  # no button for a viewer
    status = driver.execute_script(  # and the action itself is refused
        f"return fetch('/ui/incidents/{iid}/advance', {{method: 'POST'}}).then(r => r.status);")
    assert status == 403
    _login(driver, site, "analyst")
    driver.get(f"{site.base}/ui/incidents/{iid}")
    _ready(driver)
    assert driver.find_element("id", "incident-title").get_attribute("data-stage") == "fact_check"
    driver.find_element("css selector", "#advance-form input[name=note]").send_keys("assessed in the browser")
    driver.find_element("id", "advance").click()
    _until_url(driver, lambda u: "done=advance" in u)
    _ready(driver)
    assert driver.find_element("id", "incident-title").get_attribute("data-stage") == "impact_assessment"
    assert "assessed in the browser" in driver.find_element("id", "history").text
    assert site.get(f"/api/v1/incidents/{iid}").json()["stage"] == "impact_assessment"


def test_partner_sees_only_shared_datasets(site, driver):
    _login(driver, site, "partner")
    assert driver.current_url.endswith("/ui/datasets")
    shown = [li.get_attribute("data-dataset") for li in driver.find_elements("css selector", "#datasets li")]
    assert shown == ["dependency", "kb"]
    nav = {a.get_attribute("data-nav") for a in driver.find_elements("css selector", "nav a[data-nav]")}
    assert nav == {"materials", "economies", "kb", "datasets"}
    driver.get(site.base + "/ui/inbox")
    _ready(driver)
    assert "may not read dataset 'alerts'" in driver.find_element("id", "error-message").text
    driver.get(site.base + "/ui/economy/USA")
    _ready(driver)
    assert "JPN" in driver.find_element("id", "error-message").text  # only its agreed importer
    driver.get(site.base + "/ui/economy/JPN")
    _ready(driver)
    assert driver.find_elements("css selector", "#economy tbody tr")
    recs = site.ws.audit.records()
    assert any(r["party"] == "jp-partner" and r["path"] == "/ui/inbox" and r["status"] == 403 for r in recs)
