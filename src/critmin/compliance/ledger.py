"""An append-only, tamper-evident chain-of-custody ledger in one SQLite file.

Format (``critmin-ledger/1``)
-----------------------------
``events(seq, event_id, ts, kind, party, body, prev_hash, hash, signature)``: ``seq`` runs 1..n without
gaps; ``body`` is the canonical JSON of the event's payload; ``hash`` is
``sha256(canonical_json({"v": 1, "seq", "event_id", "ts", "kind", "party", "body", "prev_hash"}))`` where
canonical JSON is UTF-8, keys sorted, no whitespace, no NaN; ``prev_hash`` of event 1 is the ledger's genesis
hash (``meta.genesis_hash``, derived from a random ledger id). ``signature`` is an Ed25519 signature (base64)
over the ASCII hex ``hash``, required for every event of a party that registered a public key.
``meta`` also records ``head_seq`` / ``head_hash``; ``batches``, ``parties`` and ``lineage`` are a cache of the
state derived from the events (used to validate appends quickly; ``verify`` recomputes everything from the
events alone). Triggers refuse UPDATE and DELETE on ``events``.

Appends run in ``BEGIN IMMEDIATE`` transactions in WAL mode, so concurrent writers from several processes
serialise on SQLite's write lock and each sees the latest head.

Parties and keys: a party's first appearance in the ledger (as the author of an event, or as the receiver of a
transfer) binds it. A ``register_party`` event, signed with the key it registers, is accepted only as that first
appearance; from then on every event of the party must carry a valid signature of that key. A party that has
appeared unsigned stays unsigned: a later key registration is refused (on append, and as a rule break on
``verify`` of a file written otherwise), so nobody can take over the batches an unsigned party holds by
registering a key for its name. There is no key rotation: a party that needs a (new) key registers under a new
name and receives its batches by transfer. Unsigned parties are only named, not authenticated: anyone who can
append may act in their name.

Timestamps (``ts``) are ISO 8601 date and time with a UTC offset (``2026-01-31T08:00:00Z``,
``2026-01-31T16:00:00+08:00``); others are refused on append and reported as unreadable by ``verify``.

Event kinds: ``register_party`` (public key), ``create_batch`` (virgin material), ``recycle_in`` (recycled
feed; ``post_consumer`` counts as recycled content), ``transform`` (inputs consumed -> outputs; mass balance
``sum(outputs) <= sum(inputs) * (1 + yield_tolerance)``), ``transfer`` (custody to another party),
``certify`` (attach a certificate). The recycled share of an output is the mass-weighted recycled share of
the inputs consumed (proportional allocation).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import sqlite3
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
)

from critmin.compliance.model import ISO3, CustodyStage, Element
from critmin.errors import CritminError, InputError, UsageError

FORMAT = "critmin-ledger/1"
EPS = 1e-9

BatchId = Annotated[str, StringConstraints(min_length=1, max_length=200)]
PartyId = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Kg = Annotated[float, Field(gt=0, le=1e12, allow_inf_nan=False)]
Pct = Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]


def _check_composition(v: dict[str, float] | None) -> dict[str, float] | None:
    if v is not None and sum(v.values()) > 100.0 + 1e-6:
        raise ValueError("composition mass shares add up to more than 100 %")
    return v


Composition = Annotated[dict[Element, Pct], AfterValidator(_check_composition), Field(max_length=100)]


class LedgerRefused(CritminError):
    """An event that would break the ledger's rules (mass balance, custody, signature) was refused."""

    exit_code = 6


# ------------------------------------------------------------------------------------------- event models


_TS = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})")


def _check_ts(v: str) -> str:
    """ISO 8601 with an offset, so that events of parties in several time zones can be ordered."""
    try:
        if not _TS.fullmatch(v):
            raise ValueError
        datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError("an ISO 8601 date and time with UTC offset, e.g. 2026-01-31T08:00:00Z") from None
    return v


class _E(BaseModel):
    model_config = ConfigDict(extra="forbid")
    party: PartyId
    event_id: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None
    ts: Annotated[str, StringConstraints(max_length=40), AfterValidator(_check_ts)] | None = None


class RegisterParty(_E):
    kind: Literal["register_party"]
    public_key: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9+/]{43}=$")]


class CreateBatch(_E):
    kind: Literal["create_batch"]
    batch: BatchId
    mass_kg: Kg
    stage: CustodyStage
    origin_country: ISO3 | None = None
    facility: str | None = None
    composition: Composition | None = None  # element -> mass %


class RecycleIn(_E):
    kind: Literal["recycle_in"]
    batch: BatchId
    mass_kg: Kg
    source: Literal["post_consumer", "pre_consumer"]
    stage: CustodyStage = "recycling"
    origin_country: ISO3 | None = None
    facility: str | None = None
    composition: Composition | None = None


