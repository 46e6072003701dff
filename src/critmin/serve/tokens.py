"""API tokens, stored hashed (sha256) in ``<state>/tokens.json``; the plain token is shown once, at creation.

Roles, from least to most: ``viewer`` reads; ``analyst`` also runs (stress, exercises, compliance checks),
opens, advances and annotates incidents and appends to ledgers; ``admin`` also manages tokens and edits the
workspace knowledge base and reads the audit log. ``partner`` is an outside party: it reads only what the
sharing agreement grants its ``party`` (:mod:`critmin.serve.sharing`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from critmin.errors import UsageError

ROLES = ("viewer", "analyst", "admin", "partner")
RANK = {"viewer": 1, "analyst": 2, "admin": 3}
PREFIX = "cm_"
PARTY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class Token:
    token_id: str
    sha256: str
    role: str
    name: str
    party: str | None
    created_at: str
    revoked_at: str | None = None

    def public(self) -> dict:
        """What listings show: everything but the hash."""
        d = asdict(self)
        d.pop("sha256")
        return d


def digest(plain: str) -> str:
    return hashlib.sha256(plain.encode("utf-8")).hexdigest()


class TokenStore:
    """The token file; reads are cached by the file's mtime so a token added from the CLI is seen at once."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._cache: tuple[int, dict[str, Token]] | None = None

    def _load(self) -> dict[str, Token]:
        try:
            mtime = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            return {}
        if self._cache and self._cache[0] == mtime:
            return self._cache[1]
        from critmin.datafile import parse_data
        from critmin.errors import InputError

        data = parse_data(self.path.read_text(encoding="utf-8"), str(self.path), fmt="json",
                          expected="the server's token file") or {}
        try:
            tokens = {t["token_id"]: Token(**t) for t in data.get("tokens", [])}
        except (TypeError, KeyError) as exc:
            raise InputError(str(self.path), None, "tokens", "token records written by `critmin serve token add`",
                             str(exc)) from None
        self._cache = (mtime, tokens)
        return tokens

    def _save(self, tokens: dict[str, Token]) -> None:
        from critmin.atomic import write_text

        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"tokens": [asdict(t) for t in tokens.values()]}, indent=2, ensure_ascii=False)
        write_text(self.path, text + "\n")
        os.chmod(self.path, 0o600)

    def add(self, role: str, name: str = "", party: str | None = None) -> tuple[str, Token]:
        """Create a token; returns (plain token, record). A partner token needs a party name."""
        if role not in ROLES:
            raise UsageError(f"role '{role}': expected one of {', '.join(ROLES)}")
        if role == "partner":
            if not party or not PARTY_RE.match(party):
                raise UsageError(f"a partner token needs --party NAME (lower-case letters, digits, - or _), "
                                 f"got {party!r}")
        elif party:
            raise UsageError(f"--party is only for partner tokens, not for role '{role}'")
        plain = PREFIX + secrets.token_urlsafe(32)
        with self._lock:
            tokens = dict(self._load())
            tid = "tok_" + secrets.token_hex(6)
            tok = Token(token_id=tid, sha256=digest(plain), role=role, name=name[:200], party=party,
                        created_at=datetime.now(UTC).isoformat(timespec="seconds"))
            tokens[tid] = tok
            self._save(tokens)
        return plain, tok

    def revoke(self, token_id: str) -> Token:
        with self._lock:
            tokens = dict(self._load())
            tok = tokens.get(token_id)
            if tok is None:
                raise UsageError(f"no token '{token_id}' (see `critmin serve token list`)")
            if tok.revoked_at is None:
                tok = Token(**{**asdict(tok), "revoked_at": datetime.now(UTC).isoformat(timespec="seconds")})
                tokens[token_id] = tok
                self._save(tokens)
            return tok

    def list(self) -> list[Token]:
        return list(self._load().values())

    def check(self, plain: str | None) -> Token | None:
        """The live token whose hash matches ``plain`` (constant-time comparison), else None."""
        if not plain or not plain.startswith(PREFIX) or len(plain) > 200:
            return None
        h = digest(plain)
        found = None
        for tok in self._load().values():
            if hmac.compare_digest(tok.sha256, h):
                found = tok
        return found if found is not None and found.revoked_at is None else None
