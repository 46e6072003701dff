"""Ledger: appends, refusals, signatures, tamper detection on the SQLite file, concurrent appends."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from critmin.compliance.ledger import (
    Ledger,
    LedgerRefused,
    event_hash,
    generate_keypair,
    load_private_key,
)
from critmin.errors import InputError, UsageError

CHAIN = [
    {"kind": "create_batch", "party": "mine", "batch": "ORE-1", "mass_kg": 60000, "stage": "mine", "origin_country": "CHN"},
    {"kind": "transfer", "party": "mine", "batch": "ORE-1", "to_party": "sep"},
    {"kind": "transform", "party": "sep", "inputs": [{"batch": "ORE-1", "mass_kg": 60000}],
     "outputs": [{"batch": "OX-1", "mass_kg": 2400, "stage": "separation", "origin_country": "CHN"}]},
    {"kind": "transform", "party": "sep", "inputs": [{"batch": "OX-1", "mass_kg": 2400}],
     "outputs": [{"batch": "MET-1", "mass_kg": 2000, "stage": "metal", "origin_country": "CHN"}]},
    {"kind": "recycle_in", "party": "sep", "batch": "SCR-1", "mass_kg": 250, "source": "post_consumer", "origin_country": "DEU"},
    {"kind": "transform", "party": "sep", "inputs": [{"batch": "MET-1", "mass_kg": 1750}, {"batch": "SCR-1", "mass_kg": 250}],
     "outputs": [{"batch": "MAG-1", "mass_kg": 1800, "stage": "magnet", "origin_country": "CHN"}]},
    {"kind": "certify", "party": "auditor", "batch": "MAG-1", "certificate": {"kind": "audit", "ref": "A-77"}},
    {"kind": "transfer", "party": "sep", "batch": "MAG-1", "to_party": "importer"},
]


@pytest.fixture
def ledger(tmp_path):
    led = Ledger.init(tmp_path / "l.db")
    for i, ev in enumerate(CHAIN, start=1):
        led.append({**ev, "event_id": f"ev-{i}", "ts": f"2026-01-{i:02d}T00:00:00Z"})
    return led


def raw(led):
    """A connection to the file with the append-only triggers dropped, as a tamperer would do."""
    con = sqlite3.connect(led.path, isolation_level=None)
    con.execute("DROP TRIGGER IF EXISTS events_no_update")
    con.execute("DROP TRIGGER IF EXISTS events_no_delete")
    return con


def row(con, seq):
    return con.execute("SELECT seq, event_id, ts, kind, party, body, prev_hash, hash, signature FROM events WHERE seq=?",
                       (seq,)).fetchone()


def test_chain_verifies_and_computes_recycled_share(ledger):
    rep = ledger.verify()
    assert rep.ok and rep.events == len(CHAIN) and rep.exit_code == 0
    # MAG-1: 1750 kg virgin metal + 250 kg post-consumer scrap -> 12.5 % recycled
    assert ledger.recycled_share_pct("MAG-1") == pytest.approx(12.5)
    assert ledger.recycled_share_pct("MET-1") == 0.0
    hist = ledger.history("MAG-1")
    assert list(hist["event_id"]) == [f"ev-{i}" for i in range(1, 9)]
    assert list(ledger.history("SCR-1")["event_id"]) == ["ev-5", "ev-6"]


def test_export_evidence_section(ledger):
    ev = ledger.export_evidence("MAG-1")
    assert ev.verified is True and ev.recycled_share_pct == pytest.approx(12.5)
    assert ev.stages == ["mine", "separation", "metal", "recycling", "magnet"]
    assert ev.origin_countries == ["CHN", "DEU"]
    assert ev.ledger_head_hash == ledger.meta()["head_hash"]
    assert [e.seq for e in ev.events] == list(range(1, 9))


def test_exported_evidence_feeds_the_crma_recycled_claim_check(ledger, complete_doc):
    from critmin.compliance.check import check
    from critmin.compliance.loader import dossier_from_obj

    d = dossier_from_obj(complete_doc)
    d.chain_of_custody = ledger.export_evidence("MAG-1")
    d.recycled_content.total_recycled_share_pct = 12.9  # within 0.5 points of 12.5
    assert check(d, ["eu-crma-magnet", "eu-csddd", "eu-dpp"], ledger=ledger, readiness=True).findings == []
    d.recycled_content.total_recycled_share_pct = 15.0
    # Art. 29 binds from 2027-05-24 at the earliest: on 2026-03-16 the finding is a readiness one
    r = check(d, ["eu-crma-magnet"], ledger=ledger, readiness=True)
    assert {f.rule_id for f in r.findings} == {"CRMA-009"} and r.findings[0].readiness and r.exit_code == 0


@pytest.mark.parametrize(
    "event, message",
    [
        ({"kind": "transform", "party": "sep", "inputs": [{"batch": "MAG-1", "mass_kg": 1}],
          "outputs": [{"batch": "X", "mass_kg": 1, "stage": "product"}]}, "held by 'importer'"),
        ({"kind": "transform", "party": "importer", "inputs": [{"batch": "MAG-1", "mass_kg": 100}],
          "outputs": [{"batch": "P-1", "mass_kg": 100.5, "stage": "product"}]}, "mass balance"),
        ({"kind": "transform", "party": "importer", "inputs": [{"batch": "MAG-1", "mass_kg": 1900}],
          "outputs": [{"batch": "P-1", "mass_kg": 10, "stage": "product"}]}, "only 1800 kg remain"),
        ({"kind": "create_batch", "party": "mine", "batch": "ORE-1", "mass_kg": 5, "stage": "mine"}, "already exists"),
        ({"kind": "transfer", "party": "x", "batch": "NOPE", "to_party": "y"}, "does not exist"),
    ],
)
def test_rule_breaking_events_are_refused_and_leave_no_trace(ledger, event, message):
    head = ledger.meta()["head_hash"]
    with pytest.raises(LedgerRefused, match=message):
        ledger.append(event)
    assert ledger.meta()["head_hash"] == head
    assert ledger.verify().ok


def test_yield_tolerance_is_declared_per_transformation(ledger):
    ev = {"kind": "transform", "party": "importer", "inputs": [{"batch": "MAG-1", "mass_kg": 100}],
          "outputs": [{"batch": "P-1", "mass_kg": 100.5, "stage": "product"}], "yield_tolerance": 0.01}
    ledger.append(ev)
    assert ledger.verify().ok


def test_bad_event_is_an_input_error_naming_the_field(ledger):
    with pytest.raises(InputError) as exc:
        ledger.append({"kind": "create_batch", "party": "m", "batch": "B", "mass_kg": -3, "stage": "mine"}, source="e.json")
    assert exc.value.file == "e.json" and exc.value.field == "mass_kg"


def test_triggers_refuse_plain_updates(ledger):
    con = sqlite3.connect(ledger.path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("UPDATE events SET party='x' WHERE seq=3")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("DELETE FROM events WHERE seq=3")
    con.close()


# --------------------------------------------------------------------------- tampering with the file


def test_edit_is_detected_and_named(ledger):
    con = raw(ledger)
    body = json.loads(row(con, 5)[5])
    body["mass_kg"] = 2500  # more scrap -> more recycled content
    con.execute("UPDATE events SET body=? WHERE seq=5", (json.dumps(body, sort_keys=True, separators=(",", ":")),))
    con.close()
    rep = ledger.verify()
    assert not rep.ok and rep.exit_code == 6
    assert rep.first_bad.seq == 5 and rep.first_bad.event_id == "ev-5" and "edited" in rep.first_bad.reason


def test_edit_with_rehash_is_detected_at_the_link(ledger):
    con = raw(ledger)
    seq, eid, ts, kind, party, body, prev, h, sig = row(con, 4)
    b = json.loads(body)
    b["outputs"][0]["mass_kg"] = 2100
    new_h = event_hash(seq, eid, ts, kind, party, b, prev)
    con.execute("UPDATE events SET body=?, hash=? WHERE seq=4", (json.dumps(b), new_h))
    con.close()
    rep = ledger.verify()
    assert not rep.ok and rep.first_bad.seq == 5 and "broken link" in rep.first_bad.reason


def test_delete_in_the_middle_is_detected_and_named(ledger):
    con = raw(ledger)
    con.execute("DELETE FROM events WHERE seq=4")
    con.close()
    rep = ledger.verify()
    assert not rep.ok and rep.first_bad.seq == 4 and "deleted" in rep.first_bad.reason


def test_delete_with_renumbering_is_detected(ledger):
    con = raw(ledger)
    con.execute("DELETE FROM events WHERE seq=4")
    for s in range(5, len(CHAIN) + 1):
        con.execute("UPDATE events SET seq=? WHERE seq=?", (s - 1, s))
    con.close()
    rep = ledger.verify()
    assert not rep.ok and rep.first_bad.seq == 4 and rep.first_bad.event_id == "ev-5"


def test_delete_at_the_end_is_detected_by_the_head(ledger):
    con = raw(ledger)
    con.execute("DELETE FROM events WHERE seq=?", (len(CHAIN),))
    con.close()
    rep = ledger.verify()
    assert not rep.ok and rep.first_bad.seq == len(CHAIN) and rep.first_bad.kind == "head"


def test_naive_insert_is_detected_and_named(ledger):
    con = raw(ledger)
    con.execute("INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?)",
                (len(CHAIN) + 1, "forged", "2026-02-01T00:00:00Z", "recycle_in", "sep",
                 '{"batch":"F","mass_kg":9999,"source":"post_consumer","stage":"recycling"}', "0" * 64, "f" * 64, None))
    con.close()
    rep = ledger.verify()
    assert not rep.ok and rep.first_bad.seq == len(CHAIN) + 1 and rep.first_bad.event_id == "forged"


def test_careful_insert_in_the_middle_is_named(ledger):
    """A forger who knows the format shifts later events and hashes the forged one correctly."""
    con = raw(ledger)
    for s in range(len(CHAIN), 4, -1):
        con.execute("UPDATE events SET seq=? WHERE seq=?", (s + 1, s))
    prev = row(con, 4)[7]
    body = {"batch": "F", "mass_kg": 5000.0, "source": "post_consumer", "stage": "recycling"}
    h = event_hash(5, "forged", "2026-01-04T12:00:00Z", "recycle_in", "sep", body, prev)
    con.execute("INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?)",
                (5, "forged", "2026-01-04T12:00:00Z", "recycle_in", "sep",
                 json.dumps(body, sort_keys=True, separators=(",", ":")), prev, h, None))
    con.close()
    rep = ledger.verify()
    assert not rep.ok and rep.first_bad.seq == 5 and rep.first_bad.event_id == "forged"
    assert "inserted" in rep.first_bad.reason


def test_reorder_is_detected_and_named(ledger):
    con = raw(ledger)
    con.execute("UPDATE events SET seq=-1 WHERE seq=3")
    con.execute("UPDATE events SET seq=3 WHERE seq=6")
    con.execute("UPDATE events SET seq=6 WHERE seq=-1")
    con.close()
    rep = ledger.verify()
    assert not rep.ok and rep.first_bad.seq == 3 and rep.first_bad.event_id == "ev-6" and "reordered" in rep.first_bad.reason


def test_anchor_detects_a_fully_rewritten_tail(ledger, tmp_path):
    anchor = ledger.meta()["head_hash"]
    con = raw(ledger)
    con.execute("DELETE FROM events WHERE seq=?", (len(CHAIN),))
    last = row(con, len(CHAIN) - 1)
    con.execute("UPDATE meta SET value=? WHERE key='head_seq'", (str(len(CHAIN) - 1),))
    con.execute("UPDATE meta SET value=? WHERE key='head_hash'", (last[7],))
    assert not ledger.verify().ok  # the state cache still shows MAG-1 transferred ...
    state = json.loads(con.execute("SELECT state FROM batches WHERE batch='MAG-1'").fetchone()[0])
    state["holder"] = "sep"
    con.execute("UPDATE batches SET state=? WHERE batch='MAG-1'", (json.dumps(state),))
    con.close()
    assert ledger.verify().ok  # ... a fully consistent truncation is invisible without an outside anchor ...
    rep = ledger.verify(anchor=anchor)  # ... and caught with one
    assert not rep.ok and rep.first_bad.kind == "head"


# --------------------------------------------------------------------------- signatures


def test_signed_party_events_must_carry_valid_signatures(tmp_path):
    pem, pub = generate_keypair()
    key = load_private_key(pem)
    led = Ledger.init(tmp_path / "s.db")
    with pytest.raises(LedgerRefused, match="signed with the private key"):
        led.append({"kind": "register_party", "party": "sep", "public_key": pub})
    led.append({"kind": "register_party", "party": "sep", "public_key": pub}, private_key=key)
    with pytest.raises(LedgerRefused, match="must be signed"):
        led.append({"kind": "create_batch", "party": "sep", "batch": "B", "mass_kg": 1, "stage": "metal"})
    other = load_private_key(generate_keypair()[0])
    with pytest.raises(LedgerRefused, match="must be signed"):
        led.append({"kind": "create_batch", "party": "sep", "batch": "B", "mass_kg": 1, "stage": "metal"}, private_key=other)
    led.append({"kind": "create_batch", "party": "sep", "batch": "B", "mass_kg": 1, "stage": "metal"}, private_key=key)
    with pytest.raises(LedgerRefused, match="no registered key"):
        led.append({"kind": "create_batch", "party": "mine", "batch": "C", "mass_kg": 1, "stage": "mine"}, private_key=key)
    assert led.verify().ok
    # a forger who rewrites a signed event and rehashes the whole chain still fails the signature
    con = raw(led)
    rows = con.execute("SELECT seq, event_id, ts, kind, party, body, prev_hash FROM events ORDER BY seq").fetchall()
    prev = rows[0][6]
    for seq, eid, ts, kind, party, body, _ in rows:
        b = json.loads(body)
        if seq == 2:
            b["mass_kg"] = 2.0
        h = event_hash(seq, eid, ts, kind, party, b, prev)
        con.execute("UPDATE events SET body=?, prev_hash=?, hash=? WHERE seq=?", (json.dumps(b), prev, h, seq))
        prev = h
    con.execute("UPDATE meta SET value=? WHERE key='head_hash'", (prev,))
    con.close()
    rep = led.verify()
    assert not rep.ok and rep.first_bad.seq == 2 and rep.first_bad.kind == "signature"


# --------------------------------------------------------------------------- concurrency and files


WRITER = textwrap.dedent(
    """
    import sys
    from critmin.compliance.ledger import Ledger
    led = Ledger(sys.argv[1])
    tag = sys.argv[2]
    for i in range(int(sys.argv[3])):
        led.append({"kind": "create_batch", "party": tag, "batch": f"{tag}-{i}", "mass_kg": 1.0 + i, "stage": "mine"})
        if i % 5 == 4:
            led.append({"kind": "transform", "party": tag, "inputs": [{"batch": f"{tag}-{i}", "mass_kg": 1.0 + i}],
                        "outputs": [{"batch": f"{tag}-{i}-out", "mass_kg": 1.0, "stage": "separation"}]})
    """
)


def test_two_processes_append_concurrently_without_loss(tmp_path):
    path = tmp_path / "c.db"
    Ledger.init(path)
    n = 60
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), tag, str(n)]) for tag in ("A", "B")]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    led = Ledger(path)
    rep = led.verify()
    assert rep.ok, rep.to_frame()
    events = led.events()
    per_writer = n + n // 5
    assert len(events) == 2 * per_writer
    assert list(events["seq"]) == list(range(1, 2 * per_writer + 1))
    assert events["party"].value_counts().to_dict() == {"A": per_writer, "B": per_writer}


def test_init_refuses_to_overwrite_and_open_checks_format(tmp_path):
    path = tmp_path / "l.db"
    Ledger.init(path)
    with pytest.raises(UsageError):
        Ledger.init(path)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not sqlite at all" * 10)
    with pytest.raises(InputError):
        Ledger(junk).verify()
    with pytest.raises(InputError):
        Ledger(tmp_path / "missing.db")


def test_append_many_is_all_or_nothing(ledger):
    head = ledger.meta()["head_hash"]
    good = {"kind": "create_batch", "party": "z", "batch": "Z1", "mass_kg": 1, "stage": "mine"}
    bad = {"kind": "transfer", "party": "z", "batch": "NOPE", "to_party": "y"}
    with pytest.raises(LedgerRefused, match="b.json"):
        ledger.append_many([good, bad], sources=["a.json", "b.json"])
    assert ledger.meta()["head_hash"] == head and len(ledger.events()) == len(CHAIN)
    done = ledger.append_many([good, {**good, "batch": "Z2"}])
    assert [d.seq for d in done] == [len(CHAIN) + 1, len(CHAIN) + 2] and ledger.verify().ok


def test_tampered_state_cache_is_detected(ledger):
    con = sqlite3.connect(ledger.path, isolation_level=None)
    text = con.execute("SELECT state FROM batches WHERE batch='MAG-1'").fetchone()[0]
    state = json.loads(text)
    state["recycled_kg"] = 1800.0  # claim the magnets are all recycled
    con.execute("UPDATE batches SET state=? WHERE batch='MAG-1'", (json.dumps(state),))
    con.close()
    rep = ledger.verify()
    assert not rep.ok and "cache" in rep.first_bad.reason and rep.exit_code == 6
    # the events, not the cache, decide what history and export report
    assert ledger.recycled_share_pct("MAG-1") == pytest.approx(12.5)


def test_history_leaves_out_sibling_products(ledger):
    ledger.append({"kind": "transform", "party": "sep", "inputs": [{"batch": "MET-1", "mass_kg": 250}],
                   "outputs": [{"batch": "ALLOY-9", "mass_kg": 240, "stage": "alloy"}], "event_id": "sibling"})
    assert "sibling" not in set(ledger.history("MAG-1")["event_id"])
    assert "sibling" in set(ledger.history("MET-1")["event_id"])  # it consumed MET-1 itself
    assert "sibling" in set(ledger.history("ALLOY-9")["event_id"])


ELEMENT_CHAIN = [
    {"kind": "create_batch", "party": "sep", "batch": "MET", "mass_kg": 1750, "stage": "metal",
     "composition": {"Nd": 30.0, "Dy": 5.0, "Fe": 64.0, "B": 1.0}},
    {"kind": "recycle_in", "party": "sep", "batch": "SCR", "mass_kg": 250, "source": "post_consumer",
     "composition": {"Nd": 28.0, "Dy": 2.0, "Fe": 69.0, "B": 1.0}},
    {"kind": "transform", "party": "sep", "inputs": [{"batch": "MET", "mass_kg": 1750}, {"batch": "SCR", "mass_kg": 250}],
     "outputs": [{"batch": "MAG", "mass_kg": 1800, "stage": "magnet",
                  "composition": {"Nd": 29.5, "Dy": 4.5, "Fe": 65.0, "B": 1.0}}]},
]


def test_recycled_share_by_element_through_the_chain(tmp_path):
    led = Ledger.init(tmp_path / "e.db")
    led.append_many(ELEMENT_CHAIN)
    by = led.replay().batches["MAG"].recycled_share_by_element()
    # Nd: 250*0.28 = 70 kg recycled of 1750*0.30 + 70 = 595 kg; Dy: 5 of 87.5 + 5 = 92.5 kg
    assert by["Nd"] == pytest.approx(70 / 595) and by["Dy"] == pytest.approx(5 / 92.5)
    assert by["Fe"] == pytest.approx(172.5 / (1120 + 172.5))
    ev = led.export_evidence("MAG")
    assert {r.element: r.recycled_share_pct for r in ev.recycled_by_element}["Dy"] == pytest.approx(100 * 5 / 92.5, abs=1e-6)
    # an output without declared composition inherits the mix, and so do its shares
    led.append({"kind": "transform", "party": "sep", "inputs": [{"batch": "MAG", "mass_kg": 900}],
                "outputs": [{"batch": "HALF", "mass_kg": 900, "stage": "product"}]})
    assert led.replay().batches["HALF"].recycled_share_by_element() == pytest.approx(by)


def test_element_balance_is_enforced(tmp_path):
    led = Ledger.init(tmp_path / "e.db")
    led.append_many(ELEMENT_CHAIN[:2])
    bad = json.loads(json.dumps(ELEMENT_CHAIN[2]))
    bad["outputs"][0]["composition"] = {"Nd": 20.0, "Dy": 10.0, "Fe": 69.0, "B": 1.0}  # 180 kg Dy out of 92.5 kg
    with pytest.raises(LedgerRefused, match="element balance.*Dy"):
        led.append(bad)
    with pytest.raises(InputError, match="100"):
        led.append({"kind": "create_batch", "party": "x", "batch": "Y", "mass_kg": 1, "stage": "mine",
                    "composition": {"Nd": 80.0, "Fe": 30.0}})


def test_unknown_composition_leaves_element_shares_unknown(tmp_path):
    led = Ledger.init(tmp_path / "e.db")
    led.append_many([
        ELEMENT_CHAIN[0],
        {"kind": "recycle_in", "party": "sep", "batch": "SCR", "mass_kg": 250, "source": "post_consumer"},
        ELEMENT_CHAIN[2],
    ])
    mag = led.replay().batches["MAG"]
    assert mag.element_kg and mag.recycled_share_by_element() == {}
    assert mag.recycled_share == pytest.approx(250 / 2000)
    assert led.export_evidence("MAG").recycled_by_element == []


def test_every_verify_problem_speaks_both_languages():
    import re
    from pathlib import Path

    from critmin.compliance import ledger as mod
    from critmin.i18n import t

    source = Path(mod.__file__).read_text(encoding="utf-8")
    used = set(re.findall(r'Problem\(.*?"([a-z_]+)", "(?:chain|signature|rule|head)"', source))
    assert used <= set(mod.PROBLEM_CODES)
    assert all(source.count(f'"{code}"') >= 2 for code in mod.PROBLEM_CODES)  # declared and used
    fields = {"expected": 1, "seq": 2, "event_id": "e", "inserted": 1, "before": 0, "later": 3, "detail": "d",
              "party": "p", "head": 1, "last": 0, "what": "w", "anchor": "a"}
    for code in mod.PROBLEM_CODES:
        assert t(f"compliance.verify.{code}", "en", **fields) != t(f"compliance.verify.{code}", "zh", **fields)