class Flow(BaseModel):
    model_config = ConfigDict(extra="forbid")
    batch: BatchId
    mass_kg: Kg


class Output(Flow):
    stage: CustodyStage
    origin_country: ISO3 | None = None
    facility: str | None = None
    composition: Composition | None = None  # if absent, the output has the mixed composition of the inputs


class Transform(_E):
    kind: Literal["transform"]
    inputs: Annotated[list[Flow], Field(min_length=1, max_length=1000)]
    outputs: Annotated[list[Output], Field(min_length=1, max_length=1000)]
    yield_tolerance: Annotated[float, Field(ge=0, le=0.5)] | None = None


class Transfer(_E):
    kind: Literal["transfer"]
    batch: BatchId
    to_party: PartyId


class Certify(_E):
    kind: Literal["certify"]
    batch: BatchId
    certificate: dict[str, str]


Event = Annotated[RegisterParty | CreateBatch | RecycleIn | Transform | Transfer | Certify, Field(discriminator="kind")]
_EVENT = TypeAdapter(Event)
ENVELOPE = ("kind", "party", "event_id", "ts")


def canonical(obj: Any) -> bytes:
    """UTF-8 JSON, keys sorted, no whitespace, NaN refused: the bytes every hash is taken over."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def event_hash(seq: int, event_id: str, ts: str, kind: str, party: str, body: dict, prev_hash: str) -> str:
    payload = {"v": 1, "seq": seq, "event_id": event_id, "ts": ts, "kind": kind, "party": party,
               "body": body, "prev_hash": prev_hash}
    return hashlib.sha256(canonical(payload)).hexdigest()


def parse_event(obj: Any, source: str = "<event>"):
    """Validate an event dict; InputError names the field."""
    from critmin.compliance.loader import loc_to_path

    try:
        return _EVENT.validate_python(obj)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        loc = tuple(err.get("loc", ()))
        if loc and isinstance(obj, dict) and loc[0] == obj.get("kind"):
            loc = loc[1:]  # the union's tag, not a field
        path = loc_to_path(loc)
        raise InputError(file=source, record=path or "event", field=path.split(".")[-1] or None,
                         expected=err.get("msg", "a valid event"), got=None) from None


# ------------------------------------------------------------------------------------------- state replay


@dataclass
class BatchState:
    batch: str
    stage: str
    holder: str
    mass_kg: float
    remaining_kg: float
    recycled_kg: float  # post-consumer recycled mass in this batch (of mass_kg)
    created_seq: int
    origin_country: str | None = None
    parents: list[tuple[str, float]] = field(default_factory=list)  # (parent batch, kg consumed)
    element_kg: dict[str, float] = field(default_factory=dict)  # element masses, if the composition is known
    recycled_element_kg: dict[str, float] = field(default_factory=dict)  # recycled part of each, if known

    @property
    def recycled_share(self) -> float:
        return self.recycled_kg / self.mass_kg if self.mass_kg > 0 else 0.0

    @property
    def elements_known(self) -> bool:
        return bool(self.element_kg) and set(self.recycled_element_kg) == set(self.element_kg)

    def recycled_share_by_element(self) -> dict[str, float]:
        """Element -> recycled fraction (0..1), for elements whose recycled status is known."""
        return {e: (self.recycled_element_kg[e] / kg if kg > 0 else 0.0)
                for e, kg in sorted(self.element_kg.items()) if e in self.recycled_element_kg}


class State:
    """The state the events imply: batches (mass, holder, recycled mass, lineage) and party keys."""

    def __init__(self, default_tolerance: float = 0.0):
        self.batches: dict[str, BatchState] = {}
        self.keys: dict[str, str] = {}
        self.seen: set[str] = set()  # parties that have appeared (authored an event or received a batch)
        self.default_tolerance = default_tolerance
        self.certificates: dict[str, list[dict]] = {}

    def _batch(self, batch: str) -> BatchState:
        b = self.batches.get(batch)
        if b is None:
            raise LedgerRefused(f"batch '{batch}' does not exist")
        return b

    def _new(self, batch: str) -> None:
        if batch in self.batches:
            raise LedgerRefused(f"batch '{batch}' already exists")

    def apply(self, ev, seq: int) -> list[str]:
        """Apply a validated event; raise LedgerRefused if it breaks a rule. Returns the batches touched."""
        touched = self._apply(ev, seq)
        self.seen.add(ev.party)
        if ev.kind == "transfer":
            self.seen.add(ev.to_party)
        return touched

    def _apply(self, ev, seq: int) -> list[str]:
        kind = ev.kind
        if kind == "register_party":
            if ev.party in self.keys:
                raise LedgerRefused(f"party '{ev.party}' already has a registered key")
            if ev.party in self.seen:
                raise LedgerRefused(f"party '{ev.party}' already appears unsigned; a key can only be registered "
                                    "before a party's first event or transfer (use a new party name)")
            self.keys[ev.party] = ev.public_key
            return []
        if kind in ("create_batch", "recycle_in"):
            self._new(ev.batch)
            post = kind == "recycle_in" and ev.source == "post_consumer"
            recycled = ev.mass_kg if post else 0.0
            b = BatchState(ev.batch, ev.stage, ev.party, ev.mass_kg, ev.mass_kg, recycled, seq, ev.origin_country)
            if ev.composition:
                b.element_kg = {e: ev.mass_kg * pct / 100.0 for e, pct in ev.composition.items()}
                b.recycled_element_kg = {e: (kg if post else 0.0) for e, kg in b.element_kg.items()}
            self.batches[ev.batch] = b
            return [ev.batch]
        if kind == "transform":
            tol = self.default_tolerance if ev.yield_tolerance is None else ev.yield_tolerance
            in_ids = [f.batch for f in ev.inputs]
            out_ids = [o.batch for o in ev.outputs]
            if len(set(in_ids)) != len(in_ids) or len(set(out_ids)) != len(out_ids):
                raise LedgerRefused("a batch is listed twice among the inputs or the outputs")
            m_in = m_rec = 0.0
            for f in ev.inputs:
                b = self._batch(f.batch)
                if b.holder != ev.party:
                    raise LedgerRefused(f"batch '{f.batch}' is held by '{b.holder}', not by '{ev.party}'")
                if f.mass_kg > b.remaining_kg * (1 + 1e-9) + EPS:
                    raise LedgerRefused(
                        f"input '{f.batch}' consumes {f.mass_kg:g} kg but only {b.remaining_kg:g} kg remain"
                    )
                m_in += f.mass_kg
                m_rec += f.mass_kg * b.recycled_share
            for o in ev.outputs:
                self._new(o.batch)
            m_out = sum(o.mass_kg for o in ev.outputs)
            if m_out > m_in * (1 + tol) + EPS:
                raise LedgerRefused(
                    f"mass balance: outputs {m_out:g} kg exceed inputs {m_in:g} kg by more than the yield tolerance {tol:g}"
                )
            share = m_rec / m_in
            # element level: known only if every input's composition and recycled status are known
            inputs = [(f, self.batches[f.batch]) for f in ev.inputs]
            known = all(b.elements_known for _, b in inputs)
            el_in: dict[str, float] = {}
            rec_in: dict[str, float] = {}
            if known:
                for f, b in inputs:
                    frac = f.mass_kg / b.mass_kg
                    for e, kg in b.element_kg.items():
                        el_in[e] = el_in.get(e, 0.0) + frac * kg
                        rec_in[e] = rec_in.get(e, 0.0) + frac * b.recycled_element_kg[e]
            el_out: dict[str, dict[str, float]] = {}
            for o in ev.outputs:
                if o.composition:
                    el_out[o.batch] = {e: o.mass_kg * pct / 100.0 for e, pct in o.composition.items()}
                elif known:
                    el_out[o.batch] = {e: o.mass_kg * kg / m_in for e, kg in el_in.items()}
            if known:
                for e in sorted({e for d in el_out.values() for e in d}):
                    out_e = sum(d.get(e, 0.0) for d in el_out.values())
                    have = el_in.get(e, 0.0)
                    if out_e > have * (1 + tol) + EPS * max(1.0, have):
                        raise LedgerRefused(
                            f"element balance: outputs contain {out_e:g} kg of {e} but the inputs only {have:g} kg"
                        )
            for f, b in inputs:
                b.remaining_kg = max(0.0, b.remaining_kg - f.mass_kg)
            parents = [(f.batch, f.mass_kg) for f in ev.inputs]
            for o in ev.outputs:
                nb = BatchState(o.batch, o.stage, ev.party, o.mass_kg, o.mass_kg, o.mass_kg * share, seq,
                                o.origin_country, parents)
                nb.element_kg = el_out.get(o.batch, {})
                if known:
                    nb.recycled_element_kg = {
                        e: kg * (rec_in[e] / el_in[e] if el_in.get(e, 0.0) > 0 else 0.0) for e, kg in nb.element_kg.items()
                    }
                self.batches[o.batch] = nb
            return in_ids + out_ids
        if kind == "transfer":
            b = self._batch(ev.batch)
            if b.holder != ev.party:
                raise LedgerRefused(f"batch '{ev.batch}' is held by '{b.holder}', not by '{ev.party}'")
            b.holder = ev.to_party
            return [ev.batch]
        if kind == "certify":
            self._batch(ev.batch)
            self.certificates.setdefault(ev.batch, []).append(dict(ev.certificate))
            return [ev.batch]
        raise LedgerRefused(f"unknown event kind '{kind}'")  # pragma: no cover

    def lineage(self, batch: str) -> list[str]:
        """The batch and all its ancestors (inputs of inputs …), nearest first."""
        self._batch(batch)
        seen, order, todo = set(), [], [batch]
        while todo:
            b = todo.pop(0)
            if b in seen:
                continue
            seen.add(b)
            order.append(b)
            todo.extend(p for p, _ in self.batches[b].parents)
        return order


# ------------------------------------------------------------------------------------------- signatures


def generate_keypair() -> tuple[bytes, str]:
    """(private key PEM, public key base64 of the raw 32 bytes)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return pem, base64.b64encode(raw).decode("ascii")


