from __future__ import annotations

import json

from typer.testing import CliRunner

from critmin.cli import app

runner = CliRunner()


def test_score_from_stdin_as_json():
    r = runner.invoke(app, ["discourse", "score", "-", "--format", "json"],
                      input="我们坚决反对滥用出口管制。We warmly welcome the new partnership.")
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    assert [x["language"] for x in rows] == ["zh", "en"]
    assert rows[0]["polarity"] < 0 < rows[1]["polarity"]
    assert rows[1]["top_frame"] == "alliances_cooperation"


def test_add_report_list_watch_and_eval(tmp_path):
    wh = str(tmp_path / "wh.duckdb")
    r = runner.invoke(app, ["discourse", "demo", "--no-seeds", "--warehouse", wh, "--format", "csv"])
    assert r.exit_code == 0, r.output
    (tmp_path / "a.txt").write_text("Our allies must act now.", encoding="utf-8")
    (tmp_path / "m.csv").write_text("path,economy,actor,date,genre\na.txt,US,X,2026-01-05,speech\n"
                                    "nothere.txt,US,X,2026-01-05,speech\n", encoding="utf-8")
    r = runner.invoke(app, ["discourse", "add", str(tmp_path / "m.csv"), "--warehouse", wh])
    assert r.exit_code == 1 and "nothere.txt" in r.output
    r = runner.invoke(app, ["discourse", "list", "--warehouse", wh, "--format", "json"])
    assert len(json.loads(r.stdout)) == 26
    out = tmp_path / "rep.html"
    r = runner.invoke(app, ["discourse", "report", "--economies", "US,EU,JP", "--warehouse", wh, "--out", str(out)])
    assert r.exit_code == 0, r.output
    # plotly.js is the one shared file beside the page (issue 16), the page itself stays small
    assert (tmp_path / "plotly.min.js").stat().st_size > 1_000_000 and out.stat().st_size < 2_000_000
    r = runner.invoke(app, ["discourse", "report", "--format", "xml", "--warehouse", wh])
    assert r.exit_code != 0
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "AU_2026-02-01_x.txt").write_text("This is a disastrous, unfair and harmful decision.", encoding="utf-8")
    r = runner.invoke(app, ["discourse", "watch", str(inbox), "--warehouse", wh, "--format", "json"])
    assert r.exit_code == 0, r.output
    assert "AU" in r.output
    r = runner.invoke(app, ["discourse", "alerts", "--warehouse", wh, "--economy", "au", "--format", "json"])
    assert r.exit_code == 0 and {a["economy"] for a in json.loads(r.stdout)} == {"AU"}
    r = runner.invoke(app, ["discourse", "eval", "--method", "lexicon", "--split", "dev", "--format", "csv"])
    assert r.exit_code == 0 and "macro" in r.stdout


def test_every_discourse_command_is_documented():
    from pathlib import Path

    from critmin.cli.commands.discourse import sub

    doc = (Path(__file__).resolve().parents[2] / "docs" / "discourse.md").read_text(encoding="utf-8")
    names = [c.name for c in sub.registered_commands]
    assert names and all(f"critmin discourse {n}" in doc for n in names)
