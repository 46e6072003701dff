"""Core conventions: one JSON error shape, the bilingual message catalogue, settings precedence."""

from __future__ import annotations

import json

from critmin.errors import InputError, UnknownCodeError, UsageError


def test_error_json_shape():
    e = UnknownCodeError("f.csv", 7, "i", "known codes", 999, extra={"offenders": [999]})
    d = e.to_dict()
    assert set(d) == {"error", "message", "file", "record", "field", "expected", "got"}
    assert d["error"] == "UnknownCodeError" and d["record"] == 7 and d["got"] == "999"
    assert json.loads(json.dumps(d)) == d
    assert str(InputError("a.yaml", "groups (id=MSP)", "members", "a list")) == (
        "a.yaml, record groups (id=MSP), field 'members': expected a list")
    assert UsageError("x").to_dict() == {"error": "UsageError", "message": "x"}


def test_message_catalogue_is_bilingual_everywhere():
    from critmin.i18n import _catalogue, t

    cat = _catalogue()  # raises if any file lacks en or zh for a key, or defines a key twice
    assert len(cat) > 10
    assert t("build.done", "zh", path="x", seconds=1.0).startswith("数据仓库已就绪")
    assert t("build.done", "en", path="x", seconds=1.0).startswith("Warehouse ready")


def test_warehouse_path_precedence(monkeypatch, tmp_path):
    from critmin.settings import warehouse_path

    monkeypatch.setenv("CRITMIN_WAREHOUSE", str(tmp_path / "env.duckdb"))
    assert warehouse_path(tmp_path / "arg.duckdb") == tmp_path / "arg.duckdb"
    assert warehouse_path() == tmp_path / "env.duckdb"
    monkeypatch.delenv("CRITMIN_WAREHOUSE")
    assert warehouse_path().name == "critmin.duckdb" and "critmin" in str(warehouse_path().parent)


def test_error_frame_in_chinese(monkeypatch):
    monkeypatch.setenv("CRITMIN_LANG", "zh")
    e = InputError("bad.csv", 2, "v", "a number (value in thousand USD)", "abc")
    assert str(e) == "bad.csv，第 2 行，字段 'v'：应为 a number (value in thousand USD)，实际为 'abc'"


def test_input_error_stays_on_one_line_when_data_holds_newlines():
    """Found by the long fuzz run: a group id with a newline split the one-line error."""
    from critmin.errors import InputError

    msg = str(InputError("a\nb.yaml", "groups[0] (id=\n)", "x\ry", "a value", "v\n"))
    assert "\n" not in msg and "\r" not in msg and "(id=\\n)" in msg
