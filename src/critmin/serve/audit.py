"""The append-only audit log: one JSON line per write and per partner read, each line carrying the sha256 of
the previous line's hash and its own content, so a line removed or edited afterwards breaks the chain at that
point (:func:`verify` names it).

Appends take an exclusive ``flock`` on the file and are fsynced: two server processes on one state folder
keep one chain. The log is never rewritten; rotating it is an operator's decision (start a new file).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

GENESIS = "0" * 64


def line_hash(prev: str, record: dict[str, Any]) -> str:
    """sha256 over the previous hash and the record's canonical JSON (sorted keys, no spaces), ``hash`` left out."""
    body = {k: v for k, v in record.items() if k != "hash"}
    canon = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev + "\n" + canon).encode("utf-8")).hexdigest()


class AuditLog:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()

    def append(self, **fields: Any) -> dict[str, Any]:
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, open(self.path, "a+b") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                prev, seq = self._tail(fh)
                rec = {"seq": seq + 1, "at": datetime.now(UTC).isoformat(timespec="milliseconds"), **fields,
                       "prev": prev}
                rec["hash"] = line_hash(prev, rec)
                fh.seek(0, os.SEEK_END)
                fh.write((json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8"))
                fh.flush()
                os.fsync(fh.fileno())
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
        return rec

    @staticmethod
    def _tail(fh) -> tuple[str, int]:
        """The last line's hash and seq (reads backwards from the end; the log can grow large)."""
        end = fh.seek(0, os.SEEK_END)
        if end == 0:
            return GENESIS, 0
        size = min(end, 65536)
        while True:
            fh.seek(end - size)
            chunk = fh.read(size)
            lines = chunk.rstrip(b"\n").split(b"\n")
            if len(lines) > 1 or size == end:
                last = json.loads(lines[-1])
                return last["hash"], int(last["seq"])
            size = min(end, size * 4)

    def records(self, limit: int | None = None) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        with open(self.path, encoding="utf-8") as fh:
            rows = [json.loads(line) for line in fh if line.strip()]
        return rows[-limit:] if limit else rows

    def verify(self) -> dict[str, Any]:
        """Walk the chain: ``{"ok": bool, "lines": n, "head": hash, "first_bad": {line, reason} | None}``."""
        prev, n = GENESIS, 0
        if self.path.exists():
            with open(self.path, encoding="utf-8") as fh:
                for n, line in enumerate(fh, start=1):  # noqa: B007 - n is the count afterwards
                    try:
                        rec = json.loads(line)
                    except ValueError:
                        return {"ok": False, "lines": n, "head": prev,
                                "first_bad": {"line": n, "reason": "not a JSON line"}}
                    if rec.get("prev") != prev:
                        return {"ok": False, "lines": n, "head": prev,
                                "first_bad": {"line": n, "reason": "prev does not match the line before"}}
                    if rec.get("seq") != n:
                        return {"ok": False, "lines": n, "head": prev,
                                "first_bad": {"line": n, "reason": f"seq {rec.get('seq')} where {n} was expected"}}
                    if line_hash(prev, rec) != rec.get("hash"):
                        return {"ok": False, "lines": n, "head": prev,
                                "first_bad": {"line": n, "reason": "hash does not match the line's content"}}
                    prev = rec["hash"]
        return {"ok": True, "lines": n, "head": prev, "first_bad": None}
