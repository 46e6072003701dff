"""China's export licence on the knowledge base's facts: the licence obligation is raised only for item
lines a goods control in force on the shipment date matches, and the licence record is compared with the
shipment (items, quantity, end user, consignee, destination, validity); batch masses must balance."""

from __future__ import annotations

import json
from datetime import date
from importlib import resources

import pytest

from critmin.compliance.check import check
from critmin.compliance.controls import cn_measures, controls_table
from critmin.compliance.loader import dossier_from_obj
from critmin.compliance.massbalance import imbalances


def example(name: str) -> dict:
    path = resources.files("critmin") / "compliance" / "examples" / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8"))


def cn(doc: dict, **kw):
    r = check(dossier_from_obj(doc), ["cn-export"], **kw)
    return r, r.summary[0]


def measure_id(instrument: str) -> str:
    return next(m.id for m in cn_measures() if m.instrument == instrument)


def test_pass_example_names_the_measure_in_force():
    r, s = cn(example("dossier"))
    assert s.result == "pass" and r.findings == [] and r.exit_code == 0
    assert f"line 1: {measure_id('MOFCOM/GAC 2025 No. 18')} in force on 2026-03-16" in s.reasons


def test_fail_example_catches_expiry_quantity_end_user_and_mass():
    r, s = cn(example("dossier_fail"))
    assert s.result == "fail" and r.exit_code == 5
    assert r.rule_ids == {"CN-EXP-011", "CN-EXP-019", "CN-EXP-020", "CN-EXP-024"}
    detail = {f.rule_id: f.detail for f in r.findings}
    assert detail["CN-EXP-019"] == "2400 kg shipped vs 2000 kg licensed"
    assert "after licence expiry 2026-08-10" in detail["CN-EXP-011"]
    assert "ASSUMPTION" in detail["CN-EXP-024"]


@pytest.mark.parametrize("patch, rule", [
    ({"licence": {"items": [{"quantity_kg": 1799.5}]}}, "CN-EXP-019"),
    ({"licence": {"valid_until": "2026-03-15"}}, "CN-EXP-011"),
    ({"licence": {"valid_from": "2026-03-17"}}, "CN-EXP-011"),
    ({"parties": {"end_user": {"name": "Someone Else GmbH"}}}, "CN-EXP-020"),
    ({"parties": {"importer": {"name": "Zwischenhandel AG"}}}, "CN-EXP-021"),
    ({"destination_country": "USA"}, "CN-EXP-022"),
    ({"licence": {"items": [{"control_list_no": "1C999"}]}}, "CN-EXP-018"),
])
def test_each_licence_defect_is_caught_alone(patch, rule):
    doc = example("dossier")
    for key, val in patch.items():
        if isinstance(val, dict):
            for k2, v2 in val.items():
                if isinstance(v2, list):
                    doc[key][k2][0].update(v2[0])
                elif isinstance(v2, dict):
                    doc[key][k2].update(v2)
                else:
                    doc[key][k2] = v2
        elif isinstance(val, list):
            doc[key][0].update(val[0])
        else:
            doc[key] = val
    r, s = cn(doc)
    assert r.rule_ids == {rule} and s.result == "fail", r.to_frame().to_string()


def test_uncontrolled_elements_raise_no_licence_obligation():
    doc = example("dossier")
    doc["items"][0].update({"elements": ["Nd", "Pr", "Fe", "B"], "controlled_item_id": None})
    r, s = cn(doc)
    assert s.result == "not_applicable" and r.findings == []
    assert "no item is under a Chinese export control in force on 2026-03-16" in s.reasons[0]


def test_controlled_vs_uncontrolled_lines_in_one_shipment():
    """Only the Dy/Tb line needs a control-list number; the plain NdPr-oxide line does not."""
    doc = example("dossier")
    doc["items"].append({"line_no": 2, "hs_code": "284690", "elements": ["Nd", "Pr"], "form": "oxide",
                         "description": "NdPr oxide", "quantity_kg": 500.0})
    doc["material_list"].append({"item_line": 2, "component": "oxide", "element": "Nd", "mass_pct": 60.0})
    r, s = cn(doc)
    assert s.result == "pass" and r.findings == []
    doc["items"][0]["controlled_item_id"] = None
    r, _ = cn(doc)
    assert {(f.rule_id, f.path) for f in r.findings if f.rule_id == "CN-EXP-008"} == {("CN-EXP-008", "items[0].controlled_item_id")}


