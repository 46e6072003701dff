"""Declarative data (packs, crosswalk, control status) is validated; crosswalk, template and schema outputs."""

from __future__ import annotations

import json
from datetime import date

import pytest
from compliance_helpers import ALL_REGIMES

from critmin.compliance.controls import controlled_elements
from critmin.compliance.crosswalk import crosswalk, mappings, mappings_from_data, matrix
from critmin.compliance.loader import load_dossier
from critmin.compliance.model import json_schema
from critmin.compliance.rules import REGIMES, load_pack, pack_from_data
from critmin.compliance.template import template_fields, write_template
from critmin.errors import CatalogError, UsageError


def test_controlled_elements_come_from_the_kb():
    """Elements needing a licence on a date: only goods items in force then (No. 57 was never in force)."""
    assert set(controlled_elements(date(2025, 4, 3))) >= {"Ga", "Ge", "Sb"}
    assert not {"Sm", "Dy"} & set(controlled_elements(date(2025, 4, 3)))
    assert {"Sm", "Gd", "Tb", "Dy", "Lu", "Sc", "Y"} <= set(controlled_elements(date(2026, 1, 1)))
    assert "Ho" not in controlled_elements(date(2025, 10, 20))  # announced, effective 2025-11-08, then suspended
    assert "Ho" not in controlled_elements(date(2025, 11, 20))


def test_broken_data_is_refused_naming_file_and_key():
    pack = json.loads(json.dumps(load_pack("eu-dpp").model_dump(mode="json")))
    pack["rules"][0]["severity"] = "error"  # law_specific: false must stay advisory
    with pytest.raises(CatalogError) as exc:
        pack_from_data(pack, "packs/eu_dpp.yaml", "eu-dpp")
    assert exc.value.record == "DPP-001" and "advisory" in str(exc.value)
    pack["rules"][0]["severity"] = "advisory"
    pack["rules"][1]["id"] = "DPP-001"
    with pytest.raises(CatalogError, match="unique"):
        pack_from_data(pack, "packs/eu_dpp.yaml", "eu-dpp")
    with pytest.raises(CatalogError) as exc:
        mappings_from_data({"mappings": [{"from": "CN-EXP-001", "to": ["NOPE-001"], "relation": "met",
                                          "reason": {"en": "a", "zh": "b"}}]}, "cw.yaml")
    assert exc.value.file == "cw.yaml" and "CN-EXP-001" in exc.value.record


def test_crosswalk_cn_export_against_csddd():
    df = crosswalk("cn-export", "eu-csddd")
    assert list(df["rule_id"]) == [r.id for r in load_pack("cn-export").rules]
    rel = dict(zip(df["rule_id"], df["relation"], strict=True))
    assert rel["CN-EXP-004"] == "unique"  # end-use statement: nothing in CSDDD asks for it
    assert rel["CN-EXP-001"] == "partial"
    assert set(df["relation"]) <= {"met", "partial", "unique"}
    assert df.loc[df["relation"] != "unique", "reason"].str.len().min() > 20
    zh = crosswalk("cn-export", "eu-csddd", lang="zh")
    assert zh["relation_label"].isin(["已满足", "部分满足", "独有"]).all()
    with pytest.raises(UsageError):
        crosswalk("cn-export", "cn-export")
    with pytest.raises(UsageError):
        crosswalk("cn-export", "us-dfars")


def test_matrix_counts_add_up():
    m = matrix()
    n = len(REGIMES)
    assert len(m) == n * (n - 1)
    assert ((m["met"] + m["partial"] + m["unique"]) == m["rules"]).all()
    assert m["met"].sum() >= 2 and m["partial"].sum() >= 10
    assert len(mappings()) >= 15


def test_template_covers_every_field_the_rules_read(tmp_path):
    fields = {f.path for f in template_fields(ALL_REGIMES)}
    for regime in ALL_REGIMES:
        for rule in load_pack(regime).rules:
            for p in rule.field_paths():
                p = p[:-3] if p.endswith("[*]") else p
                assert p in fields or any(f.startswith(p + ".") or f.startswith(p + "[*].") for f in fields), (rule.id, p)


