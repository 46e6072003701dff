"""The API on the demo warehouse: every route answers, refuses the wrong role with the one error shape, and
gives the same numbers as the Python functions the CLI calls."""

from __future__ import annotations

import io
import json

import pytest
from serve_helpers import assert_error

DEP = "/api/v1/indicators/dependency?importer=EU27&material=rare_earths&years=2019-2024"


def _routes(app):
    """(method, path) of every API route in the OpenAPI document."""
    spec = app.openapi()
    return [(m.upper(), p) for p, ops in spec["paths"].items() for m in ops]


def _concrete(path: str) -> str:
    return (path.replace("{incident_id}", "INC-0001").replace("{alert_id}", "A-0").replace("{entry_id}", "x")
            .replace("{alliance}", "MSP").replace("{name}", "x").replace("{job_id}", "job_x")
            .replace("{run_id}", "stress-x").replace("{token_id}", "tok_x"))


# -- every route ------------------------------------------------------------------------------------------
def test_every_api_route_refuses_a_caller_without_token_in_the_one_shape(served):
    routes = _routes(served.app)
    assert len(routes) >= 35
    for method, path in routes:
        resp = served.client.request(method, _concrete(path))
        assert_error(resp, 401, "unauthorized")


def test_every_api_route_refuses_a_forged_or_revoked_token(served_rw):
    s = served_rw
    s.ws.tokens.revoke(s.token_ids["viewer"])
    for method, path in _routes(s.app):
        for tok in ("cm_forged", s.tokens["viewer"], "Basic abc"):
            resp = s.client.request(method, _concrete(path), headers={"authorization": f"Bearer {tok}"})
            assert_error(resp, 401, "unauthorized")


def test_every_write_route_refuses_a_viewer(served):
    writes = [(m, p) for m, p in _routes(served.app) if m in ("POST", "PUT", "DELETE")]
    assert len(writes) >= 12
    for method, path in writes:
        resp = served.client.request(method, _concrete(path), headers=served.h("viewer"), json={})
        assert resp.status_code in (403, 422), (method, path, resp.text)  # refused before or at validation
        if resp.status_code == 422:  # validation ran first: the role check must still refuse a valid body
            continue
        assert_error(resp, 403, "forbidden")


def test_admin_routes_refuse_an_analyst(served):
    for method, url in (("GET", "/api/v1/tokens"), ("POST", "/api/v1/tokens"), ("GET", "/api/v1/audit"),
                        ("GET", "/api/v1/audit/verify"), ("PUT", "/api/v1/kb/entries/x"),
                        ("DELETE", "/api/v1/kb/entries/x"), ("POST", "/api/v1/ledgers"),
                        ("DELETE", "/api/v1/tokens/tok_x")):
        body = {"role": "viewer"} if url.endswith("tokens") else ({"name": "l1"} if url.endswith("ledgers") else {"a": 1})
        assert_error(served.client.request(method, url, headers=served.h("analyst"), json=body), 403, "forbidden")


# -- error shape ------------------------------------------------------------------------------------------
def test_error_shape_for_framework_errors(served):
    assert_error(served.get("/api/v1/no/such/route"), 404, "not_found")
    assert_error(served.client.delete("/api/v1/indicators/crma", headers=served.h("admin")), 405)
    err = assert_error(served.get("/api/v1/indicators/suppliers?importer=EU27&top=abc"), 422, "invalid_input")
    assert err["detail"]["errors"][0]["field"] == "top"
    assert_error(served.get("/api/v1/indicators/dependency"), 422, "invalid_input")  # importer missing
    assert_error(served.get(DEP + "&format=xml"), 422, "invalid_input")


def test_error_shape_for_critmin_errors_names_what_was_expected(served):
    err = assert_error(served.get("/api/v1/indicators/dependency?importer=ZZZ"), 400, "bad_request")
    assert "ZZZ" in err["message"] and err["detail"]["type"] == "UsageError"


def test_errors_do_not_show_the_servers_snapshot_paths(served):
    for url in ("/api/v1/incidents/INC-9998", "/api/v1/ledgers/nope/events"):
        resp = served.get(url)
        assert_error(resp, 404)
        assert "snapshots" not in resp.text and "pid-" not in resp.text and str(served.root) not in resp.text
    assert "critmin.duckdb" in served.get("/api/v1/incidents/INC-9998").json()["error"]["message"]  # the served file


