"""The `critmin comply` and `critmin ledger` commands: output, languages and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

from compliance_helpers import DATA, apply_patch, complete_doc_dict
from typer.testing import CliRunner

from critmin.cli import app
from critmin.compliance.rules import load_pack
from critmin.errors import InputError

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_check_complete_dossier_exits_zero(tmp_path, verified_doc, custody):
    p = tmp_path / "d.json"
    p.write_text(json.dumps(verified_doc), encoding="utf-8")
    r = run("comply", "check", p, "--regimes", "cn-export,eu-csddd,eu-crma-magnet", "--ledger", custody.path)
    assert r.exit_code == 0 and "no findings" in r.output and "not applicable" in r.output
    # no ledger: custody unverified, a CSDDD readiness finding (CSDDD applies from 2028-07-26 at the earliest)
    r = run("comply", "check", p, "--regimes", "cn-export,eu-csddd,eu-crma-magnet", "--readiness")
    assert r.exit_code == 0 and "unverified" in r.output


def test_check_exit_codes_and_formats(tmp_path):
    doc = apply_patch(complete_doc_dict(), {"delete": ["end_use", "traceability.cn_trace_system_id"]})
    p = tmp_path / "d.json"
    p.write_text(json.dumps(doc), encoding="utf-8")
    r = run("comply", "check", p, "--regimes", "cn-export,eu-crma-magnet", "--format", "json", "--lang", "zh")
    assert r.exit_code == 5
    rows = json.loads(r.output)["findings"]
    assert {x["rule_id"] for x in rows} == {"CN-EXP-004", "CN-EXP-005", "CN-EXP-013"}
    assert {x["severity"] for x in rows} == {"错误", "警告", "建议"}
    r = run("comply", "check", p, "--regimes", "eu-crma-magnet", "--format", "csv")  # nothing binds in 2026
    assert r.exit_code == 0 and r.output.startswith("rule_id,regime,severity,path")
    r = run("comply", "check", p, "--regimes", "cn-export")
    assert r.exit_code == 5 and "CN-EXP-004" in r.output and "exit code 5" in r.output


def test_bad_dossier_is_one_line_and_exit_2(tmp_path):
    p = tmp_path / "bad.json"
    p.write_text('{"dossier_id": "X", "items": [{"line_no": 0}]}', encoding="utf-8")
    r = run("comply", "check", p)
    assert isinstance(r.exception, InputError) and "items.0.line_no" in str(r.exception)
    exe = Path(sys.executable).parent / "critmin"
    proc = subprocess.run([str(exe), "comply", "check", str(p)], capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("error: ") and "line_no" in proc.stderr


def test_crosswalk_matrix_rules_controls_schema(tmp_path):
    r = run("comply", "crosswalk", "cn-export", "eu-csddd", "--format", "json")
    assert r.exit_code == 0 and len(json.loads(r.output)) == len(load_pack("cn-export").rules)
    assert run("comply", "matrix", "--format", "csv").output.startswith("regime,against,rules,met,partial,unique")
    assert "CN-EXP-008" in run("comply", "rules", "--regimes", "cn-export", "--format", "csv").output
    ctl = json.loads(run("comply", "controls", "--as-of", "2026-01-01", "--format", "json").output)
    from critmin.compliance.controls import cn_measures
    from critmin.kb.state import state_on

    no57 = next(m for m in cn_measures() if m.instrument == "MOFCOM/GAC 2025 No. 57")
    assert {c["id"]: c["status"] for c in ctl}[no57.id] == state_on(no57, date(2026, 1, 1)) == "suspended"
    out = tmp_path / "schema.json"
    assert run("comply", "schema", "--out", out).exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8"))["title"] == "Dossier"


def test_template_command(tmp_path):
    r = run("comply", "template", "--regimes", "cn-export,eu-csddd", "--out", tmp_path)
    assert r.exit_code == 0
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".json", ".xlsx"]


def test_ledger_commands_end_to_end(tmp_path):
    led = tmp_path / "l.db"
    assert run("ledger", "init", led).exit_code == 0
    assert run("ledger", "keygen", "--out", tmp_path / "sep").exit_code == 0
    pub = (tmp_path / "sep.pub").read_text().strip()
    events = tmp_path / "e.json"
    events.write_text(json.dumps([
        {"kind": "create_batch", "party": "sep", "batch": "OX", "mass_kg": 100, "stage": "separation"},
        {"kind": "recycle_in", "party": "sep", "batch": "SCR", "mass_kg": 25, "source": "post_consumer"},
        {"kind": "transform", "party": "sep", "inputs": [{"batch": "OX", "mass_kg": 100}, {"batch": "SCR", "mass_kg": 25}],
         "outputs": [{"batch": "MAG", "mass_kg": 120, "stage": "magnet"}]},
    ]))
    assert run("ledger", "append", led, events).exit_code == 0
    reg = tmp_path / "reg.json"
    reg.write_text(json.dumps({"kind": "register_party", "party": "sep", "public_key": pub}))
    r = run("ledger", "append", led, reg, "--key", tmp_path / "sep.pem")  # too late: sep already acted unsigned
    assert type(r.exception).__name__ == "LedgerRefused" and "'sep'" in str(r.exception)
    reg.write_text(json.dumps({"kind": "register_party", "party": "mag-plant", "public_key": pub}))
    assert run("ledger", "append", led, reg, "--key", tmp_path / "sep.pem").exit_code == 0
    r = run("ledger", "history", led, "MAG", "--format", "json")
    assert r.exit_code == 0 and len(json.loads(r.output)) == 3
    assert "20.00 %" in run("ledger", "history", led, "MAG").output
    r = run("ledger", "verify", led)
    assert r.exit_code == 0 and "verified" in r.output
    out = tmp_path / "dossier_with_evidence.json"
    assert run("ledger", "export", led, "MAG", "--out", out, "--into", DATA / "complete.json").exit_code == 0
    d = json.loads(out.read_text(encoding="utf-8"))
    assert d["chain_of_custody"]["recycled_share_pct"] == 20.0 and d["chain_of_custody"]["verified"] is True
    # tamper, then verify names the event and exits 6
    import sqlite3

    con = sqlite3.connect(led)
    con.execute("DROP TRIGGER events_no_update")
    con.execute("UPDATE events SET body=replace(body, '25', '95') WHERE seq=2")
    con.commit()
    con.close()
    r = run("ledger", "verify", led, "--lang", "zh")
    assert r.exit_code == 6 and "事件 2" in r.output and "篡改" in r.output


def test_import_xlsx_and_events_commands(tmp_path):
    from critmin.compliance.template import write_template

    _, xpath = write_template(["cn-export"], tmp_path)
    out = tmp_path / "d.json"
    r = run("comply", "import-xlsx", xpath, "--out", out)
    assert r.exit_code == 0 and json.loads(out.read_text(encoding="utf-8"))["dossier_id"] == "DOSSIER-ID"
    led = tmp_path / "l.db"
    run("ledger", "init", led)
    ev = tmp_path / "e.json"
    ev.write_text(json.dumps({"kind": "create_batch", "party": "m", "batch": "B", "mass_kg": 5, "stage": "mine"}))
    run("ledger", "append", led, ev)
    rows = json.loads(run("ledger", "events", led, "--format", "json").output)
    assert [r["kind"] for r in rows] == ["create_batch"]


def test_issue_command_lines_in_both_languages(tmp_path, monkeypatch):
    """The command lines of issue 7 as written, in English, in Chinese (--lang zh) and via CRITMIN_LANG."""
    regimes = "cn-export,eu-csddd,eu-crma-magnet"
    p = tmp_path / "d.json"
    p.write_text(json.dumps(apply_patch(complete_doc_dict(), {"delete": ["end_use"]})), encoding="utf-8")
    en = run("comply", "check", p, "--regimes", regimes, "--lang", "en")
    zh = run("comply", "check", p, "--regimes", regimes, "--lang", "zh")
    assert en.exit_code == zh.exit_code == 5
    assert "Findings for dossier" in en.output and "3 error(s), 2 warning(s)" in en.output
    assert "核查结果" in zh.output and "错误 3 项，警告 2 项" in zh.output
    monkeypatch.setenv("CRITMIN_LANG", "zh")
    assert run("comply", "check", p, "--regimes", regimes).output == zh.output
    rows = json.loads(run("comply", "crosswalk", "cn-export", "eu-csddd", "--format", "json").output)
    assert {r["relation_label"] for r in rows} == {"已满足", "部分满足", "独有"}
    assert "规则对照" in run("comply", "crosswalk", "cn-export", "eu-csddd").output
    monkeypatch.delenv("CRITMIN_LANG")
    assert run("comply", "crosswalk", "cn-export", "eu-csddd", "--lang", "ZH").output.count("规则对照") == 1
    r = run("comply", "template", "--regimes", regimes, "--out", tmp_path / "tpl")
    assert r.exit_code == 0
    assert sorted(q.suffix for q in (tmp_path / "tpl").iterdir()) == [".json", ".xlsx"]


def test_ledger_file_problems_are_input_errors_not_tracebacks(tmp_path):
    """Each of these was a Python traceback: a key file that is not there, a ledger in a folder that cannot
    be created, a folder given as the ledger. Now a typed error naming the path (one line in the CLI)."""
    led = tmp_path / "l.db"
    assert run("ledger", "init", led).exit_code == 0
    ev = tmp_path / "e.json"
    ev.write_text(json.dumps({"kind": "create_batch", "party": "p", "batch": "B1", "mass_kg": 5, "stage": "metal"}),
                  encoding="utf-8")
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    for args, name in ((("ledger", "append", led, ev, "--key", tmp_path / "nokey.pem"), "nokey.pem"),
                       (("ledger", "init", blocker / "sub" / "x.db"), "x.db"),
                       (("ledger", "verify", tmp_path), str(tmp_path)),
                       (("ledger", "history", tmp_path, "B1"), str(tmp_path))):
        r = run(*args)
        assert isinstance(r.exception, InputError), (args, r.exception)
        assert name in str(r.exception)
    assert run("ledger", "verify", led).exit_code == 0  # the refused append left the ledger untouched
    assert json.loads(run("ledger", "events", led, "--format", "json").output) == []