def write_private_key(path: str | Path, pem: bytes) -> Path:
    """Write ``pem`` to ``path`` readable by its owner only from the first byte: a new temporary file opened
    0600 with O_EXCL beside it, then hard-linked into place (atomic, and never over an existing key)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        try:
            os.write(fd, pem)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.link(tmp, path)
    except FileExistsError:
        raise UsageError(f"{path} already exists; keys are never overwritten") from None
    except OSError as exc:
        raise InputError(file=str(path), expected="a writable location for the private key",
                         got=exc.strerror or str(exc)) from None
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)
    return path


def load_private_key(pem: bytes, source: str = "<key>"):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise InputError(file=source, expected="an unencrypted PEM Ed25519 private key", got=str(exc)[:60]) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InputError(file=source, expected="an Ed25519 private key", got=type(key).__name__)
    return key


def public_key_b64(private_key) -> str:
    from cryptography.hazmat.primitives import serialization

    raw = private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def sign(private_key, hash_hex: str) -> str:
    return base64.b64encode(private_key.sign(hash_hex.encode("ascii"))).decode("ascii")


def signature_ok(public_b64: str, hash_hex: str, signature_b64: str | None) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    if not signature_b64:
        return False
    try:
        pub = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_b64))
        pub.verify(base64.b64decode(signature_b64, validate=True), hash_hex.encode("ascii"))
        return True
    except (InvalidSignature, ValueError, TypeError):
        return False


# ------------------------------------------------------------------------------------------- the ledger

_SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE events(
  seq INTEGER PRIMARY KEY,
  event_id TEXT NOT NULL UNIQUE,
  ts TEXT NOT NULL,
  kind TEXT NOT NULL,
  party TEXT NOT NULL,
  body TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  signature TEXT
);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'ledger events are append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events BEGIN SELECT RAISE(ABORT, 'ledger events are append-only'); END;
CREATE TABLE batches(batch TEXT PRIMARY KEY, state TEXT NOT NULL);
CREATE TABLE parties(party TEXT PRIMARY KEY, public_key TEXT NOT NULL);
"""


