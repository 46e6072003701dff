"""Job records outlive the server: a finished stress job is polled after a restart on the same state folder; a job
cut off by the stop comes back failed as 'interrupted', never as running forever; job files are written whole."""

from __future__ import annotations

import json
import threading

from serve_helpers import make_served

SCENARIO = {"name": "restart_test", "shock": {"supplier": "CHN", "material": "rare_earths", "cut": 0.5,
                                              "start_month": 1, "duration_months": 3},
            "baseline": {"year": 2023}, "horizon_months": 6, "importers": ["JPN"]}


def test_finished_job_is_polled_after_a_restart(served_warehouse, tmp_path):
    from fastapi.testclient import TestClient

    from critmin.serve.app import create_app

    s = make_served(served_warehouse, tmp_path / "srv")
    try:
        job = s.post("/api/v1/stress/runs", json={"scenario": SCENARIO, "draws": 100, "seed": 1}).json()
        done = s.ws.jobs.wait(job["job_id"], 120)
        assert done.status == "done", done.error
        before = s.get(f"/api/v1/jobs/{done.job_id}", role="analyst").json()
        config = s.ws.config
    finally:
        s.ws.close()
    files = list(config.jobs.glob("job_*.json"))
    assert [f.stem for f in files] == [done.job_id]
    assert not list(config.jobs.glob(".*.tmp"))  # no half-written file left behind
    app = create_app(config)  # the restart: a new workspace on the same state folder and warehouse
    try:
        client = TestClient(app, raise_server_exceptions=False)
        h = {"authorization": f"Bearer {s.tokens['analyst']}"}
        after = client.get(f"/api/v1/jobs/{done.job_id}", headers=h).json()
        assert after == before and after["result"]["run_id"] == done.result["run_id"]
        assert client.get(f"/api/v1/stress/runs/{after['result']['run_id']}", headers=h).status_code == 200
        viewer = {"authorization": f"Bearer {s.tokens['viewer']}"}
        assert client.get(f"/api/v1/jobs/{done.job_id}", headers=viewer).status_code == 403  # owner kept
    finally:
        app.state.workspace.close()


def test_job_running_at_the_stop_comes_back_interrupted(tmp_path):
    from critmin.serve.jobs import Jobs

    gate, started = threading.Event(), threading.Event()

    def slow(step):
        step("computing", 0.5)
        started.set()
        gate.wait(30)
        return {"ok": True}

    first = Jobs(folder=tmp_path / "jobs")
    job = first.submit("stress", "tok1", {"draws": 10}, slow)
    assert started.wait(30)
    on_disk = json.loads((tmp_path / "jobs" / f"{job.job_id}.json").read_text(encoding="utf-8"))
    assert (on_disk["status"], on_disk["phase"], on_disk["owner"]) == ("running", "computing", "tok1")
    second = Jobs(folder=tmp_path / "jobs")  # the server restarted while the job ran
    back = second.get(job.job_id)
    assert back.status == "failed" and back.error["code"] == "interrupted" and back.owner == "tok1"
    gate.set()
    first.wait(job.job_id, 30)
    second.shutdown()
    first.shutdown()
    (tmp_path / "jobs" / "job_broken.json").write_text("{not json", encoding="utf-8")
    third = Jobs(folder=tmp_path / "jobs")  # a damaged file is skipped with a warning, the rest load
    assert third.get(job.job_id) is not None and third.get("job_broken") is None
    third.shutdown()