def test_unexpected_error_is_500_in_the_shape_without_internals(served, monkeypatch):
    import critmin.indicators.production as prod

    def boom(*a, **k):
        raise RuntimeError("secret internal state /etc/shadow")

    monkeypatch.setattr(prod, "production_concentration", boom)
    resp = served.get("/api/v1/indicators/production?material=cobalt&years=2021")
    assert_error(resp, 500, "internal")
    assert "secret" not in resp.text and "shadow" not in resp.text


# -- indicators -------------------------------------------------------------------------------------------
def test_dependency_equals_the_python_function(served):
    from critmin.indicators.dependency import dependency
    from critmin.warehouse.handle import Warehouse

    body = served.get(DEP).json()
    assert body["dataset"] == "dependency" and body["count"] == len(body["rows"]) == 6
    with Warehouse(served.ws.config.warehouse) as wh:
        ref = dependency("EU27", "rare_earths", years="2019-2024", warehouse=wh)
    for row, (_, r) in zip(body["rows"], ref.iterrows(), strict=True):
        assert row["year"] == r["year"] and row["top1_supplier"] == r["top1_supplier"]
        assert row["hhi"] == pytest.approx(r["hhi"], rel=1e-12)
        assert row["top1_share"] == pytest.approx(r["top1_share"], rel=1e-12)
    assert body["meta"]["provenance"][0]["source"]  # every figure can say its source


def test_indicator_answers_are_cached_per_snapshot(served):
    url = "/api/v1/indicators/production?material=cobalt&years=2020"
    a, b = served.get(url), served.get(url)
    assert a.json() == b.json()
    assert b.headers["x-critmin-cache"] == "hit"


def test_cached_answers_are_still_authorized_per_caller(served):
    """A query a viewer has made (and so cached) is refused to a partner the agreement does not allow it."""
    url = "/api/v1/indicators/dependency?importer=USA&material=cobalt&years=2023"
    assert served.get(url).status_code == 200
    assert served.get(url).headers["x-critmin-cache"] == "hit"
    assert_error(served.get(url, role="partner"), 403, "forbidden")  # importer USA not agreed
    assert_error(served.get(url, role="other"), 403, "forbidden")  # dataset not agreed
    assert_error(served.get(url, role=None), 401, "unauthorized")
    crma = "/api/v1/indicators/crma?years=2023"
    assert served.get(crma).status_code == 200
    assert_error(served.get(crma, role="partner"), 403)
    jp = "/api/v1/indicators/dependency?importer=JPN&material=cobalt&years=2023"
    served.get(jp)
    assert served.get(jp, role="partner").headers["x-critmin-cache"] == "hit"


@pytest.mark.parametrize("url", [
    "/api/v1/indicators/suppliers?importer=USA&material=cobalt&years=2023&top=3",
    "/api/v1/indicators/crma?years=2023&all=true",
    "/api/v1/indicators/production?material=cobalt&years=2022-2023",
    "/api/v1/indicators/reliance?importer=EU27&material=cobalt&years=2023",
    "/api/v1/indicators/geopolrisk?importer=USA&materials=Cobalt&years=2022",
])
def test_indicator_routes_answer_with_rows(served, url):
    body = served.get(url).json()
    assert body["count"] > 0 and body["columns"]


def test_csv_and_parquet_listings_carry_the_same_rows(served):
    import pyarrow.parquet as pq

    rows = served.get(DEP).json()["rows"]
    csv = served.get(DEP + "&format=csv")
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.strip().splitlines()
    assert lines[0].startswith("importer,material_id,year") and len(lines) == len(rows) + 1
    pq_resp = served.get(DEP, headers={"accept": "application/vnd.apache.parquet"})
    tbl = pq.read_table(io.BytesIO(pq_resp.content)).to_pylist()
    assert [r["hhi"] for r in tbl] == pytest.approx([r["hhi"] for r in rows])
    via_accept = served.client.get(DEP, headers={**served.h("viewer"), "accept": "text/csv"})
    assert via_accept.text == csv.text


# -- injection and traversal ------------------------------------------------------------------------------
@pytest.mark.parametrize("evil", ["EU27'; DROP TABLE trade; --", "EU27\" OR 1=1 --", "../../etc/passwd",
                                  "EU27\x00", "$(rm -rf /)"])
def test_injection_in_parameters_is_refused_and_changes_nothing(served, evil):
    from urllib.parse import quote

    resp = served.get(f"/api/v1/indicators/dependency?importer={quote(evil)}&material=rare_earths")
    assert resp.status_code in (400, 422)
    assert_error(resp, resp.status_code)
    resp = served.get(f"/api/v1/indicators/dependency?importer=EU27&material={quote(evil)}")
    assert resp.status_code in (400, 422)
    assert served.get(DEP).json()["count"] == 6  # the trade table is intact