def test_suspended_measure_is_named_and_binds_nothing():
    """Ho falls under No. 57, suspended by No. 70 from 2025-11-07 (never in force before that)."""
    doc = example("dossier")
    doc["items"][0].update({"elements": ["Ho", "Fe", "B"], "form": "metal", "hs_code": "280530",
                            "controlled_item_id": None})
    no57 = measure_id("MOFCOM/GAC 2025 No. 57")
    r, s = cn(doc, as_of=date(2026, 3, 16))
    assert s.result == "not_applicable" and r.findings == []
    assert f"{no57} suspended on 2026-03-16" in s.reasons[0]


def test_regime_state_follows_the_kb_state_on_every_change_day():
    """For No. 18's Dy line the pack answers with whatever state the KB gives, at every change of state."""
    from critmin.kb.state import periods

    no18 = next(m for m in cn_measures() if m.instrument == "MOFCOM/GAC 2025 No. 18")
    expected = {"in_force": "pass", "unknown": "not_assessed"}
    seen = set()
    for start, _end, state in periods(no18):
        _, s = cn(example("dossier"), as_of=start)
        assert s.result == expected.get(state, "not_applicable"), (start, state)
        seen.add(state)
    _, before = cn(example("dossier"), as_of=date(2025, 4, 3))
    assert before.result == "not_applicable" and "in_force" in seen


def test_not_from_china_and_no_date():
    doc = example("dossier")
    doc["parties"]["exporter"]["country"] = "VNM"
    _, s = cn(doc)
    assert s.result == "not_applicable" and "origin VNM is not CHN" in s.reasons[0]
    doc = example("dossier")
    doc["shipment_date"] = None
    doc["prepared_on"] = None
    _, s = cn(doc)
    assert s.result == "not_assessed" and "shipment_date" in s.missing


def test_comply_controls_is_the_kb_state():
    from critmin.kb.state import state_on

    for day in (date(2023, 1, 1), date(2025, 10, 20), date(2025, 11, 8), date(2026, 11, 9), date(2026, 11, 10)):
        table = controls_table(day)
        assert dict(zip(table["id"], table["status"], strict=True)) == {m.id: state_on(m, day) for m in cn_measures()}


def test_mass_balance_invariants():
    batches = [
        {"batch_id": "A", "mass_kg": 1000.0},
        {"batch_id": "B", "mass_kg": 600.0, "parent_batch_ids": ["A"]},
        {"batch_id": "C", "mass_kg": 405.0, "parent_batch_ids": ["A"]},  # 1005 kg drawn from 1000 kg: within 1 %
        {"batch_id": "D", "mass_kg": 1100.0, "parent_batch_ids": ["B", "C"]},  # 1100 > 1005 * 1.01
    ]
    out = imbalances(batches, [{"batch_ids": ["B"], "quantity_kg": 700.0}])
    assert [p for p, _ in out] == ["traceability.batches[3].mass_kg", "traceability.batches[1].mass_kg"]
    batches[2]["mass_kg"] = 420.0  # 1020 kg from a 1000 kg parent
    assert any("sole-parent children weigh 1020 kg" in d for _, d in imbalances(batches, []))
    assert imbalances(batches[:2], [], tolerance=0.0) == []


def test_quantity_counts_what_the_licence_already_covered():
    doc = example("dossier")
    doc["licence"]["items"][0]["used_kg"] = 150.0  # 1800 + 150 <= 2000
    assert cn(doc)[1].result == "pass"
    doc["licence"]["items"][0]["used_kg"] = 250.0
    r, _ = cn(doc)
    assert [f.detail for f in r.findings] == ["1800 kg shipped after 250 kg already exported vs 2000 kg licensed"]


def test_general_licence_without_named_parties_is_not_compared():
    doc = example("dossier")
    doc["licence"].update({"kind": "general", "end_user": None, "consignee": None})
    assert cn(doc)[1].result == "pass"
    doc["licence"]["kind"] = "single"
    r, _ = cn(doc)
    assert r.rule_ids == {"CN-EXP-020", "CN-EXP-021"}
