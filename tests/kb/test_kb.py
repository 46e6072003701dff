"""Knowledge base: validation of the bundled entries, refusal of malformed ones, and query answers."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from critmin.errors import InputError, UsageError
from critmin.kb import events, load_kb, members, show, timeline_figure
from critmin.kb.loader import KBError, data_files, load_from, parse_file
from critmin.kb.measures import Measure
from critmin.kb.models import KINDS, MATERIALS, SEEDS

SEED_DIR = Path(__file__).resolve().parents[3] / "shared" / "seeds"

GOOD = """
x-entry:
  kind: measure
  actor: EU
  title_en: A test entry
  title_zh: 测试条目
  date: 2024-05-01
  date_precision: month
  citations:
    - seed: 000_6ac80ba27d7b0cbd.txt
      primary: somewhere
"""


def test_bundled_kb_is_large_and_every_entry_cited_and_dated():
    kb = load_kb()
    assert len(kb) > 60
    counts = Counter(e.kind for e in kb)
    assert set(counts) <= set(KINDS)
    for kind in ("export_control", "alliance", "agreement", "strategic_project", "price_mechanism", "list"):
        assert counts[kind] >= 1, kind
    for e in kb:
        if isinstance(e, Measure):  # measures carry sources with a verification level (tests/kb/test_state.py)
            assert e.sources and all(s.supports for s in e.sources), e.id
            continue
        assert e.citations, e.id
        for c in e.citations:
            assert (c.seed in SEEDS or (c.seed is None and c.url)) and c.primary.strip(), e.id
        assert dt.date(1980, 1, 1) <= e.date <= dt.date(2026, 12, 31), e.id
        if e.date_precision == "month":
            assert e.date.day == 1, e.id
        assert set(e.materials) <= MATERIALS, e.id
        assert e.title_en and e.title_zh, e.id


def test_issue_facts_present():
    kb = load_kb()
    no18 = show("chn-2025-no18-medium-heavy-ree")
    assert no18.date == dt.date(2025, 4, 4) and no18.kind == "export_control"
    assert show("chn-2025-no70-suspension").date == dt.date(2025, 11, 7)
    assert show("usa-2020-eo13953").date == dt.date(2020, 9, 30)
    assert show("usa-2021-eo14017").date == dt.date(2021, 2, 24)
    assert show("usa-2022-ira").date == dt.date(2022, 8, 16)
    assert show("eu-2025-resourceeu").date == dt.date(2025, 12, 3)
    assert show("g7-cmpa").date == dt.date(2025, 10, 31)
    aus = show("usa-aus-2025-framework")
    assert {a.label: a.value for a in aus.amounts}["pipeline_value"] == 8.5e9
    sp = {a.label: a.value for a in show("eu-2025-strategic-projects-internal").amounts}
    assert (sp["projects_total"], sp["member_states"], sp["projects_extraction"], sp["projects_processing"],
            sp["projects_recycling"], sp["projects_substitution"]) == (47, 13, 25, 24, 10, 2)
    band = {a.label: (a.value, a.currency, a.unit) for a in show("g7-2025-ree-price-band").amounts}
    assert band["light_ree_price_floor"] == (20000, "USD", "t")
    assert band["heavy_ree_price_cap"] == (1500, "USD", "kg")
    assert len([e for e in kb if e.kind == "list" and e.actor == "EU"]) >= 5


def test_msp_members_by_year():
    m2024 = members("MSP", 2024)
    assert len(m2024) == 15  # 14 countries and the EU (State Department, March 2024)
    assert {"USA", "JPN", "EU", "EST"} <= set(m2024)
    assert "ECU" not in m2024 and "ECU" in members("msp-forum", 2024)  # a Forum member, not a partner
    m2022 = members("msp", 2022)
    assert "EST" not in m2022 and "USA" in m2022 and len(m2022) < 15
    assert members("MSP", 2021) == []
    assert "CAN" in members("ergi", 2019)
    with pytest.raises(UsageError):
        members("no-such-alliance", 2024)


def test_events_filters():
    df = events(material="rare_earths", since="2023-01-01")
    assert len(df) >= 15
    assert (df["date"] >= "2023-01-01").all()
    assert df["materials"].str.contains("rare_earths").all()
    assert list(df["date"]) == sorted(df["date"])
    ctrl = events(actor="CHN", kinds=["export_control"])
    assert set(ctrl["kind"]) == {"export_control"} and len(ctrl) >= 8
    assert events(until="2009-01-01")["date"].max() <= "2009-01-01"
    with pytest.raises(UsageError):
        events(kinds=["nonsense"])
    with pytest.raises(UsageError):
        events(since="2025-13-01")


def _write(tmp_path: Path, text: str, name: str = "bad.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_good_file_parses(tmp_path):
    [e] = parse_file(_write(tmp_path, GOOD))
    assert e.id == "x-entry" and e.source_file == "bad.yaml"


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("date: 2024-05-01", "date: 2024-02-30", None),  # PyYAML refuses the date: its line and text
        ("date: 2024-05-01\n  date_precision: month", "date: 2024-05-07\n  date_precision: month", ""),
        ("kind: measure", "kind: rumour", "kind"),
        ("actor: EU", "actor: eu", "actor"),
        ("seed: 000_6ac80ba27d7b0cbd.txt", "seed: 999.txt", "citations.0.seed"),
        ("  citations:\n    - seed: 000_6ac80ba27d7b0cbd.txt\n      primary: somewhere\n", "", "citations"),
        ("title_zh: 测试条目", "title_zh: 测试条目\n  materials: [unobtainium]", "materials"),
        ("title_zh: 测试条目", "title_zh: 测试条目\n  colour: red", "colour"),
    ],
)
def test_malformed_entry_refused_with_file_and_key(tmp_path, old, new, field):
    assert old in GOOD
    path = _write(tmp_path, GOOD.replace(old, new))
    with pytest.raises(KBError) as info:
        parse_file(path)
    err = info.value
    assert isinstance(err, InputError)
    text = GOOD.replace(old, new)
    if field is None:  # the value itself is named, at its line
        assert err.record == text.splitlines().index("  date: 2024-02-30") + 1 and "2024-02-30" in str(err)
        return
    assert err.file == "bad.yaml" and isinstance(err.record, int) and 2 <= err.record <= len(text.splitlines())
    assert err.field == ("x-entry." + field).rstrip(".")
    assert "bad.yaml" in str(err) and f"line {err.record}" in str(err) and "x-entry" in str(err)


def test_duplicate_keys_and_ids_refused(tmp_path):
    with pytest.raises(KBError, match="each key once per mapping") as info:
        parse_file(_write(tmp_path, GOOD + GOOD))
    assert (info.value.record, info.value.field) == (len(GOOD.splitlines()) + 2, "x-entry")
    a = _write(tmp_path, GOOD, "a.yaml")
    b = _write(tmp_path, GOOD, "b.yaml")
    with pytest.raises(KBError) as info:
        load_from([a, b])
    assert info.value.record == "x-entry" and info.value.field == "id"


def test_dangling_related_refused(tmp_path):
    p = _write(tmp_path, GOOD + "  related: [nowhere]\n")
    with pytest.raises(KBError) as info:
        load_from([p])
    assert info.value.field == "related" and info.value.got == "nowhere"


def test_no_long_runs_copied_from_seeds():
    """Our Chinese text must not reuse seed sentences: no 16-character CJK run of ours occurs in a seed."""
    if not SEED_DIR.exists():
        pytest.skip("seed texts not available")
    seeds = "".join(re.sub(r"\s+", "", p.read_text(encoding="utf-8")) for p in SEED_DIR.glob("0*.txt"))
    for path in data_files():
        for run in re.findall(r"[\u4e00-\u9fff，、；：（）《》“”]{16,}", path.read_text(encoding="utf-8")):
            for i in range(len(run) - 15):
                assert run[i:i + 16] not in seeds, (path.name, run)


def test_timeline_figure_and_offline_html(tmp_path):
    fig = timeline_figure(material="rare_earths", since="2023-01-01", lang="zh")
    names = {tr.name for tr in fig.data if tr.name}
    assert "export_control" in names
    assert any("稀土" in str(t) for tr in fig.data for t in (tr.text or []))
    from critmin.cli import app

    out = tmp_path / "t.html"
    res = CliRunner().invoke(app, ["kb", "timeline", "--out", str(out)])
    assert res.exit_code == 0, res.output
    html = out.read_text(encoding="utf-8")
    assert "Plotly" in html and 'src="plotly.min.js"' in html  # the shared plotly.js beside the page
    assert 'src="https://cdn.plot.ly' not in html and (tmp_path / "plotly.min.js").stat().st_size > 1_000_000
    assert len(html) < 2_000_000  # the JS bundle is not inlined (issue 16)


def test_cli_events_members_show():
    from critmin.cli import app

    runner = CliRunner()
    res = runner.invoke(app, ["kb", "events", "--material", "rare_earths", "--since", "2023-01-01",
                              "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.output)
    assert any(r["id"] == "chn-2025-no18-medium-heavy-ree" for r in rows)
    res = runner.invoke(app, ["kb", "members", "MSP", "--year", "2024", "--format", "csv"])
    assert res.exit_code == 0 and len(res.output.strip().splitlines()) == 16  # header + 15 partners
    res = runner.invoke(app, ["kb", "show", "usa-aus-2025-framework", "--format", "json"])
    assert json.loads(res.output)["amounts"][0]["value"] == 8.5e9


def test_materials_are_catalog_ids_or_kb_groups():
    from critmin.catalog import load_catalog

    known = set(load_catalog().materials) | {"pgm", "steel"}
    used = {m for e in load_kb() for m in e.materials} | {s.material for e in load_kb() for s in e.shares}
    assert used <= known, used - known
    # a platinum query also finds entries about PGMs as a group
    assert "eu-2023-crm-study" in set(events(material="platinum")["id"])


def test_unknown_material_is_refused_and_names_are_resolved():
    with pytest.raises(UsageError, match="unknown material 'unobtainium'"):
        events(material="unobtainium")
    # a catalog name or alias finds the same entries as the id
    assert list(events(material="Rare earth")["id"]) == list(events(material="rare_earths")["id"])


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_cli_listing_formats(fmt):
    from critmin.cli import app

    runner = CliRunner()
    for args in (["kb", "events", "--material", "rare_earths", "--since", "2023-01-01"],
                 ["kb", "members", "MSP", "--year", "2024"]):
        res = runner.invoke(app, [*args, "--format", fmt])
        assert res.exit_code == 0, res.output
        if fmt == "json":
            assert json.loads(res.output)
        elif fmt == "csv":
            assert res.output.splitlines()[0].startswith(("id,", "alliance,"))
        else:
            assert "┃" in res.output


def test_timeline_to_an_unwritable_place_is_one_line_error(tmp_path):
    from critmin.cli import app

    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    res = CliRunner().invoke(app, ["kb", "timeline", "--out", str(blocker / "sub" / "t.html")])
    assert isinstance(res.exception, InputError)
    assert str(blocker / "sub" / "t.html") in str(res.exception) and "\n" not in str(res.exception)
