"""The CRMA single-third-country cap lives in one place, the catalog's benchmarks.yaml: edit it there and the
crma check, the alert rule and the monitor's CRMA level all move; references to unknown benchmarks are refused."""

from __future__ import annotations

import shutil

import pytest

import critmin.catalog as catalog
from critmin.alerts import evaluate
from critmin.alerts import rules as alert_rules
from critmin.alerts.rules import RuleError, parse_rules
from critmin.monitor import priority
from critmin.monitor.priority import PolicyError, assumptions, builtin_path, load_policy


def _forget():
    catalog.clear_caches()
    alert_rules._builtin.cache_clear()
    priority._builtin.cache_clear()


def _edit(tmp_path, monkeypatch, old: str, new: str) -> None:
    """Point the catalog at a copy of the bundled data whose crma_single_country_cap entry has ``old`` -> ``new``."""
    data = tmp_path / "catalog"
    shutil.copytree(catalog.DATA_DIR, data)
    f = data / "benchmarks.yaml"
    text = f.read_text(encoding="utf-8")
    block = text.split("- id: crma_single_country_cap")[1].split("- id:")[0]
    assert text.count(block) == 1 and old in block
    f.write_text(text.replace(block, block.replace(old, new)), encoding="utf-8")
    monkeypatch.setattr(catalog, "DATA_DIR", data)
    _forget()


@pytest.fixture
def cap_55(tmp_path, monkeypatch):
    """The bundled catalog with the CRMA cap edited from 0.65 to 0.55 in benchmarks.yaml, and nothing else."""
    _edit(tmp_path, monkeypatch, "value: 0.65", "value: 0.55")
    yield
    monkeypatch.undo()
    _forget()


@pytest.fixture
def scope_eu_2023(tmp_path, monkeypatch):
    """The CRMA cap's scope edited from the strategic list to the (wider) critical list of 2023."""
    _edit(tmp_path, monkeypatch, "applies_to: eu_2023_strategic", "applies_to: eu_2023")
    yield
    monkeypatch.undo()
    _forget()


def _crma_share(value: float):
    return evaluate([r for r in alert_rules.load_rules() if r.id == "crma_single_country_share"],
                    _series(value), use_kb=False)


def _series(value: float):
    import pandas as pd

    return pd.DataFrame({"metric": ["top1_share_qty_pct"], "importer": ["EU27"], "material": ["rare_earths"],
                         "stage": ["metal"], "supplier": ["CHN"], "period": [2024], "value": [value],
                         "vintage": ["v"], "source": ["test"]})


def test_bundled_defaults_read_the_catalog_benchmark():
    _forget()
    b = catalog.benchmark("crma_single_country_cap")
    assert (b.value, b.pct, b.applies_to) == (0.65, 65.0, "eu_2023_strategic")
    assert "2024/1252 Art. 5(1)(b)" in b.citation
    rule = next(r for r in alert_rules.load_rules() if r.id == "crma_single_country_share")
    assert rule.thresholds.orange == 65.0 and rule.from_benchmark == {"orange": "crma_single_country_cap"}
    assert rule.thresholds.yellow == 50.0  # the ASSUMPTION watch level stays a number
    assert rule.scope.lists == ["eu_2023_strategic"]
    assert f"{b.pct:g} %" in rule.title_en  # the prose title states the law's figure: it must not contradict it
    pol = load_policy()
    assert pol.levels.crma.benchmark_pct == 65.0 and pol.levels.concentration.yellow_pct == 65.0
    assert b.citation in pol.levels.crma.benchmark_source and pol.levels.crma.lists == ["eu_2023_strategic"]
    assert pol.from_benchmark == {"levels.crma.benchmark_pct": "crma_single_country_cap",
                                  "levels.concentration.yellow_pct": "crma_single_country_cap"}
    assert not [r for r in assumptions(pol) if r["source"].startswith("USER")]


def test_editing_benchmarks_yaml_moves_crma_alert_rule_and_monitor(cap_55, demo_warehouse):
    from critmin.indicators.crma import crma_rows

    assert catalog.benchmark("crma_single_country_cap").value == 0.55
    # the crma check: the default cap is the edited figure, and more stage-years are in breach than at 0.65
    rows = crma_rows("EU27", warehouse=demo_warehouse, only_breaches=False).records()
    assert rows and {r["cap"] for r in rows} == {0.55}
    for r in rows:
        assert r["breach_value"] == (r["top1_share_value"] is not None and r["top1_share_value"] > 0.55)
    at_law = crma_rows("EU27", cap=0.65, warehouse=demo_warehouse, only_breaches=False).records()
    moved = [a for a, b in zip(rows, at_law, strict=True) if a["breach"] and not b["breach"]]
    assert moved and all(0.55 < max(x for x in (r["top1_share_value"], r["top1_share_qty"]) if x is not None) <= 0.65
                         for r in moved)
    # the alert rule: 60 % is orange now (it is yellow against 65 %)
    rule = next(r for r in alert_rules.load_rules() if r.id == "crma_single_country_share")
    assert rule.thresholds.orange == 55.0
    assert [a.level for a in _crma_share(60.0)] == ["orange"]
    # the monitor's CRMA level and the borrowed yardstick
    pol = load_policy()
    assert pol.levels.crma.benchmark_pct == 55.0 and pol.levels.concentration.yellow_pct == 55.0