@pytest.mark.parametrize("url,status", [
    ("/api/v1/exercises/..%2F..%2F..%2Fetc%2Fpasswd/runs", 404),
    ("/api/v1/ledgers/..%2Fsecrets/events", 404),  # decoded into the path: matches no route
    ("/api/v1/ledgers/..secrets/events", 422),
    ("/api/v1/kb/entries/..%2F..%2Fkb", 404),
    ("/api/v1/kb/entries/..%5C..%5Ckb", 422),
    ("/api/v1/incidents/INC-0001%27%20OR%201=1", 422),
    ("/static/..%2F..%2Fserve%2Fapp.py", 404),
    ("/static/../app.py", 404),
])
def test_path_traversal_is_refused(served, url, status):
    role = "analyst"
    method = "POST" if url.endswith("/runs") else "GET"
    resp = served.client.request(method, url, headers=served.h(role))
    assert resp.status_code == status, resp.text
    assert "import" not in resp.text  # no source file came back


# -- roles and sharing ------------------------------------------------------------------------------------
def test_partner_sees_only_what_the_agreement_grants(served):
    me = served.get("/api/v1/me", role="partner").json()
    assert me["role"] == "partner" and me["party"] == "jp-partner"
    assert me["datasets"] == ["dependency", "kb"]
    assert [d["name"] for d in served.get("/api/v1/datasets", role="partner").json()["datasets"]] == ["dependency", "kb"]
    assert served.get("/api/v1/indicators/dependency?importer=JPN&material=cobalt", role="partner").status_code == 200
    for url in ("/api/v1/alerts", "/api/v1/incidents", "/api/v1/indicators/crma", "/api/v1/stress/runs",
                "/api/v1/ledgers", "/api/v1/discourse/documents", "/api/v1/situations"):
        assert_error(served.get(url, role="partner"), 403, "forbidden")


def test_partner_may_not_query_another_partys_importers(served):
    for imp in ("EU27", "JPN,USA", "USA"):
        err = assert_error(served.get(f"/api/v1/indicators/dependency?importer={imp}&material=cobalt",
                                      role="partner"), 403, "forbidden")
        assert "JPN" in err["message"]


def test_second_party_reaches_its_incidents_but_not_the_firsts_datasets(served):
    assert served.get("/api/v1/incidents", role="other").status_code == 200
    assert_error(served.get("/api/v1/indicators/dependency?importer=JPN&material=cobalt", role="other"), 403)
    assert_error(served.get("/api/v1/kb/entries", role="other"), 403)
    assert_error(served.post("/api/v1/incidents", role="other", json={"alert_id": "A-1"}), 403)


def test_anonymous_mode_opens_public_indicators_only(served_warehouse, tmp_path):
    from serve_helpers import make_served

    s = make_served(served_warehouse, tmp_path / "anon", anonymous=True)
    try:
        assert s.get(DEP, role=None).status_code == 200
        assert s.get("/api/v1/me", role=None).json()["role"] == "anonymous"
        for url in ("/api/v1/alerts", "/api/v1/kb/entries", "/api/v1/incidents"):
            assert_error(s.get(url, role=None), 401, "unauthorized")
        assert_error(s.post("/api/v1/incidents", role=None, json={"alert_id": "A-1"}), 401)
    finally:
        s.ws.close()


def test_jobs_are_visible_to_their_owner_and_admins_only(served_rw):
    s = served_rw
    job = s.post("/api/v1/exercises/joint_exercise_magnets_2024/runs", json={"draws": 200}).json()
    assert job["job_id"].startswith("job_") and len(job["job_id"]) == 36  # 128 random bits
    assert s.get(f"/api/v1/jobs/{job['job_id']}", role="analyst").status_code == 200
    assert s.get(f"/api/v1/jobs/{job['job_id']}", role="admin").status_code == 200
    assert_error(s.get(f"/api/v1/jobs/{job['job_id']}", role="viewer"), 403)
    assert_error(s.get("/api/v1/jobs/job_" + "0" * 32, role="analyst"), 404)
    assert s.get("/api/v1/jobs", role="viewer").json()["count"] == 0
    s.ws.jobs.wait(job["job_id"], 120)