@dataclass
class Appended:
    seq: int
    event_id: str
    kind: str
    hash: str


PROBLEM_CODES = ("no_genesis", "gap_deleted", "gap_reordered", "inserted", "reordered", "broken_link", "edited",
                 "unreadable", "signature_invalid", "signature_unexpected", "rule", "head_mismatch", "cache", "anchor")


@dataclass
class Problem:
    """A break found by ``verify``: where (seq, event id), what (``code`` + ``fields``, rendered in en/zh)."""

    seq: int
    event_id: str | None
    code: str
    kind: Literal["chain", "signature", "rule", "head"]
    fields: dict[str, Any] = field(default_factory=dict)

    def reason_in(self, lang: str | None = None) -> str:
        from critmin.i18n import t

        return t(f"compliance.verify.{self.code}", lang, **self.fields)

    @property
    def reason(self) -> str:
        return self.reason_in("en")


@dataclass
class VerifyReport:
    path: str
    events: int
    head_hash: str | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_bad(self) -> Problem | None:
        return min(self.problems, key=lambda p: p.seq) if self.problems else None

    @property
    def exit_code(self) -> int:
        if not self.problems:
            return 0
        return 7 if all(p.kind == "rule" for p in self.problems) else 6

    def to_frame(self, lang: str | None = None):
        import pandas as pd

        return pd.DataFrame([{"seq": p.seq, "event_id": p.event_id, "kind": p.kind, "code": p.code, "reason": p.reason_in(lang)}
                             for p in self.problems], columns=["seq", "event_id", "kind", "code", "reason"])


def _meta_number(meta: dict, key: str, default: float) -> float:
    try:
        return float(meta.get(key, default))
    except (TypeError, ValueError):
        return default


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _state_to_json(b: BatchState) -> str:
    return json.dumps(b.__dict__, sort_keys=True)


def _state_from_json(text: str) -> BatchState:
    d = json.loads(text)
    d["parents"] = [tuple(p) for p in d["parents"]]
    return BatchState(**d)


