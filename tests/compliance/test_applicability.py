"""Per-regime applicability: dates, goods, destinations and operators decide whether a regime binds a
dossier, before any finding; a regime that does not apply never passes. Uses the shipped examples."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from datetime import date
from importlib import resources

import pytest
from typer.testing import CliRunner

from critmin.cli import app
from critmin.compliance.check import check
from critmin.compliance.loader import dossier_from_obj

EU = ["eu-csddd", "eu-crma-magnet", "eu-crma-risk", "eu-batteries", "eu-dpp"]


def example(name: str) -> dict:
    path = resources.files("critmin") / "compliance" / "examples" / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8"))


def results(doc: dict, regimes=EU, **kw) -> dict[str, str]:
    r = check(dossier_from_obj(doc), regimes, **kw)
    return {s.regime: s.result for s in r.summary}


def battery_doc(day: str, turnover: float | None = 5.0e8) -> dict:
    """An EV battery pack shipped to Germany by an importer placing it on the market."""
    doc = example("dossier")
    doc["shipment_date"] = day
    doc["products"] = ["ev_battery"]
    doc["items"][0].update({"elements": ["Li", "Ni", "Co", "Mn"], "form": "product", "hs_code": "850760",
                            "controlled_item_id": None})
    doc["operator"]["roles"] = ["placing_on_market"]
    doc["operator"]["net_turnover_eur"] = turnover
    return doc


def test_pass_example_applies_only_what_binds_it():
    r = check(dossier_from_obj(example("dossier")), EU)
    res = {s.regime: s for s in r.summary}
    assert {k: s.result for k, s in res.items()} == {
        "eu-csddd": "not_applicable",  # 2026-03-16 is before 2028-07-26 (Directive (EU) 2025/794)
        "eu-crma-magnet": "not_applicable",  # magnets shipped are not an Art. 28(1) product
        "eu-crma-risk": "pass",  # large German motor maker, assessment of 2025-09-30 within three years
        "eu-batteries": "not_applicable",
        "eu-dpp": "not_applicable",  # no delegated act sets passport requirements for magnets
    }
    assert "applies from 2028-07-26" in res["eu-csddd"].reasons[0]
    assert "no item element in Co/Li/Ni/C" in res["eu-batteries"].reasons[0]


def test_not_eu_example_is_not_applicable_to_every_eu_regime():
    r = check(dossier_from_obj(example("dossier_not_eu")), EU)
    assert {s.result for s in r.summary} == {"not_applicable"}
    assert r.findings == [] and r.exit_code == 0
    reasons = " ".join(x for s in r.summary for x in s.reasons)
    assert "destination JPN is not in EU27" in reasons and "operator established in JPN" in reasons


def test_csddd_after_the_application_date_is_not_guessed():
    """From 2028-07-26 the Omnibus I amendment (not verified in the OJ) may have moved dates and thresholds."""
    doc = example("dossier")
    res = results(doc, ["eu-csddd"], as_of=date(2028, 7, 25))
    assert res == {"eu-csddd": "not_applicable"}
    r = check(dossier_from_obj(doc), ["eu-csddd"], as_of=date(2028, 7, 26))
    s = r.summary[0]
    assert s.result == "not_assessed" and r.findings == []
    assert any("Omnibus I" in m for m in s.missing)


def test_batteries_due_diligence_from_2027_08_18():
    assert results(battery_doc("2027-08-17"), ["eu-batteries"]) == {"eu-batteries": "not_applicable"}
    assert results(battery_doc("2027-08-18"), ["eu-batteries"]) == {"eu-batteries": "pass"}
    no_policy = battery_doc("2027-08-18")
    no_policy["due_diligence"]["policy_adopted_on"] = None
    r = check(dossier_from_obj(no_policy), ["eu-batteries"])
    assert r.summary[0].result == "fail" and r.rule_ids == {"BATT-DD-001"}


def test_operator_size_decides_and_missing_size_is_not_assessed():
    small = battery_doc("2027-09-01", turnover=3.9e7)
    s = check(dossier_from_obj(small), ["eu-batteries"]).summary[0]
    assert s.result == "not_applicable" and "not above 40,000,000" in s.reasons[0]
    unknown = battery_doc("2027-09-01", turnover=None)
    s = check(dossier_from_obj(unknown), ["eu-batteries"]).summary[0]
    assert s.result == "not_assessed" and s.missing == ["operator.net_turnover_eur"]


def test_rare_earth_elements_are_not_battery_raw_materials():
    doc = battery_doc("2027-09-01")
    doc["items"][0]["elements"] = ["Nd", "Fe", "B"]
    assert results(doc, ["eu-batteries"]) == {"eu-batteries": "not_applicable"}


def motor_doc(day: str) -> dict:
    doc = example("dossier")
    doc["shipment_date"] = day
    doc["products"] = ["electric_motor"]
    doc["operator"]["roles"] = ["placing_on_market"]
    return doc


def test_crma_magnet_articles_follow_their_own_dates():
    """Art. 28 cannot apply before 2026-05-23 nor Art. 29 before 2027-05-24; both depend on acts not verified."""
    before = check(dossier_from_obj(motor_doc("2026-04-01")), ["eu-crma-magnet"])
    s = before.summary[0]
    # Art. 28 and 29 not yet, Art. 30 only once a delegated act covers the material: nothing binds, no pass
    assert s.result == "not_applicable" and s.rules_not_applicable == 13 and before.findings == []
    assert any("CRMA Art. 30" in x for x in s.reasons)
    later = check(dossier_from_obj(motor_doc("2026-06-01")), ["eu-crma-magnet"]).summary[0]
    assert later.result == "not_assessed" and later.rules_not_assessed == 5
    assert any("Art. 28(2)" in m for m in later.missing)
    art29 = check(dossier_from_obj(motor_doc("2027-06-01")), ["eu-crma-magnet"]).summary[0]
    assert art29.rules_not_assessed == 10


def test_crma_art24_three_yearly_assessment():
    doc = example("dossier")
    doc["operator"]["risk_assessment_on"] = "2023-03-15"
    r = check(dossier_from_obj(doc), ["eu-crma-risk"])
    assert r.summary[0].result == "fail" and r.rule_ids == {"CRMA-RISK-002"}
    doc["operator"]["large_company"] = False
    assert results(doc, ["eu-crma-risk"]) == {"eu-crma-risk": "not_applicable"}
    doc["operator"]["large_company"] = None
    s = check(dossier_from_obj(doc), ["eu-crma-risk"]).summary[0]
    assert s.result == "not_assessed" and "operator.large_company" in s.missing


def test_crma_art27_binds_extractive_waste_operators_from_2026_11_24():
    doc = example("dossier")
    doc["operator"].update({"roles": ["extractive_waste_operator"], "large_company": False})
    doc["shipment_date"] = "2026-11-23"
    s = check(dossier_from_obj(doc), ["eu-crma-risk"]).summary[0]
    assert s.result == "not_applicable" and "applies from 2026-11-24" in s.reasons[-1]
    doc["shipment_date"] = "2026-11-24"
    r = check(dossier_from_obj(doc), ["eu-crma-risk"])
    assert r.summary[0].result == "fail" and r.rule_ids == {"CRMA-WASTE-001"}
    doc["operator"]["waste_assessment_submitted_on"] = "2026-10-01"
    assert results(doc, ["eu-crma-risk"]) == {"eu-crma-risk": "pass"}


@pytest.mark.parametrize("name", ["dossier", "dossier_fail", "dossier_not_eu"])
@pytest.mark.parametrize("day", ["2024-01-01", "2026-03-16", "2027-08-18", "2028-07-26", "2030-01-01"])
def test_a_regime_that_does_not_apply_never_passes_nor_fails(name, day):
    doc = example(name)
    doc["shipment_date"] = day
    r = check(dossier_from_obj(doc), EU, readiness=True)
    for s in r.summary:
        binding = [f for f in r.findings if f.regime == s.regime and not f.readiness]
        if s.result in ("not_applicable", "not_assessed"):
            assert binding == [] and s.reasons
            assert all(f.readiness for f in r.findings if f.regime == s.regime)
        else:
            assert (s.result == "fail") == any(f.severity == "error" for f in binding)


def test_readiness_reads_rules_without_changing_results():
    doc = example("dossier")
    doc["due_diligence"]["complaints_channel"] = None
    plain = check(dossier_from_obj(doc), ["eu-csddd"])
    ready = check(dossier_from_obj(doc), ["eu-csddd"], readiness=True)
    assert plain.findings == [] and plain.summary[0].result == ready.summary[0].result == "not_applicable"
    assert "CSDDD-010" in {f.rule_id for f in ready.findings} and all(f.readiness for f in ready.findings)
    assert ready.exit_code == plain.exit_code == 0


def test_check_json_has_summary_and_findings(tmp_path):
    p = tmp_path / "d.json"
    p.write_text(json.dumps(example("dossier_not_eu")), encoding="utf-8")
    r = CliRunner().invoke(app, ["comply", "check", str(p), "--regimes", ",".join(EU), "--format", "json"])
    out = json.loads(r.output)
    assert r.exit_code == 0 and out["findings"] == []
    assert [s["result"] for s in out["summary"]] == ["not_applicable"] * len(EU)


def test_yaml_dossier_with_impossible_date_is_one_line(tmp_path):
    doc = copy.deepcopy(example("dossier"))
    import yaml

    text = yaml.safe_dump(doc, allow_unicode=True).replace("shipment_date: '2026-03-16'", "shipment_date: 2026-02-30")
    text = text.replace("shipment_date: 2026-03-16", "shipment_date: 2026-02-30")
    assert "2026-02-30" in text
    p = tmp_path / "d.yaml"
    p.write_text(text, encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "critmin", "comply", "check", str(p), "--regimes", "eu-csddd"],
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert proc.returncode == 2 and proc.stdout == ""
    msg = proc.stderr.strip()
    assert msg.count("\n") == 0 and str(p) in msg and "2026-02-30" in msg and "line" in msg


def test_reasons_speak_both_languages():
    r = check(dossier_from_obj(example("dossier_not_eu")), ["eu-batteries"])
    en, zh = r.summary[0].to_dict("en")["reasons"][0], r.summary[0].to_dict("zh")["reasons"][0]
    assert "destination JPN is not in EU27" in en and "目的地 JPN 不属于 EU27" in zh
    assert r.summary_frame("zh")["result"][0] == "不适用"
