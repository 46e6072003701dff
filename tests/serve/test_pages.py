"""The dashboard pages over the real app (no browser): every page renders for the roles that may see it, is
refused with the API's message to those that may not, and the forms change what they say they change."""

from __future__ import annotations

import pytest

PAGES = ["/ui/inbox", "/ui/material/rare_earths", "/ui/economy/EU27", "/ui/incidents", "/ui/runs", "/ui/kb",
         "/ui/datasets"]


@pytest.mark.parametrize("url", PAGES)
def test_pages_render_for_a_viewer_in_both_languages(served, url):
    en = served.get(url)
    assert en.status_code == 200, en.text[:500]
    assert "https://" not in en.text.split("<main>")[0]  # assets are local
    zh = served.get(url + ("&" if "?" in url else "?") + "lang=zh")
    assert zh.status_code == 200 and 'lang="zh-CN"' in zh.text


def test_pages_send_anonymous_visitors_to_sign_in(served):
    r = served.client.get("/ui/inbox", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"


def test_partner_pages_follow_the_agreement(served):
    assert served.get("/ui/kb", role="partner").status_code == 200
    for url in ("/ui/inbox", "/ui/incidents", "/ui/runs", "/ui/material/cobalt?importer=EU27"):
        r = served.get(url, role="partner")
        assert r.status_code == 403 and 'id="error-message"' in r.text, url
    assert served.get("/ui/material/cobalt?importer=JPN", role="partner").status_code == 200
    assert served.get("/ui/material/cobalt", role="partner").status_code == 200  # starts on its importer
    assert 'href="/ui/economy/JPN"' in served.get("/ui/datasets", role="partner").text


def test_material_page_lists_measures_with_their_state_from_the_kb(served):
    import datetime as dt

    from critmin.kb.controls import controls_on

    html = served.get("/ui/material/rare_earths").text
    hits = controls_on(dt.date.today(), material="rare_earths", kb=served.ws.kb.knowledge_base())
    assert hits, "the KB records rare-earth controls"
    for h in hits[:5]:
        assert h.measure_id in html
    assert html.count('data-state="') >= len(hits)


def test_unknown_material_is_a_404_page(served):
    r = served.get("/ui/material/unobtainium")
    assert r.status_code == 404 and "unobtainium" in r.text


def test_admin_adds_a_kb_entry_through_the_form(served_rw):
    s = served_rw
    body = ("date: 2026-11-02\nkind: event\nactor: EU\ntitle_en: Form entry\ntitle_zh: 表单条目\n"
            "materials: [cobalt]\ncitations:\n  - seed: 002_b15c8e6b3df51052.txt\n    primary: test\n")
    r = s.client.post("/ui/kb", headers=s.h("admin"), data={"entry_id": "ws-form-entry", "body": body},
                      follow_redirects=False)
    assert r.status_code == 303, r.text[:500]
    assert "ws-form-entry" in s.get("/ui/kb?material=cobalt").text
    refused = s.client.post("/ui/kb", headers=s.h("analyst"), data={"entry_id": "ws-x", "body": body})
    assert refused.status_code == 403


def test_analyst_starts_an_exercise_from_the_runs_page(served_rw):
    s = served_rw
    r = s.client.post("/ui/runs", headers=s.h("analyst"), data={"exercise": "joint_exercise_magnets_2024",
                                                                 "draws": "200"}, follow_redirects=False)
    assert r.status_code == 303
    job = s.ws.jobs.list()[0]
    assert s.ws.jobs.wait(job.job_id, 120).status == "done"
    page = s.get("/ui/runs", role="analyst").text
    assert job.result["run_id"] in page
    assert s.client.post("/ui/runs", headers=s.h("viewer"), data={"exercise": "x"}).status_code == 403


def test_analyst_opens_an_incident_from_a_situation_row(served_rw):
    import re

    s = served_rw
    html = s.get("/ui/inbox", role="analyst").text
    ids = re.findall(r'name="alert_id" value="([^"]+)"', html)
    assert ids, "situation rows carry the alert an incident opens from"
    r = s.client.post("/ui/incidents", headers=s.h("analyst"), data={"alert_id": ids[0]}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/ui/incidents/INC-")
    inc = s.get("/api/v1" + r.headers["location"][3:]).json()
    assert inc["alert_id"] == ids[0] and inc["stage"] == "fact_check"
    assert 'name="alert_id"' not in s.get("/ui/inbox", role="viewer").text  # no button for a viewer