class Ledger:
    """A ledger file. ``Ledger.init(path)`` creates one; ``Ledger(path)`` opens an existing one."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not self.path.is_file():
            raise InputError(file=str(self.path), expected="an existing ledger file (create it with `critmin ledger init`)",
                             got="a folder" if self.path.is_dir() else None)
        self._writer: sqlite3.Connection | None = None
        self._writer_pid: int | None = None

    def close(self) -> None:
        """Close the write connection (kept open between appends so commits need no WAL checkpoint)."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:  # pragma: no cover - best effort
        try:
            self.close()
        except Exception:
            pass

    def _write_connection(self) -> sqlite3.Connection:
        if self._writer is None or self._writer_pid != os.getpid():
            self._writer = self._connect()
            self._writer_pid = os.getpid()
        return self._writer

    # -- connection helpers
    def _connect(self, readonly: bool = False) -> sqlite3.Connection:
        if readonly:
            con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=60, isolation_level=None)
        else:
            con = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=NORMAL")
        con.execute("PRAGMA busy_timeout=60000")
        try:
            fmt = con.execute("SELECT value FROM meta WHERE key='format'").fetchone()
        except sqlite3.DatabaseError:
            con.close()
            raise InputError(file=str(self.path), expected=f"a {FORMAT} SQLite file", got="not a ledger") from None
        if not fmt or fmt[0] != FORMAT:
            con.close()
            raise InputError(file=str(self.path), record="meta", field="format", expected=FORMAT, got=fmt and fmt[0])
        return con

    @classmethod
    def init(cls, path: str | Path, yield_tolerance: float = 0.0) -> Ledger:
        """Create a new, empty ledger (refuses to overwrite an existing file)."""
        path = Path(path)
        if path.exists():
            raise UsageError(f"{path} already exists; a ledger is never overwritten")
        if not 0 <= yield_tolerance <= 0.5:
            raise UsageError("yield tolerance must be between 0 and 0.5")
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        ledger_id = uuid.uuid4().hex
        genesis = hashlib.sha256(f"{FORMAT}:{ledger_id}".encode()).hexdigest()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            con = sqlite3.connect(tmp, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise InputError(file=str(path), expected="a writable location for the new ledger",
                             got=getattr(exc, "strerror", None) or str(exc)) from None
        try:
            con.executescript(_SCHEMA)
            con.executemany(
                "INSERT INTO meta VALUES (?, ?)",
                [("format", FORMAT), ("ledger_id", ledger_id), ("genesis_hash", genesis), ("created_at", _now()),
                 ("yield_tolerance", repr(float(yield_tolerance))), ("head_seq", "0"), ("head_hash", genesis)],
            )
        finally:
            con.close()
        try:
            os.link(tmp, path)  # atomic, never overwrites
        except FileExistsError:
            raise UsageError(f"{path} already exists; a ledger is never overwritten") from None
        except OSError:  # file systems without hard links
            if path.exists():
                raise UsageError(f"{path} already exists; a ledger is never overwritten") from None
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        led = cls(path)
        led._connect().close()  # switch to WAL
        return led

    def meta(self) -> dict[str, str]:
        con = self._connect(readonly=True)
        try:
            return dict(con.execute("SELECT key, value FROM meta").fetchall())
        finally:
            con.close()

    # -- append
    def append(self, event: dict | Any, private_key=None, source: str = "<event>") -> Appended:
        """Validate ``event`` against the current state and append it in one IMMEDIATE transaction."""
        return self.append_many([event], private_key=private_key, sources=[source])[0]

    def append_many(self, events: list, private_key=None, sources: list[str] | None = None) -> list[Appended]:
        """Append ``events`` in order in one IMMEDIATE transaction: all of them, or none if one is refused."""
        sources = sources or [f"<event {i}>" for i in range(len(events))]
        parsed = [e if isinstance(e, BaseModel) else parse_event(e, src) for e, src in zip(events, sources, strict=True)]
        con = self._write_connection()
        con.execute("BEGIN IMMEDIATE")
        try:
            done = [self._append_in(con, ev, private_key, src) for ev, src in zip(parsed, sources, strict=True)]
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        return done

    def _append_in(self, con: sqlite3.Connection, ev, private_key, source: str) -> Appended:
        body = ev.model_dump(mode="json", exclude=set(ENVELOPE), exclude_none=True)
        event_id = ev.event_id or uuid.uuid4().hex
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
        state = State(float(meta["yield_tolerance"]))
        ids = _batch_ids(ev)
        if ids:
            rows = con.execute("SELECT batch, state FROM batches WHERE batch IN (SELECT value FROM json_each(?))",
                               (json.dumps(ids),))
            for bid, text in rows:
                state.batches[bid] = _state_from_json(text)
        row = con.execute("SELECT public_key FROM parties WHERE party=?", (ev.party,)).fetchone()
        if row:
            state.keys[ev.party] = row[0]
        if ev.kind == "register_party" and con.execute(
            "SELECT 1 FROM events WHERE party=? OR (kind='transfer' AND json_extract(body, '$.to_party')=?) LIMIT 1",
            (ev.party, ev.party),
        ).fetchone():
            state.seen.add(ev.party)
        seq = int(meta["head_seq"]) + 1
        prev = meta["head_hash"]
        try:
            touched = state.apply(ev, seq)
        except LedgerRefused as exc:
            raise LedgerRefused(f"{source}: event refused by ledger {self.path}: {exc}") from None
        ts = ev.ts or _now()
        h = event_hash(seq, event_id, ts, ev.kind, ev.party, body, prev)
        signature = sign(private_key, h) if private_key is not None else None
        key = state.keys.get(ev.party)
        if ev.kind == "register_party" and (private_key is None or public_key_b64(private_key) != ev.public_key):
            raise LedgerRefused(f"{source}: register_party must be signed with the private key of the key it registers")
        if key is not None and not signature_ok(key, h, signature):
            raise LedgerRefused(f"{source}: party '{ev.party}' has a registered key: its events must be signed with it")
        if key is None and signature is not None:
            raise LedgerRefused(f"{source}: party '{ev.party}' has no registered key in ledger {self.path}; "
                                 "its events are unsigned (register a key only before a party's first event)")
        try:
            con.execute("INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?)",
                        (seq, event_id, ts, ev.kind, ev.party, canonical(body).decode("utf-8"), prev, h, signature))
        except sqlite3.IntegrityError:
            raise LedgerRefused(f"{source}: event id '{event_id}' is already in the ledger") from None
        for bid in touched:
            con.execute("INSERT OR REPLACE INTO batches VALUES (?, ?)", (bid, _state_to_json(state.batches[bid])))
        if ev.kind == "register_party":
            con.execute("INSERT INTO parties VALUES (?, ?)", (ev.party, ev.public_key))
        con.execute("UPDATE meta SET value=? WHERE key='head_seq'", (str(seq),))
        con.execute("UPDATE meta SET value=? WHERE key='head_hash'", (h,))
        return Appended(seq, event_id, ev.kind, h)

    # -- reading
    def _rows(self, with_cache: bool = False):
        con = self._connect(readonly=True)
        try:
            con.execute("BEGIN")  # one consistent snapshot of events, meta and cache
            meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
            rows = con.execute(
                "SELECT seq, event_id, ts, kind, party, body, prev_hash, hash, signature FROM events ORDER BY seq"
            ).fetchall()
            cache = None
            if with_cache:
                cache = (dict(con.execute("SELECT batch, state FROM batches").fetchall()),
                         dict(con.execute("SELECT party, public_key FROM parties").fetchall()))
            con.execute("COMMIT")
        finally:
            con.close()
        return (meta, rows, cache) if with_cache else (meta, rows)

    def verify(self, anchor: str | None = None) -> VerifyReport:
        return self._verify(anchor)[0]

    def _verify(self, anchor: str | None = None) -> tuple[VerifyReport, State]:
        """Recompute the chain from the events alone; name the first bad event.

        Checks, per event in seq order: seq continuity (deletions), the link to the previous event's hash
        (insertions, deletions, reordering), the event's own hash (edits), its signature when the party has a
        registered key, and the ledger rules on replay (mass balance, custody, existence). Finally the head
        recorded in ``meta`` (deletions at the end) and, if given, an externally kept ``anchor`` hash.
        """
        meta, rows, cache = self._rows(with_cache=True)
        state = State(_meta_number(meta, "yield_tolerance", 0.0))
        report = VerifyReport(str(self.path), len(rows), rows[-1][7] if rows else meta.get("head_hash"))
        genesis = meta.get("genesis_hash")
        if not genesis:
            report.problems.append(Problem(1, None, "no_genesis", "head"))
        position = {genesis: 0}
        stored = {r[7]: r[0] for r in rows}
        prev, expected = genesis, 1
        chain_broken = False
        for seq, event_id, ts, kind, party, body_text, prev_hash, h, signature in rows:
            if not chain_broken:
                problem = None
                if seq != expected:
                    problem = Problem(expected, None if seq > expected else event_id,
                                      "gap_deleted" if seq > expected else "gap_reordered", "chain",
                                      {"expected": expected, "seq": seq, "event_id": event_id})
                elif prev_hash != prev:
                    if prev_hash in position and position[prev_hash] == seq - 2:
                        ins = rows[seq - 2] if seq - 2 < len(rows) else None
                        problem = Problem(seq - 1, ins[1] if ins else None, "inserted", "chain",
                                          {"seq": seq, "inserted": seq - 1, "before": seq - 2, "event_id": event_id})
                    elif prev_hash in stored and stored[prev_hash] >= seq:
                        problem = Problem(seq, event_id, "reordered", "chain", {"seq": seq, "later": stored[prev_hash]})
                    else:
                        problem = Problem(seq, event_id, "broken_link", "chain")
                else:
                    try:
                        if not isinstance(body_text, str):
                            raise TypeError("body is not text")
                        recomputed = event_hash(seq, event_id, ts, kind, party, json.loads(body_text), prev_hash)
                    except (ValueError, TypeError):
                        recomputed = None
                    if recomputed is None or recomputed != h:
                        problem = Problem(seq, event_id, "edited", "chain")
                if problem:
                    report.problems.append(problem)
                    chain_broken = True  # later links cannot be trusted; still replay rules below
            position[h] = seq
            prev, expected = h, seq + 1
            try:
                body = json.loads(body_text)
                ev = parse_event({**body, "kind": kind, "party": party, "event_id": event_id, "ts": ts})
            except (ValueError, TypeError, InputError) as exc:
                report.problems.append(Problem(seq, event_id, "unreadable", "chain", {"detail": str(exc)[:200]}))
                continue
            key = state.keys.get(party)
            if kind == "register_party":
                key = ev.public_key
            if key is not None and not signature_ok(key, str(h), signature):
                report.problems.append(Problem(seq, event_id, "signature_invalid", "signature", {"party": party}))
            elif key is None and signature is not None:
                report.problems.append(Problem(seq, event_id, "signature_unexpected", "signature", {"party": party}))
            try:
                state.apply(ev, seq)
            except LedgerRefused as exc:
                report.problems.append(Problem(seq, event_id, "rule", "rule", {"detail": str(exc)}))
        last_seq = rows[-1][0] if rows else 0
        if not chain_broken and (str(last_seq) != meta.get("head_seq") or (rows and rows[-1][7] != meta.get("head_hash"))):
            head = int(_meta_number(meta, "head_seq", -1))
            report.problems.append(Problem(min(last_seq, head) + 1, None, "head_mismatch", "head",
                                           {"head": head, "last": last_seq}))
        if not report.problems:
            batches, parties = cache
            replayed = {b: json.loads(_state_to_json(st)) for b, st in state.batches.items()}
            cached = {}
            for b, text in batches.items():
                try:
                    cached[b] = json.loads(text)
                except (TypeError, ValueError):
                    cached[b] = None
            bad = sorted(set(cached) ^ set(replayed) | {b for b in cached if b in replayed and cached[b] != replayed[b]})
            if bad or parties != state.keys:
                what = f"batches {', '.join(bad[:5])}" if bad else "party keys"
                report.problems.append(Problem(last_seq + 1, None, "cache", "head", {"what": what}))
        if anchor and anchor not in position:
            report.problems.append(Problem(last_seq + 1, None, "anchor", "head", {"anchor": anchor[:16]}))
        return report, state

    def replay(self) -> State:
        """The state implied by the events (authoritative; the cache tables are not read)."""
        meta, rows = self._rows()
        state = State(float(meta.get("yield_tolerance", "0")))
        for seq, event_id, ts, kind, party, body_text, *_ in rows:
            ev = parse_event({**json.loads(body_text), "kind": kind, "party": party, "event_id": event_id, "ts": ts})
            state.apply(ev, seq)
        return state

    def events(self):
        """All events (DataFrame: seq, event_id, ts, kind, party, body, hash, signed)."""
        import pandas as pd

        _, rows = self._rows()
        return pd.DataFrame(
            [{"seq": r[0], "event_id": r[1], "ts": r[2], "kind": r[3], "party": r[4], "body": r[5], "hash": r[7],
              "signed": r[8] is not None} for r in rows],
            columns=["seq", "event_id", "ts", "kind", "party", "body", "hash", "signed"],
        )

    def recycled_share_pct(self, batch: str) -> float:
        """Recycled (post-consumer) share of ``batch`` by mass, computed through the chain, in percent."""
        state = self.replay()
        if batch not in state.batches:
            raise UsageError(f"batch '{batch}' is not in the ledger {self.path}")
        return 100.0 * state.batches[batch].recycled_share

    def history(self, batch: str, state: State | None = None):
        """Events on ``batch`` and its whole lineage (its inputs, their inputs, …), in seq order (DataFrame).

        Transformations are included when they produced a batch of the lineage or consumed ``batch`` itself;
        transformations that only drew on an ancestor for other products are left out."""
        import pandas as pd

        state = state or self.replay()
        if batch not in state.batches:
            raise UsageError(f"batch '{batch}' is not in the ledger {self.path}")
        lineage = set(state.lineage(batch))
        df = self.events()
        keep = []
        for body_text, kind in zip(df["body"], df["kind"], strict=True):
            body = json.loads(body_text)
            if kind == "transform":  # what made the lineage, and what consumed the batch itself; not siblings
                outs = {o["batch"] for o in body["outputs"]}
                ins = {f["batch"] for f in body["inputs"]}
                keep.append(bool(outs & lineage) or batch in ins)
            else:
                keep.append(bool(_batch_ids_of(kind, body) & lineage))
        out = df[pd.Series(keep, index=df.index, dtype=bool)].copy()
        out["summary"] = [_summary(k, json.loads(b)) for k, b in zip(out["kind"], out["body"], strict=True)]
        return out.drop(columns=["body"]).reset_index(drop=True)

    def export_evidence(self, batch: str):
        """The dossier's ``chain_of_custody`` section for ``batch`` (a ChainOfCustody model)."""
        return self._evidence(batch, *self._verify())

    def check_evidence(self, section) -> tuple[str, Any]:
        """Recompute a dossier's ``chain_of_custody`` section from this ledger, trusting nothing it claims
        (``verified`` included). Returns ``("verified", recomputed)`` when the ledger verifies and the section is
        an export of it (its head hash is in the chain, its events are the ledger's history of the batch up to
        that head, its figures are the chain's); else ``("unverified: <first reason>", recomputed or None)``."""
        report, state = self._verify()
        if not report.ok:
            return f"unverified: the ledger fails verify at event {report.first_bad.seq} ({report.first_bad.code})", None
        if section.batch_id not in state.batches:
            return f"unverified: batch {str(section.batch_id)[:40]!r} is not in the ledger", None
        fresh = self._evidence(section.batch_id, report, state)
        _, rows = self._rows()
        head = {r[7]: r[0] for r in rows}.get(section.ledger_head_hash)
        if head is None and section.ledger_head_hash != self.meta().get("genesis_hash"):
            return "unverified: ledger_head_hash is not in this ledger", fresh
        stored = {r[0]: (r[0], r[1], r[3], r[4], r[2], r[7], r[8] is not None) for r in rows}
        for e in section.events:
            if stored.get(e.seq) != (e.seq, e.event_id, e.kind, e.party, e.ts, e.hash, e.signed):
                return f"unverified: event {e.seq} is not the ledger's event {e.seq}", fresh
        if {e.seq for e in section.events} != {e.seq for e in fresh.events if e.seq <= (head or 0)}:
            return "unverified: events differ from the ledger's history of the batch", fresh
        for name in ("recycled_share_pct", "recycled_by_element", "stages", "origin_countries"):
            if getattr(section, name) != getattr(fresh, name):
                return f"unverified: {name} differs from the ledger's", fresh
        return "verified", fresh

    def _evidence(self, batch: str, report: VerifyReport, state: State):
        from critmin.compliance.model import ChainOfCustody, CustodyEvent, RecycledShare

        if batch not in state.batches:
            raise UsageError(f"batch '{batch}' is not in the ledger {self.path}")
        hist = self.history(batch, state)
        lineage = sorted(state.lineage(batch), key=lambda b: state.batches[b].created_seq)
        stages: list[str] = []
        countries: list[str] = []
        for b in lineage:
            bs = state.batches[b]
            if bs.stage not in stages:
                stages.append(bs.stage)
            if bs.origin_country and bs.origin_country not in countries:
                countries.append(bs.origin_country)
        events = [
            CustodyEvent(seq=int(r.seq), event_id=r.event_id, kind=r.kind, party=r.party, ts=r.ts, hash=r.hash,
                         signed=bool(r.signed), summary=r.summary[:4000] or None)
            for r in hist.itertuples(index=False)
        ]
        return ChainOfCustody(
            ledger_head_hash=report.head_hash, batch_id=batch, verified=report.ok, exported_at=_now(),
            stages=stages, origin_countries=countries,
            recycled_share_pct=round(100.0 * state.batches[batch].recycled_share, 6),
            recycled_by_element=[
                RecycledShare(element=e, recycled_share_pct=round(100.0 * v, 6), post_consumer=True)
                for e, v in state.batches[batch].recycled_share_by_element().items()
            ],
            events=events,
        )


def _batch_ids(ev) -> list[str]:
    return sorted(_batch_ids_of(ev.kind, ev.model_dump(mode="json")))


def _batch_ids_of(kind: str, body: dict) -> set[str]:
    if kind == "transform":
        return {f["batch"] for f in body.get("inputs", [])} | {o["batch"] for o in body.get("outputs", [])}
    b = body.get("batch")
    return {b} if b else set()


def _summary(kind: str, body: dict) -> str:
    if kind == "transform":
        ins = ", ".join(f"{f['batch']} {f['mass_kg']:g} kg" for f in body["inputs"])
        outs = ", ".join(f"{o['batch']} {o['mass_kg']:g} kg ({o['stage']})" for o in body["outputs"])
        return f"{ins} -> {outs}"
    if kind in ("create_batch", "recycle_in"):
        extra = f" {body['source']}" if kind == "recycle_in" else ""
        return f"{body['batch']} {body['mass_kg']:g} kg {body['stage']}{extra} {body.get('origin_country') or ''}".strip()
    if kind == "transfer":
        return f"{body['batch']} -> {body['to_party']}"
    if kind == "certify":
        return f"{body['batch']}: " + ", ".join(f"{k}={v}" for k, v in sorted(body["certificate"].items()))
    return kind
