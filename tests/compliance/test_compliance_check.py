"""Rule packs against the complete dossier and one dossier per defect class."""

from __future__ import annotations

import json
from datetime import date

import pytest
from compliance_helpers import ALL_REGIMES, DATA, apply_patch, defect_files

from critmin.compliance.check import check
from critmin.compliance.loader import dossier_from_obj, load_dossier
from critmin.compliance.rules import REGIMES, load_pack


def test_complete_dossier_passes_every_pack(verified_doc, custody):
    d = dossier_from_obj(verified_doc)
    result = check(d, ALL_REGIMES, ledger=custody.path, readiness=True)
    assert result.findings == [] and result.custody == "verified"
    assert result.exit_code == 0
    assert result.as_of == date(2026, 3, 16)


def test_hand_written_custody_section_is_only_advisory_unverified():
    """complete.json's own section says verified: true, but no ledger stands behind it."""
    result = check(load_dossier(DATA / "complete.json"), ALL_REGIMES, readiness=True)
    assert [(f.rule_id, f.detail.split(":")[0]) for f in result.findings] == [("CSDDD-013", "unverified")]
    assert result.findings[0].readiness and result.exit_code == 0  # CSDDD does not apply before 2028-07-26


@pytest.mark.parametrize("path", defect_files(), ids=lambda p: p.stem)
def test_defect_fails_with_exactly_expected_rules(path, verified_doc, custody):
    patch = json.loads(path.read_text(encoding="utf-8"))
    d = dossier_from_obj(apply_patch(verified_doc, patch), str(path))
    result = check(d, ALL_REGIMES, ledger=custody, readiness=True)  # rules of regimes not yet applying too
    assert {f.rule_id for f in result.findings} == set(patch["expect"]), result.to_frame().to_string()


def test_defect_classes_cover_every_regime():
    seen = set()
    for path in defect_files():
        for rid in json.loads(path.read_text(encoding="utf-8"))["expect"]:
            seen.add(rid.split("-")[0])
    assert {"CN", "CSDDD", "CRMA", "DPP"} <= seen
    assert len(defect_files()) >= 12


def test_exit_code_by_worst_severity(complete_doc):
    advisory = dossier_from_obj(apply_patch(complete_doc, {"delete": ["traceability.cn_trace_system_id"]}))
    assert check(advisory, ALL_REGIMES).exit_code == 3
    warning = dossier_from_obj(apply_patch(complete_doc, {"set": {"end_use.no_military_use": False}}))
    assert check(warning, ALL_REGIMES).exit_code == 4
    error = dossier_from_obj(apply_patch(complete_doc, {"delete": ["end_use"]}))
    assert check(error, ALL_REGIMES).exit_code == 5


def test_findings_name_path_and_speak_both_languages(complete_doc):
    d = dossier_from_obj(apply_patch(complete_doc, {"delete": ["items[0].controlled_item_id"]}))
    r = check(d, ["cn-export"])
    en, zh = r.to_frame("en"), r.to_frame("zh")
    assert list(en["path"]) == ["items[0].controlled_item_id"]
    assert en["severity"][0] == "error" and zh["severity"][0] == "错误"
    assert "No. 18 of 2025" in en["citation"][0]
    assert zh["requirement"][0] != en["requirement"][0]


def test_packs_are_well_formed():
    for regime in REGIMES:
        pack = load_pack(regime)
        for rule in pack.rules:
            assert rule.citation.source
            assert rule.text.en and rule.text.zh
            if not rule.law_specific:
                assert rule.severity == "advisory" and rule.note is not None


def test_result_as_api_json(complete_doc):
    import json as _json

    d = dossier_from_obj(apply_patch(complete_doc, {"delete": ["end_use.signed_on"]}))
    out = check(d, ["cn-export"]).to_dict("zh")
    assert out["worst"] == "error" and out["exit_code"] == 5 and out["as_of"] == "2026-03-16"
    assert out["findings"][0]["path"] == "end_use.signed_on" and out["findings"][0]["problem"] == "缺失"
    _json.dumps(out, ensure_ascii=False)
