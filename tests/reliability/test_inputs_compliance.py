"""Issue 18 regressions for the compliance wing and the custody ledger. Each test reproduced its failure on the
code before the fix (a takeover, a trusted hand-written flag, a key file briefly world-readable, a traceback,
a silent last-wins key, an expanded XML entity …)."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import stat
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from critmin.cli import app
from critmin.compliance.check import check as _check
from critmin.compliance.ledger import (
    Ledger,
    LedgerRefused,
    event_hash,
    generate_keypair,
    load_private_key,
    sign,
)
from critmin.compliance.loader import load_dossier, loads_dossier
from critmin.errors import CatalogError, InputError

DATA = Path(__file__).parents[1] / "compliance" / "data"
COMPLETE = json.loads((DATA / "complete.json").read_text(encoding="utf-8"))
runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def batch(party, name, **kw):
    return {"kind": "create_batch", "party": party, "batch": name, "mass_kg": 10, "stage": "mine", **kw}


# ------------------------------------------------------------------ 1. a later key cannot take over a party


def test_registering_a_key_for_an_unsigned_party_with_events_is_refused(tmp_path):
    led = Ledger.init(tmp_path / "l.db")
    led.append(batch("mine", "ORE"))
    pem, pub = generate_keypair()
    with pytest.raises(LedgerRefused) as exc:
        led.append({"kind": "register_party", "party": "mine", "public_key": pub}, private_key=load_private_key(pem))
    msg = str(exc.value)
    assert "'mine'" in msg and str(led.path) in msg and "\n" not in msg
    led.append({"kind": "transfer", "party": "mine", "batch": "ORE", "to_party": "sep"})  # mine still acts unsigned
    assert led.verify().ok and len(led.events()) == 2


def test_registering_a_key_for_a_party_that_already_received_custody_is_refused(tmp_path):
    led = Ledger.init(tmp_path / "l.db")
    led.append_many([batch("mine", "ORE"), {"kind": "transfer", "party": "mine", "batch": "ORE", "to_party": "sep"}])
    pem, pub = generate_keypair()
    with pytest.raises(LedgerRefused, match="'sep'"):
        led.append({"kind": "register_party", "party": "sep", "public_key": pub}, private_key=load_private_key(pem))
    # a party that registers before it appears binds its key, as before
    pem2, pub2 = generate_keypair()
    led.append({"kind": "register_party", "party": "new", "public_key": pub2}, private_key=load_private_key(pem2))
    assert led.verify().ok


def test_a_takeover_written_by_an_earlier_critmin_fails_verify(tmp_path):
    led = Ledger.init(tmp_path / "l.db")
    led.append(batch("mine", "ORE"))
    pem, pub = generate_keypair()
    key = load_private_key(pem)
    con = sqlite3.connect(led.path, isolation_level=None)  # write the register event as the old code did
    prev = con.execute("SELECT value FROM meta WHERE key='head_hash'").fetchone()[0]
    body = {"public_key": pub}
    h = event_hash(2, "take", "2026-01-02T00:00:00Z", "register_party", "mine", body, prev)
    con.execute("INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?)", (2, "take", "2026-01-02T00:00:00Z", "register_party",
                "mine", json.dumps(body, sort_keys=True, separators=(",", ":")), prev, h, sign(key, h)))
    con.execute("INSERT INTO parties VALUES ('mine', ?)", (pub,))
    con.execute("UPDATE meta SET value='2' WHERE key='head_seq'")
    con.execute("UPDATE meta SET value=? WHERE key='head_hash'", (h,))
    con.close()
    rep = led.verify()
    assert not rep.ok and rep.first_bad.seq == 2 and rep.first_bad.code == "rule" and "'mine'" in rep.first_bad.reason


# ------------------------------------------------------------------ 2. timestamps are ISO 8601


@pytest.mark.parametrize("ts", ["yesterday", "2026-13-01T00:00:00Z", "01/02/2026 10:00:00", "2026-01-01",
                                "2026-01-01T10:00:00", "2026-01-01T25:00:00Z", "2026-01-01T10:00:00Z junk"])
def test_ledger_timestamps_must_be_iso_8601_with_offset(tmp_path, ts):
    led = Ledger.init(tmp_path / "l.db")
    with pytest.raises(InputError) as exc:
        led.append_many([batch("m", "A"), batch("m", "B", ts=ts)], sources=["e.json[0]", "e.json[1]"])
    assert exc.value.file == "e.json[1]" and exc.value.record == "ts" and exc.value.field == "ts"
    assert "ISO 8601" in exc.value.expected
    assert led.events().empty and led.verify().ok


def test_iso_8601_timestamps_are_accepted(tmp_path):
    led = Ledger.init(tmp_path / "l.db")
    for i, ts in enumerate(["2026-01-01T10:00:00Z", "2026-01-01T10:00:00.123456+08:00", "2026-01-01T10:00+01:00"]):
        led.append(batch("m", f"B{i}", ts=ts))
    assert list(led.events()["ts"])[1] == "2026-01-01T10:00:00.123456+08:00" and led.verify().ok


# ------------------------------------------------------------------ 3. comply check recomputes custody


def _custody_ledger(path):
    led = Ledger.init(path)
    led.append_many([
        {"kind": "create_batch", "party": "sep", "batch": "MET", "mass_kg": 1750, "stage": "metal"},
        {"kind": "recycle_in", "party": "sep", "batch": "SCR", "mass_kg": 250, "source": "post_consumer"},
        {"kind": "transform", "party": "sep", "inputs": [{"batch": "MET", "mass_kg": 1750}, {"batch": "SCR", "mass_kg": 250}],
         "outputs": [{"batch": "MAG", "mass_kg": 1800, "stage": "magnet"}]},
    ])
    return led


def check(*args, **kw):
    """CSDDD (2028-07-26) and CRMA Art. 29 (2027-05-24) do not bind complete.json's 2026 shipment yet: their
    custody and recycled-share rules are read as readiness findings, which is what these tests inspect."""
    return _check(*args, readiness=True, **kw)


def _ids(result) -> set[str]:
    return {f.rule_id for f in result.findings}


def _custody_finding(result):
    return [f for f in result.findings if f.path == "chain_of_custody.verified"]


def test_hand_written_verified_flag_is_not_trusted_without_a_ledger(tmp_path):
    assert COMPLETE["chain_of_custody"]["verified"] is True  # hand-written, no ledger behind it
    # CSDDD does not bind before 2028-07-26: its custody rule is read as a readiness finding
    res = check(load_dossier(DATA / "complete.json"), ["eu-csddd"])
    (f,) = _custody_finding(res)
    assert f.detail.startswith("unverified") and "--ledger" in f.detail and res.custody.startswith("unverified")
    r = run("comply", "check", DATA / "complete.json", "--regimes", "eu-csddd", "--format", "json", "--readiness")
    rows = json.loads(r.output)["findings"]
    assert r.exit_code == 0 and any("unverified" in x["problem"] for x in rows)
    assert not any(re.search(r"(?<!un)verified", x["problem"]) for x in rows)


def test_custody_section_is_recomputed_from_the_ledger(tmp_path):
    led = _custody_ledger(tmp_path / "l.db")
    doc = dict(COMPLETE, chain_of_custody=led.export_evidence("MAG").model_dump(mode="json"),
               recycled_content={"total_recycled_share_pct": 12.0})
    good = tmp_path / "good.json"
    good.write_text(json.dumps(doc), encoding="utf-8")
    res = check(load_dossier(good), ["eu-csddd", "eu-crma-magnet"], ledger=led.path)
    assert res.custody == "verified" and not _custody_finding(res) and "CRMA-009" not in _ids(res)
    assert run("comply", "check", good, "--regimes", "eu-csddd", "--ledger", led.path).exit_code == 0
    # a section edited by hand: 99 % recycled would back a 25 % claim; the ledger says 12.5 %
    forged = json.loads(json.dumps(doc))
    forged["chain_of_custody"]["recycled_share_pct"] = 99.0
    forged["recycled_content"]["total_recycled_share_pct"] = 25.0
    res = check(loads_dossier(json.dumps(forged)), ["eu-csddd", "eu-crma-magnet"], ledger=led.path)
    (f,) = _custody_finding(res)
    assert "unverified" in f.detail and "recycled_share_pct" in f.detail and "CRMA-009" in _ids(res)
    # a head hash that is not in this ledger, an event that is not the ledger's, an unknown batch
    for path, value in (("ledger_head_hash", "ab" * 32), ("batch_id", "NOPE")):
        bad = json.loads(json.dumps(doc))
        bad["chain_of_custody"][path] = value
        res = check(loads_dossier(json.dumps(bad)), ["eu-csddd"], ledger=led.path)
        assert _custody_finding(res)[0].detail.startswith("unverified"), path
    bad = json.loads(json.dumps(doc))
    bad["chain_of_custody"]["events"][0]["hash"] = "cd" * 32
    assert "event 1" in check(loads_dossier(json.dumps(bad)), ["eu-csddd"], ledger=led.path).custody


def test_a_ledger_that_fails_verify_does_not_verify_the_dossier(tmp_path):
    led = _custody_ledger(tmp_path / "l.db")
    doc = dict(COMPLETE, chain_of_custody=led.export_evidence("MAG").model_dump(mode="json"))
    con = sqlite3.connect(led.path, isolation_level=None)
    con.execute("DROP TRIGGER events_no_update")
    con.execute("UPDATE events SET body=replace(body, '250', '950') WHERE seq=2")
    con.close()
    res = check(loads_dossier(json.dumps(doc)), ["eu-csddd"], ledger=led.path)
    assert res.custody.startswith("unverified") and "event 2" in res.custody


# ------------------------------------------------------------------ 4. the private key is 0600 from its first byte


def test_private_key_is_never_on_disk_with_wider_permissions(tmp_path, monkeypatch):
    seen = []
    real_replace, real_link, real_rename = os.replace, os.link, os.rename

    def spy(real):
        def inner(src, dst, *a, **kw):
            if str(dst).endswith(".pem"):
                seen.append(stat.S_IMODE(os.stat(src).st_mode))
            return real(src, dst, *a, **kw)
        return inner

    monkeypatch.setattr(os, "replace", spy(real_replace))
    monkeypatch.setattr(os, "link", spy(real_link))
    monkeypatch.setattr(os, "rename", spy(real_rename))
    old = os.umask(0o022)
    try:
        assert run("ledger", "keygen", "--out", tmp_path / "k").exit_code == 0
    finally:
        os.umask(old)
    assert seen and set(seen) == {0o600}
    assert stat.S_IMODE((tmp_path / "k.pem").stat().st_mode) == 0o600
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary file left
    assert run("ledger", "keygen", "--out", tmp_path / "k").exit_code != 0  # never overwritten


# ------------------------------------------------------------------ 5. data is inert text in the terminal


NASTY = ["[/x]", "[bold red]x", "\x1b[31mred\x1b[0m", "a\rb"]


def test_ledger_and_comply_output_escape_data(tmp_path):
    led = Ledger.init(tmp_path / "l.db")
    led.append_many([batch(p, f"B{i}", event_id=f"e{i}{p}") for i, p in enumerate(NASTY)])
    con = sqlite3.connect(led.path, isolation_level=None)
    con.execute("DROP TRIGGER events_no_update")
    con.execute("UPDATE events SET body=replace(body, '10', '11') WHERE seq=3")
    con.close()
    r = run("ledger", "verify", led.path)  # prints event ids itself
    assert r.exit_code == 6 and "\x1b" not in r.output and "\\x1b[31mred" in r.output
    doc = dict(COMPLETE, dossier_id="\x1b[2J[/x]")
    p = tmp_path / "d.json"
    p.write_text(json.dumps(doc), encoding="utf-8")
    r = run("comply", "check", p, "--regimes", "cn-export")
    assert r.exit_code == 0 and "\x1b" not in r.output and "[/x]" in r.output


def test_ledger_tables_show_markup_and_escapes_as_text(tmp_path):
    """The tables go through the shared printer (critmin.cli.output), which escapes cells and titles."""
    led = Ledger.init(tmp_path / "l.db")
    led.append_many([batch(p, f"B{i}[/x]") for i, p in enumerate(NASTY)])
    for args in (("ledger", "events", led.path), ("ledger", "history", led.path, "B0[/x]")):
        r = run(*args)
        assert r.exit_code == 0, (args, r.exception)
        assert "\x1b" not in r.output and "[/x]" in r.output


# ------------------------------------------------------------------ 6. dossiers, packs and workbooks


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_duplicate_keys_in_a_dossier_are_refused_with_the_line(tmp_path, fmt):
    text = ('{"dossier_id": "A",\n "kind": "shipment",\n "dossier_id": "B"}' if fmt == "json"
            else "dossier_id: A\nkind: shipment\ndossier_id: B\n")
    p = tmp_path / f"d.{fmt}"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_dossier(p)
    assert exc.value.file == str(p) and exc.value.field == "dossier_id" and "once" in exc.value.expected
    if fmt == "yaml":
        assert exc.value.record == 3


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_deeply_nested_dossier_is_an_input_error(tmp_path, fmt):
    p = tmp_path / f"d.{fmt}"
    p.write_text('{"dossier_id": "A", "items": ' + "[" * 5000 + "]" * 5000 + "}", encoding="utf-8")
    with pytest.raises(InputError, match="nesting"):
        load_dossier(p)


@pytest.mark.parametrize("value", ["2026-02-30", "!!int x", "!!map [1]", "!!python/object:os.system {}"])
def test_yaml_values_pyyaml_cannot_construct_are_input_errors(tmp_path, value):
    """Found by the fuzz suite: an impossible date in a YAML dossier was a ValueError traceback."""
    p = tmp_path / "d.yaml"
    p.write_text(f"dossier_id: {value}\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_dossier(p)
    assert exc.value.file == str(p) and "\n" not in str(exc.value)


@pytest.mark.parametrize("value", ["NaN", "Infinity", "1e309", "-1e309"])
def test_non_finite_numbers_in_a_dossier_are_refused(value):
    for text in ('{"dossier_id": "A", "footprint": {"stages": [{"stage": "refining", "value": VALUE}]}}',
                 '{"dossier_id": "A", "recycled_content": {"total_recycled_share_pct": VALUE}}'):
        with pytest.raises(InputError, match="finite|less than|greater than"):
            loads_dossier(text.replace("VALUE", value), "d.json")


@pytest.mark.parametrize("section, records", [
    ("items", [{"line_no": 1}, {"line_no": 1}]),
    ("material_list", [{"item_line": 1, "element": "Nd"}, {"item_line": 1, "element": "Nd"}]),
    ("traceability", {"batches": [{"batch_id": "B"}, {"batch_id": "B"}]}),
    ("due_diligence", {"risks": [{"risk_id": "R"}, {"risk_id": "R"}]}),
    ("due_diligence", {"measures": [{"measure_id": "M"}, {"measure_id": "M"}]}),
    ("recycled_content", {"by_element": [{"element": "Dy", "recycled_share_pct": 1}, {"element": "Dy"}]}),
    ("chain_of_custody", {"recycled_by_element": [{"element": "Dy"}, {"element": "Dy"}]}),
    ("magnet_label", {"composition": [{"element": "Nd"}, {"element": "Nd"}]}),
])
def test_duplicate_records_in_a_dossier_are_refused(section, records):
    with pytest.raises(InputError) as exc:
        loads_dossier(json.dumps({"dossier_id": "A", section: records}), "d.json")
    assert "twice" in exc.value.expected and exc.value.field.startswith(section)


@pytest.mark.parametrize("doc", [
    {"dossier_id": "A", "material_list": [{"item_line": 10**40}]},
    {"dossier_id": "A", "chain_of_custody": {"events": [{"seq": 10**30, "event_id": "e", "kind": "k", "party": "p",
                                                         "ts": "t", "hash": "a" * 64}]}},
])
def test_dossier_numbers_are_in_range(doc):
    with pytest.raises(InputError, match="less than"):
        loads_dossier(json.dumps(doc), "d.json")


def test_duplicate_keys_in_a_ledger_event_file_are_refused(tmp_path):
    led = Ledger.init(tmp_path / "l.db")
    ev = tmp_path / "e.json"
    ev.write_text('{"kind": "create_batch", "party": "m", "batch": "B", "mass_kg": 10, "stage": "mine", "mass_kg": 1e6}',
                  encoding="utf-8")
    r = run("ledger", "append", led.path, ev)
    assert isinstance(r.exception, InputError) and r.exception.field == "mass_kg" and led.events().empty


def test_rule_pack_with_a_duplicate_key_is_refused(tmp_path, monkeypatch):
    from critmin.compliance import rules

    real = rules.resources.files("critmin") / "compliance" / "packs" / "cn_export.yaml"
    text = real.read_text(encoding="utf-8").replace("  - id: CN-EXP-001\n", "  - id: CN-EXP-001\n    severity: advisory\n", 1)
    (tmp_path / "compliance" / "packs").mkdir(parents=True)
    (tmp_path / "compliance" / "packs" / "cn_export.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "messages").symlink_to(Path(str(rules.resources.files("critmin") / "messages")))
    monkeypatch.setattr(rules.resources, "files", lambda _pkg: tmp_path)
    rules.load_pack.cache_clear()
    try:
        with pytest.raises(CatalogError) as exc:
            rules.load_pack("cn-export")
    finally:
        rules.load_pack.cache_clear()
    assert exc.value.field == "severity" and isinstance(exc.value.record, int)


def _template(tmp_path):
    from critmin.compliance.template import write_template

    return write_template(["cn-export"], tmp_path / "tpl")[1]


def _rewrite(src, dst, member, fn):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for n in zin.namelist():
            data = zin.read(n)
            zout.writestr(n, fn(data) if n == member else data)
    return dst


def test_openpyxl_parses_with_defusedxml():
    import openpyxl

    assert openpyxl.DEFUSEDXML, "install defusedxml (a dependency of critmin) so openpyxl refuses XML entities"


def test_xml_entities_in_a_workbook_are_refused(tmp_path):
    from critmin.compliance.template import read_workbook

    src = _template(tmp_path)
    with zipfile.ZipFile(src) as z:
        sheet = next(n for n in z.namelist() if n.startswith("xl/worksheets/"))
    dtd = b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "x"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    bomb = _rewrite(src, tmp_path / "bomb.xlsx", sheet, lambda d: dtd + d.replace(b"DOSSIER-ID", b"&b;"))
    with pytest.raises(InputError) as exc:
        read_workbook(bomb)
    assert exc.value.file == str(bomb) and sheet in str(exc.value) and "DOCTYPE" in str(exc.value)


def test_workbook_uncompressed_size_and_rows_are_capped(tmp_path, monkeypatch):
    from critmin.compliance import template

    src = _template(tmp_path)
    with zipfile.ZipFile(src) as z:
        sheet = [n for n in z.namelist() if n.startswith("xl/worksheets/")][-1]
    big = _rewrite(src, tmp_path / "big.xlsx", sheet, lambda d: d.replace(b"<sheetData>", b"<sheetData>" + b" " * (70 << 20), 1))
    with pytest.raises(InputError, match="uncompressed"):
        template.read_workbook(big)
    monkeypatch.setattr(template, "MAX_ROWS", 1)
    with pytest.raises(InputError, match="rows"):
        template.read_workbook(src)


def test_random_bytes_as_workbook_are_an_input_error(tmp_path):
    from critmin.compliance.template import read_workbook

    p = tmp_path / "x.xlsx"
    p.write_bytes(b"PK\x03\x04" + os.urandom(200))
    with pytest.raises(InputError):
        read_workbook(p)


# ------------------------------------------------------------------ 7. bound parameters only


def test_ledger_sql_has_no_data_pasted_into_strings():
    source = (Path(__file__).parents[2] / "src" / "critmin" / "compliance" / "ledger.py").read_text(encoding="utf-8")
    assert not re.search(r"execute(many)?\(\s*f[\"']", source)


def test_batch_ids_that_look_like_sql_are_plain_data(tmp_path):
    led = Ledger.init(tmp_path / "l.db")
    evil = "x') OR 1=1; DROP TABLE events; --"
    led.append_many([batch("m", evil), batch("m", "y")])
    led.append({"kind": "transform", "party": "m", "inputs": [{"batch": evil, "mass_kg": 10}, {"batch": "y", "mass_kg": 10}],
                "outputs": [{"batch": "z", "mass_kg": 20, "stage": "metal"}]})
    assert led.verify().ok and led.replay().batches[evil].remaining_kg == 0