# -- alerts, situations, incidents --------------------------------------------------------------------------
def test_alerts_filter_and_inbox_says_its_basis(served):
    red = served.get("/api/v1/alerts?level=red&material=rare_earths").json()
    assert red["count"] > 0 and {r["level"] for r in red["rows"]} == {"red"}
    assert {r["material"] for r in red["rows"]} == {"rare_earths"}
    inbox = served.get("/api/v1/situations").json()
    with served.ws.store.read() as wh:
        stored = "monitor_situations" in wh.tables()
        if stored:  # the monitor stores situations (triage): the inbox is the latest run's, as stored
            from critmin.monitor.store import load_situations

            assert inbox["count"] == len(load_situations(wh)[1])
    if stored:
        assert inbox["meta"]["basis"] == "situations" and inbox["meta"]["note"] is None
        assert {"situation_id", "rank"} <= set(inbox["columns"])
    else:  # a monitor that stores no situations: the alerts, and the inbox says so
        assert inbox["meta"]["basis"] == "alerts" and "monitor_situations" in inbox["meta"]["note"]
        assert inbox["count"] == served.get("/api/v1/alerts").json()["count"]
    assert inbox["count"] > 0
    levels = [r["level"] for r in inbox["rows"]]
    order = ["red", "orange", "yellow", "blue", "none"]
    assert [order.index(lv) for lv in levels] == sorted(order.index(lv) for lv in levels)  # most severe first
    one = served.get(f"/api/v1/alerts/{red['rows'][0]['alert_id']}").json()
    assert one["alert"]["level"] == "red"
    assert_error(served.get("/api/v1/alerts/A-doesnotexist"), 400)


def test_incident_walks_its_stages_with_signed_history(served_rw, a_red_alert):
    s = served_rw
    inc = s.post("/api/v1/incidents", json={"alert_id": a_red_alert, "note": "from the inbox"})
    assert inc.status_code == 201, inc.text
    iid = inc.json()["incident_id"]
    assert inc.json()["stage"] == "fact_check"
    adv = s.post(f"/api/v1/incidents/{iid}/advance", json={"draws": 300}).json()
    assert adv["stage"] == "impact_assessment" and adv["impact_assessment"]["stress_run_id"]
    note = s.post(f"/api/v1/incidents/{iid}/notes", json={"note": "customs data confirm"}).json()
    assert note["history"][-1]["note"].endswith("customs data confirm")
    assert s.token_ids["analyst"] in note["history"][-1]["note"]  # who acted
    assert s.get(f"/api/v1/incidents/{iid}").json()["stage"] == "impact_assessment"  # the viewer reads the write
    s.post(f"/api/v1/incidents/{iid}/advance", json={"draws": 300})
    closed = s.post(f"/api/v1/incidents/{iid}/close", json={"note": "done"}).json()
    assert closed["status"] == "closed"
    assert_error(s.post(f"/api/v1/incidents/{iid}/advance"), 400)
    assert s.get("/api/v1/incidents?status=closed&format=csv").text.count(iid) == 1
    assert_error(s.get("/api/v1/incidents/INC-9999"), 404, "not_found")


# -- stress and exercises ---------------------------------------------------------------------------------
def test_exercises_list_the_bundled_scenarios(served):
    names = [e["name"] for e in served.get("/api/v1/exercises").json()["exercises"]]
    assert "joint_exercise_magnets_2024" in names


def test_stress_run_from_a_body_runs_as_a_job_and_is_fetched_later(served_rw):
    s = served_rw
    scenario = {"name": "api_test", "shock": {"supplier": "CHN", "material": "rare_earths", "cut": 0.5,
                                              "start_month": 1, "duration_months": 3},
                "baseline": {"year": 2023}, "horizon_months": 6, "importers": ["JPN", "EU27"]}
    job = s.post("/api/v1/stress/runs", json={"scenario": scenario, "draws": 200, "seed": 1})
    assert job.status_code == 202, job.text
    done = s.ws.jobs.wait(job.json()["job_id"], 120)
    assert done.status == "done", done.error
    polled = s.get(f"/api/v1/jobs/{done.job_id}", role="analyst").json()
    assert polled["progress"] == 1.0 and polled["result"]["run_id"] == done.result["run_id"]
    run = s.get(f"/api/v1/stress/runs/{done.result['run_id']}").json()
    assert run["run"]["name"] == "api_test" and run["results"]
    assert done.result["run_id"] in s.get("/api/v1/stress/runs?format=csv").text


