"""Fuzzing the compliance inputs (issue 18): dossiers as JSON and YAML, ledger event payloads, Excel workbooks.

Property: a valid result or a typed, one-line error — :class:`critmin.errors.InputError` (or a subclass), or for
the ledger also :class:`~critmin.compliance.ledger.LedgerRefused`, its documented refusal of a well-formed event
that breaks a rule — never another exception. Ledger appends are all-or-nothing: ``verify`` passes after every
attempt and counts exactly the events accepted. Dossiers that load can be checked against every pack.

The dossier strategies build on tests/compliance (the slow 10⁴-case loader fuzz lives there).
"""

from __future__ import annotations

import io
import json
import sys
import tempfile
import zipfile
from functools import cache
from pathlib import Path

from fuzzing import fuzz
from hypothesis import event, given
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parents[1] / "compliance"))
from compliance_helpers import ALL_REGIMES  # noqa: E402
from dossier_strategies import inputs, mutated_doc, values  # noqa: E402

from critmin.compliance.check import check  # noqa: E402
from critmin.compliance.ledger import Ledger, LedgerRefused  # noqa: E402
from critmin.compliance.loader import loads_dossier  # noqa: E402
from critmin.compliance.model import Dossier  # noqa: E402
from critmin.errors import InputError  # noqa: E402


def _loads_or_input_error(text, fmt: str) -> None:
    try:
        d = loads_dossier(text, f"fuzz.{fmt}", fmt=fmt)
    except InputError as exc:
        assert str(exc).startswith(f"fuzz.{fmt}") and "expected" in str(exc) and "\n" not in str(exc)
        event("input error")
        return
    event("loaded")
    assert isinstance(d, Dossier)
    check(d, ALL_REGIMES)  # whatever loads can be checked


# ------------------------------------------------------------------------------------------- dossiers


@fuzz
@given(inputs)
def test_json_dossiers(text):
    _loads_or_input_error(text, "json")


YAML_SNIPPETS = ["&a [*a]", "*nowhere", "!!python/object/apply:os.system [ls]", ".nan", "-.inf", "1e309",
                 "!!binary aGVsbG8=", "2026-02-30", "!!int x", "{a: 1, a: 2}", "[" * 80, "? [1]\n: 2", "!!set {a, b}",
                 "<<: {x: 1}", "0x1F", "~", "\t", "%YAML 1.2\n---", "---\n---", "\"\\x00\"", "|\n  text", "'''"]


@st.composite
def yaml_texts(draw) -> str:
    """A YAML dump of a mutated complete dossier, then 0-3 line edits: duplicate (a duplicate key), delete,
    re-indent, or splice in one of the YAML oddities above."""
    import yaml

    lines = yaml.safe_dump(draw(mutated_doc()), allow_unicode=True, sort_keys=False).splitlines()
    for _ in range(draw(st.integers(0, 3))):
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["dup", "del", "indent", "value", "line"]))
        if op == "dup":
            lines.insert(i, lines[i])
        elif op == "del":
            del lines[i]
        elif op == "indent":
            lines[i] = " " * draw(st.integers(0, 6)) + lines[i].lstrip()
        elif op == "value" and ":" in lines[i]:
            lines[i] = lines[i].split(":", 1)[0] + ": " + draw(st.sampled_from(YAML_SNIPPETS))
        else:
            lines.insert(i, draw(st.sampled_from(YAML_SNIPPETS)))
        if not lines:
            break
    return "\n".join(lines) + "\n"


@fuzz
@given(st.one_of(yaml_texts(), yaml_texts(), st.text(max_size=200), values.map(json.dumps)))
def test_yaml_dossiers(text):
    _loads_or_input_error(text, "yaml")


# ------------------------------------------------------------------------------------------- ledger events

SETUP = [
    {"kind": "create_batch", "party": "mine", "batch": "ORE", "mass_kg": 1000.0, "stage": "mine", "origin_country": "CHN"},
    {"kind": "transfer", "party": "mine", "batch": "ORE", "to_party": "sep"},
    {"kind": "recycle_in", "party": "sep", "batch": "SCR", "mass_kg": 50.0, "source": "post_consumer",
     "composition": {"Nd": 30.0, "Fe": 70.0}},
]
BASE = [
    {"kind": "transform", "party": "sep", "inputs": [{"batch": "ORE", "mass_kg": 500.0}, {"batch": "SCR", "mass_kg": 50.0}],
     "outputs": [{"batch": "MAG", "mass_kg": 500.0, "stage": "magnet", "composition": {"Nd": 3.0}}],
     "yield_tolerance": 0.01},
    {"kind": "transfer", "party": "sep", "batch": "SCR", "to_party": "importer", "ts": "2026-01-01T00:00:00Z"},
    {"kind": "certify", "party": "auditor", "batch": "ORE", "certificate": {"kind": "audit", "ref": "A-1"}},
    {"kind": "create_batch", "party": "mine", "batch": "ORE-2", "mass_kg": 10.0, "stage": "mine", "event_id": "e-1"},
    {"kind": "register_party", "party": "signer", "public_key": "KEY"},
    {"kind": "create_batch", "party": "signer", "batch": "S-1", "mass_kg": 1.0, "stage": "metal"},
]
ODD = st.sampled_from(["", "[/x]", "\x1b[31m", "ORE", "SCR", "MAG", "sep", "mine", "signer", "2026-13-01T00:00:00Z",
                       "2026-01-01T00:00:00+08:00", "x' OR 1=1 --", "\u0000", "钕", "a" * 300, "NaN", "1e309"])
