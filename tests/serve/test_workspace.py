"""The workspace underneath the API: snapshot reads while others write or rebuild, token storage, the
sharing-agreement format, the audit chain across processes, and the CLI that manages tokens."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

SRC = str(Path(__file__).parents[2] / "src")


def _env():
    return {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}


def test_reads_go_on_while_another_process_writes_then_see_its_write(served_rw):
    """An ingest-like writer holds the warehouse (writer lock + DuckDB write lock) for seconds: API reads keep
    answering from the snapshot without waiting, and the first read after it finished sees its table."""
    s = served_rw
    s.ws.store.check_every = 0.0
    url = "/api/v1/indicators/production?material=cobalt&years=2023"
    assert s.get(url).status_code == 200
    gen0 = s.ws.store.generation()
    code = (f"from critmin.warehouse.handle import Warehouse; import time, sys\n"
            f"wh = Warehouse({str(s.ws.config.warehouse)!r}, read_only=False, command='test ingest')\n"
            f"wh.con.execute('create table serve_probe as select 42 as x')\n"
            f"print('held', flush=True); time.sleep(4); wh.close()\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=_env())
    try:
        assert proc.stdout.readline().strip() == "held"
        slowest = 0.0
        for q in ("cobalt", "lithium", "rare_earths"):
            t0 = time.perf_counter()
            r = s.get(f"/api/v1/indicators/production?material={q}&years=2022")
            slowest = max(slowest, time.perf_counter() - t0)
            assert r.status_code == 200, r.text
        assert slowest < 3.0  # answered from the snapshot, not after the writer's 4 s
        assert s.ws.store.generation() == gen0  # the writer still holds the file: the old copy serves
    finally:
        assert proc.wait(30) == 0
    assert s.ws.store.generation() > gen0
    with s.ws.store.read() as wh:
        assert "serve_probe" in wh.tables()


def test_a_build_swapping_the_file_is_picked_up_and_the_old_copy_removed(served_rw):
    import duckdb

    s = served_rw
    s.ws.store.check_every = 0.0
    with s.ws.store.read() as wh:
        old_snap = wh.path
        assert "rebuilt_marker" not in wh.tables()
    new = s.root / ".rebuilt.duckdb"
    shutil.copy(s.ws.config.warehouse, new)
    con = duckdb.connect(str(new))
    con.execute("create table rebuilt_marker as select 1 as x")
    con.close()
    os.replace(new, s.ws.config.warehouse)  # what a build does at its end
    with s.ws.store.read() as wh:
        assert "rebuilt_marker" in wh.tables()
    assert not old_snap.exists()


def test_the_server_holds_no_writer_lock_between_requests(served_rw, a_red_alert):
    from critmin.warehouse.lock import holder_of, holds_lock

    s = served_rw
    assert s.post("/api/v1/incidents", json={"alert_id": a_red_alert}).status_code == 201
    path = s.ws.config.warehouse
    assert not holds_lock(path) and holder_of(path) is None
    code = (f"from critmin.warehouse.handle import Warehouse\n"
            f"Warehouse({str(path)!r}, read_only=False, command='probe').close(); print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_env(), timeout=60,
                         check=False)
    assert out.stdout.strip() == "ok", out.stderr


def test_tokens_are_stored_as_sha256_and_checked(tmp_path):
    from critmin.errors import UsageError
    from critmin.serve.tokens import TokenStore, digest

    store = TokenStore(tmp_path / "tokens.json")
    plain, tok = store.add("analyst", "ann")
    text = (tmp_path / "tokens.json").read_text()
    assert plain not in text and digest(plain) in text
    assert oct((tmp_path / "tokens.json").stat().st_mode & 0o777) == "0o600"
    assert store.check(plain).token_id == tok.token_id
    assert store.check(plain + "x") is None and store.check("") is None and store.check(None) is None
    store.revoke(tok.token_id)
    assert store.check(plain) is None
    with pytest.raises(UsageError, match="party"):
        store.add("partner")
    with pytest.raises(UsageError, match="role"):
        store.add("superuser")


def test_sharing_agreement_errors_name_file_line_and_field(tmp_path):
    from critmin.serve.sharing import AgreementFile, SharingError, parse

    with pytest.raises(SharingError) as e:
        parse("parties:\n  p1:\n    datasets: [dependency, secrets]\n", "sharing.yaml")
    assert e.value.file == "sharing.yaml" and e.value.field == "parties.p1.datasets" and "secrets" in str(e.value)
    with pytest.raises(SharingError, match="sharing.yaml"):
        parse("parties:\n  p1:\n    dataset: [kb]\n", "sharing.yaml")  # misspelt key
    ag = parse("parties:\n  p1:\n    datasets: [kb]\n    expires: 2020-01-01\n", "s.yaml")
    assert not ag.grants("p1", "kb")  # expired
    assert AgreementFile(tmp_path / "absent.yaml").get().datasets_of("p1") == []


def test_audit_chain_holds_with_two_processes_appending(tmp_path):
    from critmin.serve.audit import AuditLog

    path = tmp_path / "audit.jsonl"
    code = (f"from critmin.serve.audit import AuditLog\nlog = AuditLog({str(path)!r})\n"
            f"for i in range(40): log.append(token_id='p', method='POST', path='/x', status=200, i=i)\n")
    procs = [subprocess.Popen([sys.executable, "-c", code], env=_env()) for _ in range(2)]
    assert [p.wait(60) for p in procs] == [0, 0]
    rep = AuditLog(path).verify()
    assert rep["ok"] and rep["lines"] == 80
    lines = path.read_text().splitlines()
    del lines[10]  # a removed line breaks the chain right there
    path.write_text("\n".join(lines) + "\n")
    bad = AuditLog(path).verify()
    assert not bad["ok"] and bad["first_bad"]["line"] == 11


def test_cli_token_add_list_revoke(tmp_path, served_warehouse):
    from typer.testing import CliRunner

    from critmin.cli import app

    args = ["--warehouse", str(served_warehouse), "--state", str(tmp_path / "st")]
    run = CliRunner().invoke(app, ["serve", "token", "add", "--role", "partner", "--party", "jp-partner",
                                   "--name", "Partner desk", *args])
    assert run.exit_code == 0, run.output
    plain = run.stdout.strip().splitlines()[0]
    assert plain.startswith("cm_")
    listed = CliRunner().invoke(app, ["serve", "token", "list", "--format", "json", *args])
    rows = json.loads(listed.stdout)
    assert rows[0]["party"] == "jp-partner" and "sha256" not in rows[0] and plain not in listed.stdout
    assert plain not in (tmp_path / "st" / "tokens.json").read_text()
    rev = CliRunner().invoke(app, ["serve", "token", "revoke", rows[0]["token_id"], *args])
    assert rev.exit_code == 0 and "revoked" in rev.stdout
    bad = CliRunner().invoke(app, ["serve", "token", "add", "--role", "partner", *args])
    assert bad.exit_code != 0
    from critmin.serve.audit import AuditLog

    assert [r["path"] for r in AuditLog(tmp_path / "st" / "audit.jsonl").records()] == [
        "serve token add", "serve token revoke"]


def test_snapshot_folders_of_dead_servers_are_cleaned(tmp_path, served_warehouse):
    from critmin.serve.snapshot import SnapshotStore

    dead = tmp_path / "snaps" / "pid-999999999"
    dead.mkdir(parents=True)
    (dead / "snap-1.duckdb").write_bytes(b"x")
    store = SnapshotStore(served_warehouse, tmp_path / "snaps")
    assert not dead.exists()
    with store.read() as wh:
        assert "trade" in wh.tables()
    store.close()