def test_bad_scenario_is_refused_naming_the_field(served):
    err = assert_error(served.post("/api/v1/stress/runs", json={"scenario": {"name": "x", "shock": {"cut": 7}}}), 422)
    assert "shock" in json.dumps(err)
    assert_error(served.post("/api/v1/stress/runs", json={"scenario": {"name": "x"}, "draws": 10**7}), 422)


# -- knowledge base ---------------------------------------------------------------------------------------
ENTRY = {"date": "2026-11-01", "kind": "event", "actor": "EU", "title_en": "Workspace test entry",
         "title_zh": "工作台测试条目", "materials": ["rare_earths"],
         "citations": [{"seed": "002_b15c8e6b3df51052.txt", "primary": "test source"}]}


def test_kb_reads_and_admin_edits_are_validated(served_rw):
    s = served_rw
    n0 = s.get("/api/v1/kb/entries").json()["count"]
    put = s.client.put("/api/v1/kb/entries/ws-test-entry", headers=s.h("admin"), json=ENTRY)
    if put.status_code != 200:
        pytest.fail(put.text)
    listed = s.get("/api/v1/kb/entries?material=rare_earths").json()
    row = next(r for r in listed["rows"] if r["id"] == "ws-test-entry")
    assert row["source_file"] == "workspace.yaml"
    assert s.get("/api/v1/kb/entries").json()["count"] == n0 + 1
    assert_error(s.client.put("/api/v1/kb/entries/ws-test-entry", headers=s.h("admin"), json=ENTRY), 409)
    ok = s.client.put("/api/v1/kb/entries/ws-test-entry?replace=true", headers=s.h("admin"),
                      json={**ENTRY, "title_en": "Workspace test entry, revised"})
    assert ok.json()["entry"]["title_en"].endswith("revised")
    bundled = s.get("/api/v1/kb/entries").json()["rows"][0]["id"]
    assert_error(s.client.put(f"/api/v1/kb/entries/{bundled}?replace=true", headers=s.h("admin"), json=ENTRY), 409)
    err = assert_error(s.client.put("/api/v1/kb/entries/ws-bad", headers=s.h("admin"), json={**ENTRY, "kind": "rumour"}), 422)
    assert "kind" in json.dumps(err) and err["detail"]["file"] == "workspace.yaml"
    assert_error(s.client.put("/api/v1/kb/entries/ws-x", headers=s.h("analyst"), json=ENTRY), 403)
    assert s.client.delete("/api/v1/kb/entries/ws-test-entry", headers=s.h("admin")).status_code == 200
    assert_error(s.get("/api/v1/kb/entries/ws-test-entry"), 404)
    assert_error(s.client.delete(f"/api/v1/kb/entries/{bundled}", headers=s.h("admin")), 404)


def test_kb_entry_and_members(served):
    first = served.get("/api/v1/kb/entries?kind=export_control").json()["rows"][0]
    one = served.get(f"/api/v1/kb/entries/{first['id']}").json()
    assert one["id"] == first["id"] and (one.get("citations") or one.get("sources"))  # entries cite, measures source
    assert served.get("/api/v1/kb/members/MSP?year=2024").json()["count"] > 5


# -- wings ------------------------------------------------------------------------------------------------
CHAIN = [
    {"kind": "create_batch", "party": "mine", "batch": "ORE-1", "mass_kg": 1000, "stage": "mine", "origin_country": "CHN"},
    {"kind": "transfer", "party": "mine", "batch": "ORE-1", "to_party": "sep"},
]


def test_ledger_create_append_verify_and_refusals(served_rw):
    s = served_rw
    assert s.client.post("/api/v1/ledgers", headers=s.h("admin"), json={"name": "magnets"}).status_code == 201
    assert_error(s.client.post("/api/v1/ledgers", headers=s.h("admin"), json={"name": "magnets"}), 409)
    app = s.post("/api/v1/ledgers/magnets/events", json=CHAIN).json()
    assert [a["seq"] for a in app["appended"]] == [1, 2]
    bad = s.post("/api/v1/ledgers/magnets/events", json={"kind": "transfer", "party": "x", "batch": "NOPE", "to_party": "y"})
    assert bad.status_code in (400, 422) and "error" in bad.json()
    ver = s.get("/api/v1/ledgers/magnets/verify").json()
    assert ver["ok"] and ver["events"] == 2 and len(ver["head"]) == 64
    assert s.get("/api/v1/ledgers/magnets/events").json()["count"] == 2
    assert_error(s.post("/api/v1/ledgers/magnets/events", role="viewer", json=CHAIN), 403)
    assert_error(s.get("/api/v1/ledgers/nope/verify"), 404)