def test_template_files_are_bilingual_and_loadable(tmp_path):
    import openpyxl

    jpath, xpath = write_template("cn-export,eu-csddd,eu-crma-magnet", tmp_path)
    tpl = json.loads(jpath.read_text(encoding="utf-8"))
    guide = tpl["_template"]["fields"]
    assert guide["end_use.statement"]["zh"] == "最终用途说明" and guide["end_use.statement"]["severity"] == "error"
    d = load_dossier(jpath)  # the template envelope itself loads
    from critmin.compliance.check import check

    r = check(d, ["cn-export", "eu-csddd", "eu-crma-magnet"], readiness=True)
    # a blank template cannot say whether a regime binds it (no origin, operator, products): not assessed
    assert {s.result for s in r.summary} <= {"not_assessed", "not_applicable"} and r.exit_code == 0
    assert any(m.startswith("operator") for s in r.summary for m in s.missing)
    assert "destination_country" in guide and "operator.employees" in guide
    wb = openpyxl.load_workbook(xpath)
    assert {"README 说明", "Dossier 档案", "items", "due_diligence.risks"} <= set(wb.sheetnames)
    items = wb["items"]
    header = [c.value for c in items[1]]
    assert "hs_code" in header and "controlled_item_id" in header
    assert items.cell(3, header.index("hs_code") + 1).value == "商品编码（6、8 或 10 位）"
    assert any("magnet" in (dv.formula1 or "") for dv in items.data_validations.dataValidation)


def test_schema_is_json_schema():
    s = json_schema()
    assert s["$schema"].endswith("2020-12/schema") and s["title"] == "Dossier"
    assert "items" in s["properties"] and "Item" in s["$defs"]


def _fill_workbook(xpath, doc):
    """Type the complete dossier's values into the Excel template, as a user would."""
    import openpyxl

    from critmin.compliance.rules import resolve
    from critmin.compliance.template import SINGLE_SHEET

    wb = openpyxl.load_workbook(xpath)
    ws = wb[SINGLE_SHEET]
    for r in range(2, ws.max_row + 1):
        found = resolve(doc, ws.cell(r, 1).value)
        v = found[0][1] if found else None
        if isinstance(v, list):
            v = ",".join(map(str, v))
        if v is not None and not isinstance(v, dict):
            ws.cell(r, 4).value = v
    for name in wb.sheetnames[2:]:
        sh = wb[name]
        header = [c.value for c in sh[1]]
        for i, item in enumerate(resolve(doc, name)[0][1] or []):
            for k, key in enumerate(header):
                v = item.get(key)
                if isinstance(v, list):
                    v = ",".join(map(str, v))
                if v is not None:
                    sh.cell(5 + i, k + 1).value = v
    wb.save(xpath)


def test_filled_excel_template_reads_back_and_passes(tmp_path, complete_doc, custody):
    from critmin.compliance.check import check
    from critmin.compliance.template import read_workbook

    _, xpath = write_template(ALL_REGIMES, tmp_path)
    _fill_workbook(xpath, complete_doc)
    d = read_workbook(xpath)
    assert d.chain_of_custody is None  # comes from the ledger, not from the workbook
    d.chain_of_custody = custody.export_evidence("MAG-2026-007")
    assert check(d, ALL_REGIMES, ledger=custody).findings == []
    assert d.items[0].hs_code == "8505111000" and d.items[0].elements == ["Nd", "Pr", "Dy", "Tb", "Fe", "B"]


def test_bad_excel_cell_names_sheet_and_row(tmp_path, complete_doc):
    import openpyxl

    from critmin.compliance.template import read_workbook
    from critmin.errors import InputError

    _, xpath = write_template(["cn-export"], tmp_path)
    _fill_workbook(xpath, complete_doc)
    wb = openpyxl.load_workbook(xpath)
    sh = wb["items"]
    col = [c.value for c in sh[1]].index("quantity_kg") + 1
    sh.cell(5, col).value = "a lot"
    wb.save(xpath)
    with pytest.raises(InputError) as exc:
        read_workbook(xpath)
    assert "sheet 'items' row 5" in str(exc.value) and exc.value.field == "quantity_kg"
    (tmp_path / "junk.xlsx").write_bytes(b"not a workbook")
    with pytest.raises(InputError):
        read_workbook(tmp_path / "junk.xlsx")
