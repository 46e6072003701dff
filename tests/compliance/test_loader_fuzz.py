"""Fuzzing the dossier loader (hypothesis, 10⁴ cases): no crash, only clear InputErrors; every dossier that
loads can be checked against all packs without an exception."""

from __future__ import annotations

import copy
import json

import pytest
from compliance_helpers import ALL_REGIMES
from dossier_strategies import DOC, inputs
from hypothesis import HealthCheck, given, settings

from critmin.compliance.check import check
from critmin.compliance.loader import load_dossier, loads_dossier
from critmin.compliance.model import Dossier
from critmin.errors import InputError


@pytest.mark.slow
@settings(max_examples=10_000, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(inputs)
def test_loader_never_crashes(text):
    try:
        d = loads_dossier(text, "fuzz.json")
    except InputError as exc:
        msg = str(exc)
        assert msg.startswith("fuzz.json") and "expected" in msg
        return
    assert isinstance(d, Dossier)
    check(d, ALL_REGIMES)  # whatever loads can be checked


def test_input_errors_name_file_record_and_field(tmp_path):
    doc = copy.deepcopy(DOC)
    doc["items"][0]["quantity_kg"] = "lots"
    p = tmp_path / "d.json"
    p.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_dossier(p)
    assert exc.value.file == str(p) and exc.value.field == "items.0.quantity_kg"
    p.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match="d.json"):
        load_dossier(p)
    y = tmp_path / "d.yaml"
    y.write_text("dossier_id: X\nitems:\n  - line_no: 1\n    hs_code: [1\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_dossier(y)
    assert exc.value.file == str(y)
    y.write_text("dossier_id: X\nitems:\n  - line_no: 1\n    quantity_kg: lots\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_dossier(y)
    assert exc.value.record == 4 and exc.value.field == "items.0.quantity_kg"  # YAML errors carry the line
    with pytest.raises(InputError):
        load_dossier(tmp_path / "missing.json")


def test_yaml_dossier_loads(tmp_path):
    import yaml

    y = tmp_path / "d.yaml"
    y.write_text(yaml.safe_dump(DOC, allow_unicode=True), encoding="utf-8")
    assert load_dossier(y) == Dossier.model_validate(DOC)
