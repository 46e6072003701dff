"""Seed 002's crisis process as data: the three stages in order, the four trigger conditions on built-in rules,
the transition measures cited to the seed, their evidence in the knowledge base; a broken file names its field."""

from __future__ import annotations

import pytest


def test_the_bundled_process_is_complete_and_cross_checked():
    from critmin.alerts import load_rules
    from critmin.incidents.process import load_process
    from critmin.kb import load_kb

    p = load_process()
    assert [s.id for s in p.stages] == ["fact_check", "impact_assessment", "transition_arrangements"]
    assert {c.rule for c in p.trigger.conditions} == {"licence_backlog", "core_firm_disruption",
                                                      "logistics_corridor", "strategic_stock"}
    assert {c.rule for c in p.trigger.conditions} <= {r.id for r in load_rules()}
    assert [m.id for m in p.measures] == ["licence_fast_track", "civilian_green_priority", "contract_transition"]
    kb = load_kb()
    assert all(kb.find(e) is not None for m in p.measures for e in m.evidence)
    assert p.source.seed == "002_b15c8e6b3df51052.txt"
    assert all("line 26" in x.locator for x in [*p.stages, *p.measures, p.trigger, p.exercises])
    assert p.exercises.sectors_en == ["automotive", "permanent-magnet motors", "wind power"]


def test_the_seed_text_says_what_the_locators_point_at():
    """The locators are checked against the seed itself (facts carried with a citation, sentences our own)."""
    from pathlib import Path

    from critmin.incidents.process import load_process

    seeds = Path(__file__).parents[3] / "shared" / "seeds"
    text = next(seeds.glob("002_*.txt"), None) if seeds.exists() else None
    if text is None:
        pytest.skip("the seed texts are not beside the repository")
    lines = text.read_text(encoding="utf-8").splitlines()
    assert all(w in lines[259] for w in ("审批积压", "核心企业", "物流通道", "战略库存", "汽车", "永磁电机", "风电"))
    assert all(w in lines[261] for w in ("联合事实核查", "影响评估", "过渡安排", "审批流程", "优先", "存量合同"))
    p = load_process()
    for m in p.measures:  # our wording: no sentence of the seed is copied into the data file
        assert m.what_zh not in text.read_text(encoding="utf-8")


def test_measures_for_carries_citations_and_evidence():
    from critmin.incidents.process import measures_for

    rows = {m["id"]: m for m in measures_for("2026-01-31")}
    fast = rows["licence_fast_track"]
    assert fast["citation"].startswith("seed 002_b15c8e6b3df51052.txt")
    ev = {e["id"]: e for e in fast["evidence"]}
    assert ev["chn-2025-general-licences-eu"]["date"] == "2025-12-15"
    assert all(e["citations"] for e in ev.values())


def test_a_broken_process_file_names_the_field(tmp_path, monkeypatch):
    from critmin.errors import CatalogError
    from critmin.incidents import process

    src = process.PROCESS_FILE.read_text(encoding="utf-8")
    bad = tmp_path / "crisis_process.yaml"
    bad.write_text(src.replace("evidence: [chn-eu-2025-strategic-dialogue", "evidence: [no-such-entry"),
                   encoding="utf-8")
    monkeypatch.setattr(process, "PROCESS_FILE", bad)
    process.load_process.cache_clear()
    try:
        with pytest.raises(CatalogError) as err:
            process.load_process()
        assert err.value.field == "evidence" and err.value.got == "no-such-entry"
        bad.write_text(src.replace("rule: strategic_stock", "rule: stock_rule"), encoding="utf-8")
        process.load_process.cache_clear()
        with pytest.raises(CatalogError, match="built-in alert rule"):
            process.load_process()
    finally:
        monkeypatch.undo()
        process.load_process.cache_clear()
