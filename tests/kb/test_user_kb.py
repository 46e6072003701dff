"""Analysts extend the KB: a user folder (--kb / CRITMIN_KB) merged with the bundled records, `kb check`
naming file, record and field for every problem, and `kb new` templates that load."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from critmin.cli import app
from critmin.errors import UsageError
from critmin.kb import load_kb, state_on
from critmin.kb.check import check, currency
from critmin.kb.template import template

# a user correction: No. 57 with a (hypothetical) extension of the suspension read by the analyst
REPLACEMENT = """
my-no57:
  kind: export_control
  replaces: chn-2025-no57-more-medium-heavy-ree
  jurisdiction: CHN
  issuer: MOFCOM/GAC
  instrument: MOFCOM/GAC 2025 No. 57
  title_en: Five more medium and heavy rare earths (analyst copy)
  title_zh: 五种中重稀土（分析员版本）
  announced: 2025-10-09
  effective: 2025-11-08
  suspensions:
    - {from: 2025-11-07, until: 2026-11-10, by: chn-2025-no70-suspension}
  scope:
    - {id: ree, kind: goods, title_en: Ho Er Tm Eu Yb items, elements: [Ho, Er, Tm, Eu, Yb]}
  sources:
    - {title: analyst note on the text, url: "https://example.org/note", supports: dates, verification: secondary}
  reviewed: 2026-12-01
"""


def _folder(tmp_path, text, name="mine.yaml"):
    d = tmp_path / "kb"
    d.mkdir(exist_ok=True)
    (d / name).write_text(text, encoding="utf-8")
    return d


def test_user_folder_merges_and_replaces(tmp_path, monkeypatch):
    d = _folder(tmp_path, REPLACEMENT)
    kb = load_kb(d)
    assert "my-no57" in kb.entries and "chn-2025-no57-more-medium-heavy-ree" not in kb.entries
    assert len(kb) == len(load_kb())  # one replaced by one
    # without unknown_after the analyst's copy says: back in force after the suspension
    assert state_on(kb.entries["my-no57"], "2026-11-11") == "in_force"
    assert currency(kb)["user_files"] == 1
    monkeypatch.setenv("CRITMIN_KB", str(d))
    assert "my-no57" in load_kb().entries  # the setting, as every command reads it
    monkeypatch.delenv("CRITMIN_KB")
    res = CliRunner().invoke(app, ["kb", "show", "my-no57", "--kb", str(d), "--format", "json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["replaces"] == "chn-2025-no57-more-medium-heavy-ree"


def test_missing_folder_is_an_error(tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        load_kb(tmp_path / "nope")


def test_kb_check_names_file_record_field(tmp_path):
    bad = REPLACEMENT.replace("effective: 2025-11-08", "effective: 2025-10-01")  # before announced
    d = _folder(tmp_path, bad)
    (d / "two.yaml").write_text(
        "x-event:\n  kind: event\n  actor: USA\n  title_en: An event\n  title_zh: 事件\n  date: 2026-01-02\n"
        "  materials: [unobtainium]\n  citations: [{primary: p, url: 'https://example.org'}]\n", encoding="utf-8")
    (d / "three.yaml").write_text(
        "y-event:\n  kind: event\n  actor: USA\n  title_en: An event\n  title_zh: 事件\n  date: 2026-01-02\n"
        "  related: [nowhere]\n  citations: [{primary: p, url: 'https://example.org'}]\n", encoding="utf-8")
    df = check(d, bundled=False)
    errors = df[df["level"] == "error"]
    assert set(errors["file"]) == {"mine.yaml", "two.yaml", "three.yaml"}
    row = errors[errors["file"] == "mine.yaml"].iloc[0]
    assert "my-no57" in row["record"] or row["record"].startswith("line")
    assert "effective" in row["message"]
    assert "materials" in errors[errors["file"] == "two.yaml"].iloc[0]["field"]
    r3 = errors[errors["file"] == "three.yaml"].iloc[0]
    assert (r3["record"], r3["field"]) == ("y-event", "related") and "nowhere" in r3["message"]
    res = CliRunner().invoke(app, ["kb", "check", "--kb", str(d), "--user-only"])
    assert res.exit_code == 1 and "three.yaml" in res.output


def test_kb_check_flags_stale_reviews_and_overlaps(tmp_path):
    stale = REPLACEMENT.replace("reviewed: 2026-12-01", "reviewed: 2024-01-01").replace(
        "    - {from: 2025-11-07, until: 2026-11-10, by: chn-2025-no70-suspension}",
        "    - {from: 2025-11-07, until: 2026-11-10, by: chn-2025-no70-suspension}\n"
        "    - {from: 2026-01-01, until: 2026-02-01, by: chn-2025-no70-suspension}")
    df = check(_folder(tmp_path, stale), bundled=False)
    assert "overlap" in " ".join(df[df["level"] == "error"]["message"])
    ok = check(_folder(tmp_path, REPLACEMENT.replace("reviewed: 2026-12-01", "reviewed: 2024-01-01"),
                       "mine.yaml"), bundled=False)
    warn = ok[ok["level"] == "warning"]
    assert list(warn["field"]) == ["reviewed"] and "2024-01-01" in warn.iloc[0]["message"]


def test_bundled_kb_checks_clean():
    df = check(None)
    assert not (df["level"] == "error").any(), df.to_string()


@pytest.mark.parametrize("kind", ["export_control", "agreement", "event"])
def test_kb_new_template_loads_and_checks(tmp_path, kind):
    out = tmp_path / "kb" / "new.yaml"
    out.parent.mkdir()
    res = CliRunner().invoke(app, ["kb", "new", kind, "--out", str(out)])
    assert res.exit_code == 0, res.output
    df = check(out.parent, bundled=False)
    assert not (df["level"] == "error").any(), df.to_string()
    assert CliRunner().invoke(app, ["kb", "new", kind, "--out", str(out)]).exit_code != 0  # never overwrites
    with pytest.raises(UsageError):
        template("nonsense")


def test_kb_check_reports_every_bad_record_of_a_file(tmp_path):
    rec = ("{key}:\n  kind: event\n  actor: USA\n  title_en: An event\n  title_zh: 事件\n  date: 2026-01-02\n"
           "  materials: [{mat}]\n  citations: [{{primary: p, url: 'https://example.org'}}]\n")
    text = rec.format(key="a-one", mat="unobtainium") + rec.format(key="a-two", mat="copper") + \
        rec.format(key="a-three", mat="kryptonite")
    df = check(_folder(tmp_path, text), bundled=False)
    errors = df[df["level"] == "error"]
    assert sorted(errors["field"]) == ["a-one.materials", "a-three.materials"]
    assert all(r.startswith("line ") for r in errors["record"])