def test_compliance_check_of_an_uploaded_dossier(served):
    from pathlib import Path

    data = (Path(__file__).parents[1] / "compliance" / "data" / "complete.json").read_bytes()
    resp = served.post("/api/v1/compliance/check", files={"dossier": ("../../dossier.json", data)},
                       data={"regimes": "cn-export", "lang": "zh"})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["dossier"] == "dossier.json" and body["regimes"] == ["cn-export"]
    bad = served.post("/api/v1/compliance/check", files={"dossier": ("d.exe", b"MZ")})
    assert_error(bad, 415)
    broken = served.post("/api/v1/compliance/check", files={"dossier": ("mine.json", b'{"a": 1, "a": 2}')})
    err = assert_error(broken, 422)
    assert err["detail"]["file"] == "mine.json"  # the upload's name, not the server's temp file


def test_discourse_report_without_a_corpus_says_what_to_run(served):
    err = assert_error(served.get("/api/v1/discourse/report?economies=US,CN"), 400, "bad_request")
    assert "discourse" in err["message"]  # `critmin discourse add` or `demo` first
    assert_error(served.get("/api/v1/discourse/report?economies=US;DROP"), 422)


def test_discourse_score_and_listings(served):
    body = served.post("/api/v1/discourse/score", json={"text": "The supply of rare earths is a serious risk to "
                                                        "our national security. We must diversify.", "lang": "en"}).json()
    assert body["count"] >= 2 and "top_frame" in body["columns"]
    assert served.get("/api/v1/discourse/documents").json()["dataset"] == "discourse_documents"
    assert served.get("/api/v1/discourse/alerts").status_code == 200


# -- tokens and audit -------------------------------------------------------------------------------------
def test_tokens_by_api_are_shown_once_and_stored_hashed(served_rw):
    s = served_rw
    made = s.client.post("/api/v1/tokens", headers=s.h("admin"), json={"role": "partner", "party": "new-party"}).json()
    plain = made["token"]
    text = s.ws.config.tokens.read_text()
    assert plain not in text and "sha256" in text
    listed = s.client.get("/api/v1/tokens", headers=s.h("admin")).json()["tokens"]
    assert all("sha256" not in t and "token" not in t for t in listed)
    assert s.client.get("/api/v1/me", headers={"authorization": f"Bearer {plain}"}).json()["party"] == "new-party"
    s.client.delete(f"/api/v1/tokens/{made['token_id']}", headers=s.h("admin"))
    assert_error(s.client.get("/api/v1/me", headers={"authorization": f"Bearer {plain}"}), 401)
    assert_error(s.client.post("/api/v1/tokens", headers=s.h("admin"), json={"role": "partner"}), 400)


def test_audit_log_records_writes_and_partner_reads_in_a_verifiable_chain(served_rw):
    s = served_rw
    s.get(DEP)  # a viewer read: not audited
    s.get("/api/v1/indicators/dependency?importer=JPN&material=cobalt", role="partner")
    s.get("/api/v1/alerts", role="partner")  # refused partner read: audited too
    s.post("/api/v1/incidents", role="viewer", json={"alert_id": "A-1"})  # refused write
    recs = s.client.get("/api/v1/audit", headers=s.h("admin")).json()["records"]
    assert [(r["role"], r["method"], r["status"]) for r in recs] == [
        ("partner", "GET", 200), ("partner", "GET", 403), ("viewer", "POST", 403)]
    assert recs[0]["party"] == "jp-partner" and recs[0]["dataset"] == "dependency"
    assert s.client.get("/api/v1/audit/verify", headers=s.h("admin")).json()["ok"]
    lines = s.ws.config.audit.read_text().splitlines()
    forged = json.loads(lines[1])
    forged["status"] = 200  # hide the refusal
    lines[1] = json.dumps(forged, separators=(",", ":"))
    s.ws.config.audit.write_text("\n".join(lines) + "\n")
    bad = s.client.get("/api/v1/audit/verify", headers=s.h("admin")).json()
    assert not bad["ok"] and bad["first_bad"]["line"] == 2


# -- docs -------------------------------------------------------------------------------------------------
def test_docs_page_lists_every_route_offline(served):
    html = served.client.get("/docs").text
    for _, path in _routes(served.app):
        assert path in html
    assert "cdn" not in html.lower() and "https://" not in html
    assert html.count("analyst, admin") >= 12 and "partner if shared" in html  # who may call each route
    assert served.client.get("/openapi.json").json()["info"]["title"] == "critmin"
