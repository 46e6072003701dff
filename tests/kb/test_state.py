"""Legal-state semantics of the measures: one state per measure and day, whoever asks (the KB, `comply
controls`, `kb show`, the alert engine), golden dates pinned to their sources, scope matching, one data file."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from critmin.kb import control_changes, controls_on, load_kb, periods, state_on
from critmin.kb.measures import Measure
from critmin.kb.state import STATES, ever_in_force

FIRST, LAST = dt.date(2023, 1, 1), dt.date(2026, 12, 3)
DAYS = [FIRST + dt.timedelta(days=i) for i in range((LAST - FIRST).days + 1)]
SRC = Path(__file__).resolve().parents[2] / "src" / "critmin"


def _covering(ps, day):
    return next(st for a, b, st in ps if a <= day and (b is None or day <= b))


@pytest.fixture(scope="module")
def kb():
    return load_kb()


def test_every_day_every_measure_one_state(kb):
    """For every day 2023-01-01..2026-12-03: state_on == the covering period of periods(); no item in force
    before its effective date or after the measure ends; a suspension wins over in force; controls_on
    reports the same state as state_on."""
    measures = list(kb.measures.values())
    assert len(measures) >= 15
    for m in measures:
        items = [None, *(i.id for i in m.scope)]
        ps = {i: periods(m, i) for i in items}
        for day in DAYS:
            if day < m.announced:
                assert state_on(m, day) == "not_announced"
                continue
            for i in items:
                st = state_on(m, day, i)
                assert st in STATES
                assert st == _covering(ps[i], day), (m.id, i, day)
                if i is None:
                    continue
                item = m.item(i)
                eff = item.effective or m.effective
                if st == "in_force":
                    assert eff is not None and day >= eff, (m.id, i, day)
                    assert m.ends is None or day <= m.ends, (m.id, i, day)
                unk = item.unknown_after or m.unknown_after
                for s in m.suspensions:
                    if (not s.items or i in s.items) and s.from_ <= day <= s.until:
                        assert st == "suspended" or (unk and day > unk), (m.id, i, day)
    by_day = {}
    for day in DAYS:
        for h in controls_on(day, kb=kb):
            by_day[(h.measure_id, h.item_id, day)] = h.state
    for (mid, item, day), st in by_day.items():
        assert st == state_on(kb.measures[mid], day, item)


@pytest.mark.slow
def test_comply_controls_kb_show_and_alerts_agree(kb):
    """`comply controls` (every day), `kb show` (state history) and the alert engine's control events all
    give the state that kb.state gives."""
    from critmin.alerts.engine import _controls_frame
    from critmin.cli import app
    from critmin.compliance.controls import controls_table

    cn = [m for m in kb.measures.values() if m.jurisdiction == "CHN"]
    for day in DAYS:
        table = controls_table(day)
        got = dict(zip(table["id"], table["status"], strict=True))
        assert got == {m.id: state_on(m, day) for m in cn}, day
    runner = CliRunner()
    # the command itself, on each day a Chinese measure changes state and the day before
    change_days = sorted({a for m in cn for a, _, _ in periods(m)} & set(DAYS))
    for day in change_days:
        for d in (day - dt.timedelta(days=1), day):
            res = runner.invoke(app, ["comply", "controls", "--as-of", d.isoformat(), "--format", "json"])
            assert res.exit_code == 0, res.output
            got = {r["id"]: r["status"] for r in json.loads(res.output)}
            assert got == {m.id: state_on(m, d) for m in cn}, d
    for m in cn:
        res = runner.invoke(app, ["kb", "show", m.id, "--format", "json"])
        assert res.exit_code == 0, res.output
        hist = [h for h in json.loads(res.output)["state_history"] if h["item"] == ""]
        assert [(h["from"], h["until"], h["state"]) for h in hist] == [
            (a.isoformat(), b.isoformat() if b else None, st) for a, b, st in periods(m)]
    frame = _controls_frame(kb)
    for r in frame.itertuples(index=False):
        day = r.event_date.date()
        assert state_on(kb.measures[r.event_id], day, r.item_id) == "in_force"
        assert state_on(kb.measures[r.event_id], day - dt.timedelta(days=1), r.item_id) != "in_force"


# (measure, item or None, day, expected state, a URL fragment of the source that supports it)
GOLDEN = [
    # the corrected ones
    ("chn-2025-no70-suspension", None, "2026-11-10", "in_force", "udn.com/news/story/7333/9125818"),
    ("chn-2025-no70-suspension", None, "2026-11-11", "ended", "udn.com/news/story/7333/9125818"),
    ("chn-2025-no57-more-medium-heavy-ree", None, "2026-11-10", "suspended", "udn.com/news/story/7333/9125818"),
    ("chn-2025-no57-more-medium-heavy-ree", None, "2026-11-11", "unknown", "udn.com/news/story/7333/9125818"),
    ("chn-2025-no57-more-medium-heavy-ree", None, "2025-10-20", "announced", "livedoor.com/topics/detail/29749161"),
    ("chn-2025-no57-more-medium-heavy-ree", None, "2025-11-08", "suspended", "livedoor.com/topics/detail/29749161"),
    ("chn-2025-no55-superhard-materials", None, "2025-11-06", "announced", "livedoor.com/topics/detail/29749161"),
    ("chn-2025-no56-ree-equipment", None, "2025-11-07", "suspended", "livedoor.com/topics/detail/29749161"),
    ("chn-2025-no58-lithium-battery-graphite-anode", None, "2025-11-08", "suspended", "katepardey.com"),
    ("chn-2025-no61-extraterritorial-ree", "art1_3_chinese_origin", "2025-10-09", "in_force", "udn.com/news/story/7333/9059047"),
    ("chn-2025-no61-extraterritorial-ree", "art1_1_foreign_made", "2025-11-06", "announced", "udn.com/news/story/7333/9059047"),
    ("chn-2025-no61-extraterritorial-ree", "art1_1_foreign_made", "2025-12-01", "suspended", "udn.com/news/story/7333/9059047"),
    ("chn-2025-no62-ree-technologies", None, "2025-10-09", "in_force", "etnet.com.hk"),
    ("chn-2025-no62-ree-technologies", None, "2025-11-07", "suspended", "udn.com/news/story/7333/9125818"),
    # added measures
    ("chn-2024-no46-dual-use-usa", "art2_ga_ge_sb_superhard", "2024-12-03", "in_force", "caixin.com"),
    ("chn-2024-no46-dual-use-usa", "art2_ga_ge_sb_superhard", "2025-11-09", "suspended", "cnyes.com/news/id/6226930"),
    ("chn-2024-no46-dual-use-usa", "art2_graphite", "2026-11-27", "suspended", "swissinfo.ch"),
    ("chn-2024-no46-dual-use-usa", "art2_graphite", "2026-11-28", "unknown", "swissinfo.ch"),
    ("chn-2024-no46-dual-use-usa", "art1_military", "2026-12-03", "in_force", "swissinfo.ch"),
    ("chn-2025-no72-suspension-no46", None, "2025-11-09", "in_force", "cnyes.com/news/id/6226930"),
    ("chn-2024-no33-antimony-superhard", None, "2024-09-14", "announced", "119.23.250.19"),
    ("chn-2024-no33-antimony-superhard", None, "2024-09-15", "in_force", "119.23.250.19"),
    ("chn-2025-no10-w-te-bi-mo-in", None, "2025-02-04", "in_force", "learnwithfaith.com"),
    ("chn-2025-no10-w-te-bi-mo-in", None, "2025-02-03", "not_announced", "learnwithfaith.com"),
    ("chn-2026-no1-dual-use-japan", None, "2026-01-06", "in_force", "hk01.com"),
    ("chn-2026-no1-dual-use-japan", None, "2026-01-05", "not_announced", "hk01.com"),
    # reviewed existing ones
    ("chn-2025-no18-medium-heavy-ree", None, "2025-04-04", "in_force", "art_9c2108ccaf754f22a34abab2fedaa944"),
    ("chn-2025-no18-medium-heavy-ree", None, "2025-04-03", "not_announced", "art_9c2108ccaf754f22a34abab2fedaa944"),
    ("chn-2025-no18-medium-heavy-ree", None, "2026-12-03", "in_force", "art_9c2108ccaf754f22a34abab2fedaa944"),
    ("chn-2023-gallium-germanium-controls", None, "2023-07-31", "announced", "tkcnc.net"),
    ("chn-2023-gallium-germanium-controls", None, "2023-08-01", "in_force", "tkcnc.net"),
    ("chn-2023-graphite-controls", None, "2023-11-30", "announced", "itaiwannews.cn"),
    ("chn-2023-graphite-controls", None, "2023-12-01", "in_force", "itaiwannews.cn"),
]


@pytest.mark.parametrize(("mid", "item", "day", "expected", "source"), GOLDEN)
def test_golden_states_pinned_to_sources(kb, mid, item, day, expected, source):
    m = kb.measures[mid]
    assert state_on(m, day, item) == expected
    # a suspension is supported by the suspending measure's sources
    sources = [*m.sources, *(src for s in m.suspensions for src in kb.measures[s.by].sources)]
    assert any(source in (s.url or "") for s in sources), f"{mid} does not cite {source}"


def test_nos_55_to_58_never_in_force_and_61_clauses_dated_apart(kb):
    for n in ("no55-superhard-materials", "no56-ree-equipment", "no57-more-medium-heavy-ree",
              "no58-lithium-battery-graphite-anode"):
        assert not ever_in_force(kb.measures[f"chn-2025-{n}"], LAST)
    no61 = kb.measures["chn-2025-no61-extraterritorial-ree"]
    assert ever_in_force(no61, LAST, "art1_3_chinese_origin")
    assert not ever_in_force(no61, LAST, "art1_1_foreign_made")
    assert no61.item("art1_1_foreign_made").effective == dt.date(2025, 12, 1)


def test_entry_dates_corrected(kb):
    """US copper 232 (semi-finished, 2025-08-01), DoD-MP (2025-07-10), G7 action plan (2025-06-17),
    MSP replaced by FORGE (2026-02-04)."""
    copper = kb.entries["usa-2025-copper-tariff"]
    assert copper.date == dt.date(2025, 8, 1) and state_on(copper, "2025-07-31") == "announced"
    assert state_on(copper, "2025-08-01") == "in_force" and "semi-finished" in copper.title_en
    assert any("govinfo.gov" in (c.url or "") for c in copper.citations)
    mp = kb.entries["usa-2025-dod-mp-materials"]
    assert mp.date == dt.date(2025, 7, 10)
    assert {a.label: a.value for a in mp.amounts}["ndpr_price_floor"] == 110
    assert kb.entries["g7-2025-critical-minerals-action-plan"].date == dt.date(2025, 6, 17)
    assert state_on(kb.entries["msp"], "2026-02-03") == "in_force"
    assert state_on(kb.entries["msp"], "2026-02-04") == "ended"
    assert kb.entries["forge"].date == dt.date(2026, 2, 4)


def test_scope_matching_goods_vs_equipment_and_hs6(kb):
    day = "2025-10-20"
    ree = {(h.measure_id, h.item_id) for h in controls_on(day, element="rare_earths", kb=kb)}
    assert ("chn-2025-no18-medium-heavy-ree", "sm_gd_tb_dy_lu_sc_y") in ree
    assert not any(mid == "chn-2025-no62-ree-technologies" for mid, _ in ree)  # technology
    assert ("chn-2025-no56-ree-equipment", "equipment") not in ree  # equipment
    # a chemical symbol no measure names (iron in NdFeB) matches nothing rather than failing
    assert controls_on(day, element="Fe", kb=kb) == []
    # an element the April list does not name
    assert not any(h.measure_id == "chn-2025-no18-medium-heavy-ree" for h in controls_on(day, element="Nd", kb=kb))
    # cerium compounds (284610) are not in No. 18's HS codes; rare-earth compounds (284690) are
    assert not any(h.measure_id == "chn-2025-no18-medium-heavy-ree"
                   for h in controls_on(day, material="rare_earths", hs6="284610", kb=kb))
    assert any(h.measure_id == "chn-2025-no18-medium-heavy-ree"
               for h in controls_on(day, material="rare_earths", hs6="284690", kb=kb))
    # graphite: natural flake (250410) is controlled by No. 39, other natural graphite (250490) is not
    g = {h.item_id for h in controls_on(day, material="graphite", hs6="250410", kb=kb)
         if h.measure_id == "chn-2023-graphite-controls"}
    assert g == {"natural_flake"}
    assert not [h for h in controls_on(day, material="graphite", hs6="250490", kb=kb)
                if h.measure_id == "chn-2023-graphite-controls"]
    # battery-material controls (No. 58) never touch natural-graphite or lithium-chemical flows
    for mat, codes in (("graphite", ["250410", "250490"]), ("lithium", ["282520", "283691"])):
        assert not [h for h in controls_on("2025-10-20", material=mat, hs6=codes, kb=kb)
                    if h.measure_id == "chn-2025-no58-lithium-battery-graphite-anode"]
    assert [h.item_id for h in controls_on("2025-10-20", material="graphite", hs6="380110", kb=kb)
            if h.measure_id == "chn-2025-no58-lithium-battery-graphite-anode"] == ["anode"]
    # destinations: No. 46 binds exports to the US only; No. 61 binds exporters abroad only
    us = {h.measure_id for h in controls_on("2025-06-01", element="Ga", destination="USA", kb=kb)}
    de = {h.measure_id for h in controls_on("2025-06-01", element="Ga", destination="DEU", kb=kb)}
    assert "chn-2024-no46-dual-use-usa" in us and "chn-2024-no46-dual-use-usa" not in de
    assert "chn-2023-gallium-germanium-controls" in us & de
    assert not any(h.measure_id == "chn-2025-no61-extraterritorial-ree"
                   for h in controls_on(day, element="Dy", exporter="CHN", kb=kb))


def test_control_changes_into_force_and_out(kb):
    ch = [c for c in control_changes("2025-01-01", "2026-12-03", kb=kb)]
    no57 = [(c.day.isoformat(), c.after) for c in ch if c.measure_id == "chn-2025-no57-more-medium-heavy-ree"]
    assert no57 == [("2025-10-09", "announced"), ("2025-11-07", "suspended"), ("2026-11-11", "unknown")]
    assert not any(c.change == "reactivated" for c in ch)  # nothing is known to have come back
    assert any(c.measure_id == "chn-2025-no18-medium-heavy-ree" and c.change == "new" for c in ch)


def test_one_data_file_for_export_controls():
    """Chinese export-control measures live in kb/data/cn_export_controls.yaml only."""
    import yaml

    holders = []
    for path in SRC.rglob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        if "export_control" not in text and "announcements" not in text:
            continue
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - safe loader
        if isinstance(data, dict) and any(isinstance(v, dict) and v.get("kind") == "export_control"
                                          for v in data.values()):
            holders.append(path.relative_to(SRC).as_posix())
        if isinstance(data, dict) and "announcements" in data:
            holders.append(path.relative_to(SRC).as_posix())
    assert holders == ["kb/data/cn_export_controls.yaml"]
    assert not (SRC / "compliance" / "data" / "cn_export_controls.yaml").exists()
    # no code outside the KB computes a state from dates of its own
    for path in SRC.rglob("*.py"):
        if path.parent.name == "kb":
            continue
        text = path.read_text(encoding="utf-8")
        assert "status_on(" not in text and "active_controls(" not in text, path


def test_every_measure_reviewed_or_flagged(kb):
    measures = list(kb.measures.values())
    assert all(isinstance(m, Measure) for m in measures)
    assert [m.id for m in measures if m.reviewed is None] == []
    # a measure never reviewed is a kb check warning (tests/kb/test_user_kb.py)
