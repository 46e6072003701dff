"""Property tests: mass balance and recycled share on random transformation graphs.

The recycled share is checked against an independent computation: each batch's composition as a vector
over the source batches (numpy), mixed in proportion to the mass consumed from each input.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from critmin.compliance.ledger import Ledger, LedgerRefused

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@st.composite
def graphs(draw):
    """A random chain-of-custody graph: sources (virgin or recycled) and transformations mixing them."""
    events, sources, remaining = [], [], {}
    for i in range(draw(st.integers(1, 5))):
        mass = draw(st.floats(1.0, 1e4))
        recycled = draw(st.booleans())
        nd, dy = draw(st.floats(0.0, 60.0)), draw(st.floats(0.0, 20.0))
        comp = {"Nd": nd, "Dy": dy, "Fe": 100.0 - nd - dy}
        bid = f"S{i}"
        if recycled:
            events.append({"kind": "recycle_in", "party": "p", "batch": bid, "mass_kg": mass, "source": "post_consumer",
                           "composition": comp})
        else:
            events.append({"kind": "create_batch", "party": "p", "batch": bid, "mass_kg": mass, "stage": "mine",
                           "composition": comp})
        sources.append((bid, mass, recycled, comp))
        remaining[bid] = mass
    for t in range(draw(st.integers(0, 10))):
        live = sorted(b for b, m in remaining.items() if m > 1e-3)
        if not live:
            break
        picked = draw(st.lists(st.sampled_from(live), min_size=1, max_size=min(3, len(live)), unique=True))
        inputs = []
        for b in picked:
            frac = draw(st.floats(0.05, 1.0))
            take = remaining[b] * frac
            remaining[b] -= take
            inputs.append({"batch": b, "mass_kg": take})
        total = sum(f["mass_kg"] for f in inputs)
        yield_ = draw(st.floats(0.2, 1.0))
        weights = draw(st.lists(st.floats(0.1, 1.0), min_size=1, max_size=3))
        outputs = []
        for k, w in enumerate(weights):
            mass = total * yield_ * w / sum(weights)
            outputs.append({"batch": f"T{t}-{k}", "mass_kg": mass, "stage": "separation"})
            remaining[f"T{t}-{k}"] = mass
        events.append({"kind": "transform", "party": "p", "inputs": inputs, "outputs": outputs})
    return events, sources


def reference_shares(events, sources, element: str | None = None) -> dict[str, float]:
    """Recycled share (%) of every batch — of its mass, or of one element — via source-composition vectors."""
    index = {bid: i for i, (bid, *_) in enumerate(sources)}
    recycled = np.array([1.0 if r else 0.0 for _, _, r, _ in sources])
    weight = np.array([c[element] / 100.0 for *_, c in sources]) if element else np.ones(len(sources))
    comp = {bid: np.eye(len(sources))[i] for bid, i in index.items()}
    for ev in events:
        if ev["kind"] != "transform":
            continue
        w = np.array([f["mass_kg"] for f in ev["inputs"]])
        mix = sum(wi * comp[f["batch"]] for wi, f in zip(w, ev["inputs"], strict=True)) / w.sum()
        for o in ev["outputs"]:
            comp[o["batch"]] = mix
    out = {}
    for b, v in comp.items():
        total = float(v @ weight)
        out[b] = 100.0 * float(v @ (weight * recycled)) / total if total > 0 else 0.0
    return out


@SETTINGS
@given(graphs())
def test_recycled_share_and_mass_balance_on_random_graphs(graph):
    events, sources = graph
    with tempfile.TemporaryDirectory() as tmp:
        led = Ledger.init(Path(tmp) / "p.db")
        for ev in events:
            led.append(ev)
        assert led.verify().ok
        state = led.replay()
        ref = reference_shares(events, sources)
        for bid, share in ref.items():
            got = 100.0 * state.batches[bid].recycled_share
            assert got == pytest.approx(share, rel=1e-9, abs=1e-9)
            assert -1e-9 <= got <= 100 + 1e-9
        # mass balance per transformation and globally
        for ev in events:
            if ev["kind"] == "transform":
                assert sum(o["mass_kg"] for o in ev["outputs"]) <= sum(f["mass_kg"] for f in ev["inputs"]) * (1 + 1e-12)
        for element in ("Nd", "Dy", "Fe"):
            ref_e = reference_shares(events, sources, element)
            for bid, share in ref_e.items():
                got = 100.0 * state.batches[bid].recycled_share_by_element().get(element, 0.0)
                assert got == pytest.approx(share, rel=1e-7, abs=1e-7), (bid, element)
        source_mass = sum(m for _, m, _, _ in sources)
        recycled_in = sum(m for _, m, r, _ in sources if r)
        live = [b for b in state.batches.values()]
        assert sum(b.remaining_kg for b in live) <= source_mass * (1 + 1e-9)
        assert sum(b.remaining_kg * b.recycled_share for b in live) <= recycled_in * (1 + 1e-9) + 1e-9
        if all(r for _, _, r, _ in sources):
            assert all(b.recycled_share == pytest.approx(1.0) for b in live)
        if not any(r for _, _, r, _ in sources):
            assert all(b.recycled_share == 0.0 for b in live)


@SETTINGS
@given(graphs(), st.floats(1.001, 3.0))
def test_over_yield_is_refused_and_ledger_unchanged(graph, excess):
    events, _ = graph
    with tempfile.TemporaryDirectory() as tmp:
        led = Ledger.init(Path(tmp) / "p.db")
        for ev in events:
            led.append(ev)
        state = led.replay()
        live = sorted((b for b in state.batches.values() if b.remaining_kg > 1e-3), key=lambda b: b.batch)
        if not live:
            return
        b = live[0]
        head = led.meta()["head_hash"]
        bad = {"kind": "transform", "party": "p", "inputs": [{"batch": b.batch, "mass_kg": b.remaining_kg}],
               "outputs": [{"batch": "OVER", "mass_kg": b.remaining_kg * excess, "stage": "metal"}]}
        with pytest.raises(LedgerRefused, match="mass balance"):
            led.append(bad)
        assert led.meta()["head_hash"] == head and led.verify().ok


_json = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(-5, 10**6), st.floats(allow_nan=True),
                               st.text(max_size=6), st.sampled_from(["S0", "S1", "T0-0", "p", "q", "mine", "magnet"])),
                     lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
                     max_leaves=4)


@st.composite
def attempts(draw):
    """Plausible events with random fields replaced: what a buggy feed might send."""
    base = draw(st.sampled_from([
        {"kind": "create_batch", "party": "p", "batch": "S0", "mass_kg": 10.0, "stage": "mine"},
        {"kind": "recycle_in", "party": "p", "batch": "S1", "mass_kg": 5.0, "source": "post_consumer"},
        {"kind": "transform", "party": "p", "inputs": [{"batch": "S0", "mass_kg": 4.0}],
         "outputs": [{"batch": "T0-0", "mass_kg": 3.0, "stage": "metal"}]},
        {"kind": "transfer", "party": "p", "batch": "S0", "to_party": "q"},
        {"kind": "certify", "party": "q", "batch": "S0", "certificate": {"kind": "audit"}},
    ]))
    ev = dict(base)
    for _ in range(draw(st.integers(0, 2))):
        key = draw(st.sampled_from(sorted(ev) + ["extra"]))
        if draw(st.booleans()):
            ev[key] = draw(_json)
        else:
            ev.pop(key, None)
    return ev


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(st.lists(attempts(), min_size=1, max_size=8))
def test_random_event_feeds_only_raise_clear_errors_and_keep_the_chain_valid(feed):
    from critmin.errors import InputError

    with tempfile.TemporaryDirectory() as tmp:
        led = Ledger.init(Path(tmp) / "f.db")
        accepted = 0
        for ev in feed:
            try:
                led.append(ev)
                accepted += 1
            except (InputError, LedgerRefused):
                pass
        rep = led.verify()
        assert rep.ok and rep.events == accepted


_TEMPLATE: dict[str, bytes] = {}
COLUMNS = ["seq", "event_id", "ts", "kind", "party", "body", "prev_hash", "hash", "signature"]


def _template_ledger() -> bytes:
    """A small signed ledger, built once; each example tampers with a fresh copy of its bytes."""
    if "db" not in _TEMPLATE:
        from critmin.compliance.ledger import generate_keypair, load_private_key

        with tempfile.TemporaryDirectory() as tmp:
            led = Ledger.init(Path(tmp) / "t.db")
            pem, pub = generate_keypair()
            key = load_private_key(pem)
            led.append({"kind": "register_party", "party": "sep", "public_key": pub}, private_key=key)  # before it appears
            led.append({"kind": "create_batch", "party": "mine", "batch": "O", "mass_kg": 100.0, "stage": "mine"})
            led.append({"kind": "transfer", "party": "mine", "batch": "O", "to_party": "sep"})
            led.append({"kind": "recycle_in", "party": "sep", "batch": "R", "mass_kg": 10.0, "source": "post_consumer"},
                       private_key=key)
            led.append({"kind": "transform", "party": "sep", "inputs": [{"batch": "O", "mass_kg": 100.0},
                        {"batch": "R", "mass_kg": 10.0}], "outputs": [{"batch": "M", "mass_kg": 90.0, "stage": "metal"}]},
                       private_key=key)
            led.close()
            import sqlite3

            con = sqlite3.connect(Path(tmp) / "t.db")
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            con.execute("PRAGMA journal_mode=DELETE")
            con.close()
            _TEMPLATE["db"] = (Path(tmp) / "t.db").read_bytes()
    return _TEMPLATE["db"]


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(st.integers(1, 5), st.sampled_from(COLUMNS),
       st.one_of(st.none(), st.integers(-3, 10), st.text(max_size=20), st.binary(max_size=8),
                 st.sampled_from(["{}", "[1]", '{"batch":"O","mass_kg":NaN,"stage":"mine"}', "0" * 64, "create_batch"])))
def test_any_single_tampered_cell_is_detected_without_crashing(seq, column, value):
    import sqlite3

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.db"
        path.write_bytes(_template_ledger())
        con = sqlite3.connect(path, isolation_level=None)
        con.execute("DROP TRIGGER events_no_update")
        old = con.execute(f"SELECT {column} FROM events WHERE seq=?", (seq,)).fetchone()[0]
        try:
            con.execute(f"UPDATE events SET {column}=? WHERE seq=?", (value, seq))
        except sqlite3.DatabaseError:  # e.g. a duplicate seq or event_id: the database itself refuses
            con.close()
            return
        key = value if column == "seq" else seq
        new = con.execute(f"SELECT {column} FROM events WHERE seq=?", (key,)).fetchone()
        con.close()
        rep = Ledger(path).verify()
        if new is not None and new[0] == old and type(new[0]) is type(old):
            assert rep.ok
        else:
            assert not rep.ok and rep.first_bad is not None and rep.first_bad.seq <= max(seq, 1) + 1