def test_editing_the_benchmarks_scope_moves_the_rule_and_monitor_scope(scope_eu_2023, demo_warehouse):
    from critmin.indicators.crma import crma_rows

    rule = next(r for r in alert_rules.load_rules() if r.id == "crma_single_country_share")
    assert rule.scope.lists == ["eu_2023"] and load_policy().levels.crma.lists == ["eu_2023"]
    wider = catalog.load_catalog().list_materials(["eu_2023"])
    rows = crma_rows("EU27", warehouse=demo_warehouse, only_breaches=False).records()
    assert rows and all(r["in_scope"] == (r["material_id"] in wider) for r in rows)


def test_bundled_rule_at_65():
    _forget()
    assert [a.level for a in _crma_share(60.0)] == ["yellow"]


def test_unknown_benchmark_in_a_priority_file_names_file_record_and_field(tmp_path):
    text = builtin_path().read_text(encoding="utf-8")
    assert "benchmark_pct: {benchmark: crma_single_country_cap}" in text
    lines = text.splitlines()
    line = next(i for i, x in enumerate(lines, 1) if "benchmark_pct:" in x)
    p = tmp_path / "my_priority.yaml"
    p.write_text(text.replace("benchmark_pct: {benchmark: crma_single_country_cap}",
                              "benchmark_pct: {benchmark: crma_single_cap}"), encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        load_policy(p)
    err = info.value
    assert (err.file, err.record, err.field, err.got) == (str(p), line, "levels.crma.benchmark_pct.benchmark",
                                                         "crma_single_cap")
    assert "crma_single_country_cap" in err.expected  # the known ids are listed
    # a malformed reference is refused too
    p.write_text(text.replace("{benchmark: crma_single_country_cap}", "{benchmark: crma_single_country_cap, x: 1}"),
                 encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        load_policy(p)
    assert info.value.field == "levels.crma.benchmark_pct"
    # a share benchmark cannot stand in for a non-share one (HHI) and vice versa
    p.write_text(text.replace("benchmark_pct: {benchmark: crma_single_country_cap}",
                              "benchmark_pct: {benchmark: hhi_highly_concentrated}"), encoding="utf-8")
    with pytest.raises(PolicyError, match="not a share"):
        load_policy(p)


def test_unknown_benchmark_in_a_rule_file_names_file_record_and_field(tmp_path):
    p = tmp_path / "my_rules.yaml"
    p.write_text("share:\n  title_en: t\n  title_zh: 规\n  metric: top1_share_qty_pct\n  unit: pct\n"
                 "  thresholds: {yellow: 50, orange: {benchmark: no_such_cap}}\n", encoding="utf-8")
    with pytest.raises(RuleError) as info:
        parse_rules(p)
    err = info.value
    assert (err.file, err.field, err.got) == ("my_rules.yaml", "thresholds.orange.benchmark", "no_such_cap")
    assert err.record.startswith("share") and "6" in err.record
    # a share benchmark in a rule whose unit is not pct would compare 0.65 with percentages: refused
    p.write_text(p.read_text(encoding="utf-8").replace("no_such_cap", "crma_single_country_cap")
                 .replace("unit: pct", "unit: share"), encoding="utf-8")
    with pytest.raises(RuleError, match="a share"):
        parse_rules(p)
    # a scope read from a benchmark that has none (HHI applies everywhere) is refused with the field
    p.write_text("share:\n  title_en: t\n  title_zh: 规\n  metric: top1_share_qty_pct\n  unit: pct\n"
                 "  scope: {lists: {benchmark: hhi_highly_concentrated}}\n  thresholds: {yellow: 50}\n",
                 encoding="utf-8")
    with pytest.raises(RuleError) as info:
        parse_rules(p)
    assert (info.value.field, info.value.got) == ("scope.lists.benchmark", "hhi_highly_concentrated")


def test_a_users_own_number_is_labelled_as_theirs(tmp_path):
    _forget()
    p = tmp_path / "mine.yaml"
    p.write_text(builtin_path().read_text(encoding="utf-8").replace(
        "benchmark_pct: {benchmark: crma_single_country_cap}", "benchmark_pct: 60"), encoding="utf-8")
    pol = load_policy(p)
    assert pol.levels.crma.benchmark_pct == 60.0 and "levels.crma.benchmark_pct" not in pol.from_benchmark
    assert priority.benchmark_pct(pol) == 65.0  # the law's figure, for the situation's reason text
    own = [r for r in assumptions(pol) if r["parameter"] == "levels.crma.benchmark_pct"]
    assert len(own) == 1 and own[0]["source"].startswith(f"USER: 60 from {p}")
    assert "crma_single_country_cap (65 %" in own[0]["source"]
    assert priority.benchmark_pct(load_policy()) is None


def test_knowledge_base_record_of_the_act_agrees_with_the_catalog():
    """The knowledge base keeps the Act's figures as recorded in the measure (its own record of the text); they
    must not contradict the benchmarks the code reads."""
    from critmin.kb import load_kb

    _forget()
    amounts = {a.label: a.value for a in load_kb().find("eu-2024-crma").amounts}
    pairs = {"single_third_country_share_max": "crma_single_country_cap",
             "extraction_benchmark_min": "crma_extraction_2030", "processing_benchmark_min": "crma_processing_2030",
             "recycling_benchmark_min": "crma_recycling_2030"}
    assert {k: amounts[k] for k in pairs} == {k: catalog.benchmark(b).pct for k, b in pairs.items()}