FIELD_VALUES = st.one_of(values, ODD, st.floats(), st.integers(-10**20, 10**20))


@cache
def _key():
    from critmin.compliance.ledger import generate_keypair, load_private_key

    pem, pub = generate_keypair()
    return load_private_key(pem), pub


def _paths(node, prefix=()):
    if isinstance(node, dict):
        for k, v in node.items():
            yield (*prefix, k)
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield (*prefix, i)
            yield from _paths(v, (*prefix, i))


@st.composite
def payloads(draw):
    """A valid event mutated in 0-3 places (set or delete any field, nested ones too), or any JSON value."""
    if draw(st.integers(0, 9)) == 0:
        return draw(values)
    ev = json.loads(json.dumps(draw(st.sampled_from(BASE))).replace('"KEY"', json.dumps(_key()[1])))
    for _ in range(draw(st.integers(0, 3))):
        paths = list(_paths(ev))
        if not paths:
            break
        *head, last = draw(st.sampled_from(paths))
        node = ev
        for p in head:
            node = node[p]
        if draw(st.booleans()):
            node[last] = draw(FIELD_VALUES)
        else:
            del node[last]
    return ev


@cache
def _setup_ledger() -> bytes:
    """The SETUP ledger as bytes (journal back to DELETE), built once: each example starts from a copy."""
    import sqlite3

    with tempfile.TemporaryDirectory() as tmp:
        with Ledger.init(Path(tmp) / "t.db") as led:
            led.append_many(SETUP)
        con = sqlite3.connect(Path(tmp) / "t.db")
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.execute("PRAGMA journal_mode=DELETE")
        con.close()
        return (Path(tmp) / "t.db").read_bytes()


@fuzz
@given(st.lists(st.tuples(payloads(), st.booleans()), min_size=1, max_size=5), st.booleans())
def test_ledger_event_payloads(feed, batched):
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "f.db").write_bytes(_setup_ledger())
        led = Ledger(Path(tmp) / "f.db")
        accepted = len(SETUP)
        key = _key()[0]
        attempts = [[ev for ev, _ in feed]] if batched else [[ev] for ev, _ in feed]
        signed = [s for _, s in feed]
        for i, events in enumerate(attempts):
            try:
                led.append_many(events, private_key=key if signed[i] else None)
                accepted += len(events)
                event("appended")
            except (InputError, LedgerRefused) as exc:
                assert "\n" not in str(exc)
                event(type(exc).__name__)
        led.close()
        rep = led.verify()
        assert rep.ok, rep.to_frame()
        assert rep.events == accepted == len(led.events())


# ------------------------------------------------------------------------------------------- workbooks


@cache
def _template_bytes() -> bytes:
    from critmin.compliance.template import write_template

    with tempfile.TemporaryDirectory() as tmp:
        return write_template(["cn-export"], Path(tmp))[1].read_bytes()


@st.composite
def workbooks(draw) -> bytes:
    """Random bytes; the template with bytes flipped or cut; or the template with one part replaced by random
    bytes or by its own XML with a random string spliced in (a valid zip, broken content)."""
    kind = draw(st.sampled_from(["random", "flip", "part", "xml"]))
    if kind == "random":
        return draw(st.binary(max_size=2000))
    data = bytearray(_template_bytes())
    if kind == "flip":
        for _ in range(draw(st.integers(1, 8))):
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        return bytes(data[: draw(st.integers(len(data) // 2, len(data)))])
    src = zipfile.ZipFile(io.BytesIO(bytes(data)))
    names = src.namelist()
    target = draw(st.sampled_from(names))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for n in names:
            part = src.read(n)
            if n == target:
                if kind == "part":
                    part = draw(st.binary(max_size=300))
                else:
                    at = draw(st.integers(0, len(part)))
                    part = part[:at] + draw(st.text(max_size=30)).encode("utf-8") + part[at:]
            z.writestr(n, part)
    return out.getvalue()


@fuzz
@given(workbooks())
def test_xlsx_import(data):
    from critmin.compliance.template import read_workbook

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "w.xlsx"
        path.write_bytes(data)
        try:
            d = read_workbook(path)
        except InputError as exc:
            assert str(path) in str(exc) and "\n" not in str(exc)
            event(f"input error: {exc.got or exc.expected[:30]}")
            return
        event("loaded")
        assert isinstance(d, Dossier)
