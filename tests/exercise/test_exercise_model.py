"""Exercise files: the shipped example validates, and every kind of mistake is refused with the file, the line and
the field (critmin.datafile), cross references included."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).parents[2] / "src" / "critmin" / "cli" / "examples" / "exercise_no18_magnets.yaml"


def _load(tmp_path, text: str):
    from critmin.exercise import load_exercise

    p = tmp_path / "ex.yaml"
    p.write_text(text, encoding="utf-8")
    return load_exercise(p)


def _edit(old: str, new: str) -> str:
    text = EXAMPLE.read_text(encoding="utf-8")
    assert old in text, old
    return text.replace(old, new, 1)


def _line(text: str, needle: str) -> int:
    return next(k for k, line in enumerate(text.splitlines(), 1) if needle in line)


def test_the_shipped_example_validates():
    from critmin.exercise import load_exercise

    ex, _ = load_exercise(EXAMPLE)
    assert ex.supplier == "CHN" and ex.material == "rare_earths" and ex.importers == ["EU27", "JPN", "USA"]
    assert ex.start.weekday() == 0 and ex.day(1) == ex.start and ex.day(37) == dt.date(2025, 12, 15)
    weeks = [i.week for i in ex.timeline()]
    assert weeks == sorted(weeks) and weeks[0] == 1
    kinds = {i.kind for i in ex.injects}
    assert {"announcement", "licence_backlog", "production_disruption", "stock_line", "corridor",
            "resumption"} <= kinds
    # every decision point names a participant of the file
    people = {p.id for p in ex.participants}
    assert all(d.participant in people for i in ex.injects for d in i.decisions)


@pytest.mark.parametrize(("old", "new", "needle", "field", "expected"), [
    ("start: 2025-04-07", "start: 2025-04-08", "start: 2025-04-08", "start", "a Monday"),
    ("start: 2025-04-07", "start: 2025-02-30", "start: 2025-02-30", None, "a real date"),
    ("      - participant: mofcom\n        question_en: Publish",
     "      - participant: moftec\n        question_en: Publish", "participant: moftec",
     "injects.0.decisions.1.participant", "the id of a participant"),
    ("measure: chn-2025-no18-medium-heavy-ree\n    title_en: China puts",
     "measure: chn-2025-no99\n    title_en: China puts", "measure: chn-2025-no99", "injects.0.measure",
     "knowledge-base entry"),
    ("{feed: licence_backlog_days, importer: EU27, stage: metal, value: 28}",
     "{feed: licence_backlog_days, importer: EU27, stage: metal, value: -28}", "value: -28", "injects.1.observations.0",
     "a number in [0"),
    ("{feed: strategic_stock_days, importer: JPN, value: 58, reference: 60}",
     "{feed: strategic_stock_days, importer: JPN, value: 58}", "importer: JPN, value: 58}", "injects.4.observations.0",
     "warning line"),
    ("{feed: licence_backlog_days, importer: EU27, stage: metal, value: 28}",
     "{feed: licence_backlog_days, importer: EU27, stage: metl, value: 28}", "stage: metl", "injects.1.observations.0",
     "stage: one of"),
    ("{feed: licence_backlog_days, importer: EU27, stage: metal, value: 28}",
     "{feed: licence_backlog_days, importer: EU27, stage: metal, value: .nan}", "value: .nan", None, "finite"),
    ("{feed: licence_backlog_days, importer: EU27, stage: metal, value: 28}",
     "{feed: licence_backlog_days, importer: XXQ, stage: metal, value: 28}", "importer: XXQ",
     "injects.1.observations.0.importer", "ISO3 code or group id"),
    ("    week: 37\n", "    week: 41\n", "week: 41", "injects.8.week", "within the exercise's 40 weeks"),
    ("    kind: corridor\n", "    kind: earthquake\n", "kind: earthquake", "injects.5.kind", "corridor"),
    ("  - id: line_stops\n", "  - id: backlog_grows\n", "id: backlog_grows\n    week: 8", "injects.3.id",
     "each inject id once"),
    ("weeks: 40", "weeks: 40\nweeks: 41", "weeks: 41", None, "each key once"),
    ("      - {feed: core_firm_disruption_index, importer: DEU, value: 62}\n",
     "      - {feed: core_firm_disruption_index, importer: DEU, value: 62}\n"
     "      - {feed: core_firm_disruption_index, importer: DEU, value: 63}\n", "importer: DEU, value: 63",
     "injects.3.observations.1", "one core_firm_disruption_index value for DEU per week"),
    ("importers: [EU27, JPN, USA]", "importers: [EU27, JPN, USA]\nwho: me", "who: me", "who", "unknown key"),
])
def test_mistakes_name_file_line_and_field(tmp_path, old, new, needle, field, expected):
    from critmin.exercise import ExerciseError

    text = _edit(old, new)
    with pytest.raises(ExerciseError) as err:
        _load(tmp_path, text)
    e = err.value
    assert e.file.endswith("ex.yaml")
    assert e.record == _line(text, needle.split("\n")[0]) or (needle.count("\n") and e.record is not None)
    if field is not None:
        assert e.field == field
    assert expected in e.expected


def test_cli_refuses_a_bad_file_in_one_line(tmp_path):
    from typer.testing import CliRunner

    from critmin.cli import app
    from critmin.exercise import ExerciseError

    p = tmp_path / "ex.yaml"
    p.write_text(_edit("start: 2025-04-07", "start: 2025-04-09"), encoding="utf-8")
    res = CliRunner().invoke(app, ["exercise", "run", str(p), "--out", str(tmp_path / "o")])
    assert isinstance(res.exception, ExerciseError) and res.exception.exit_code == 2  # main() exits with it
    assert "ex.yaml" in str(res.exception) and "a Monday" in str(res.exception)
    assert not (tmp_path / "o").exists()  # nothing half-written


@pytest.mark.parametrize(("old", "new", "needle", "field", "expected"), [
    ("  measure: chn-2025-no18-medium-heavy-ree", "  measure: chn-2025-no99", "measure: chn-2025-no99",
     "shock.measure", "export-control measure"),
    ("  regime: {kind: licence}", "  regime: {kind: licence, approval_share: 1.5}", "approval_share: 1.5",
     "shock.regime.approval_share", "between 0 and 1"),
    ("  regime: {kind: licence}", "  regime: {kind: licence}\n  start: 2025-04-04", "start: 2025-04-04", "shock",
     "come from the knowledge base"),
])
def test_the_shock_is_checked_by_the_chain_model(tmp_path, old, new, needle, field, expected):
    from critmin.exercise import ExerciseError

    text = _edit(old, new)
    with pytest.raises(ExerciseError) as err:
        _load(tmp_path, text)
    e = err.value
    assert e.field == field and expected in e.expected
    assert e.record is None or e.record == _line(text, needle) or e.record == _line(text, "shock:")


def test_relief_injects_become_general_licences_of_the_chain_shock():
    from critmin.exercise import load_exercise
    from critmin.stress.chain import parse_shock

    ex, _ = load_exercise(EXAMPLE)
    sh = ex.chain_shock()
    gl = sh["general_licences"]
    assert [(g["from"], g["share"], g["destinations"]) for g in gl] == [
        ("2025-06-30", 0.5, ["EU27"]), ("2025-12-15", 0.8, ["EU27"])]
    assert all(g["source"].startswith("ASSUMPTION") for g in gl)
    assert "general_licences" not in ex.shock  # the file's own shock is untouched
    parse_shock(sh, "x")


def test_check_validates_without_a_warehouse(tmp_path, monkeypatch):
    import json

    from typer.testing import CliRunner

    from critmin.cli import app

    monkeypatch.setenv("CRITMIN_WAREHOUSE", str(tmp_path / "none.duckdb"))  # never opened
    r = CliRunner().invoke(app, ["exercise", "check", str(EXAMPLE), "--format", "json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)
    assert [x["week"] for x in rows] == [1, 4, 7, 8, 9, 10, 13, 17, 37]
    assert rows[0]["measure"] == "chn-2025-no18-medium-heavy-ree"
    assert not (tmp_path / "none.duckdb").exists()
    r = CliRunner().invoke(app, ["exercise", "check", str(EXAMPLE), "--lang", "zh"])
    assert "是有效的推演文件" in r.output
