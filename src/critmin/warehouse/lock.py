"""The warehouse writer protocol: one writer at a time, readers that wait instead of failing, and a clean
write-ahead log before every swap.

Why: DuckDB lets one process write a file, but critmin's build replaces the file by rename. Without a lock an
ingest could commit into the old file in the last second of a build and be discarded by the rename; a WAL
left by a writer killed after COMMIT would be replayed against the new file and brick it.

The protocol (docs/reliability.md):

1. Every writer (build, ingest, monitor/stress/incident/discourse stores) takes an exclusive ``flock`` on
   ``<warehouse>.lock`` for the whole operation — for a build from reading the old file to the rename. The lock
   file records which command holds it, its pid and since when, so a second writer waits (``lock_wait``
   seconds, setting ``CRITMIN_LOCK_WAIT``) and then says who holds it. The lock is re-entrant within a process.
2. Under the lock, before anything else, a leftover WAL is folded into its database by a checkpoint; a WAL
   that belongs to another file (an older critmin swapped files under it) is set aside as
   ``<warehouse>.wal.orphaned-<time>`` (never deleted) and the user is told.
3. Readers open read-only; while a writer has the DuckDB file open they retry until ``lock_wait`` and then
   report the holder. A reader that opened before a build's rename keeps reading the old, complete file.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from critmin.errors import CritminError

CONNECTIONS = {"opened": 0}  # DuckDB connections this process opened on warehouse files (tests count them)
_HELD: dict[str, tuple[int, int]] = {}  # lock path -> (fd, depth) for re-entrant use inside one process
_GUARD = threading.Lock()


class WarehouseBusy(CritminError):
    """Another command holds the warehouse (writer lock or DuckDB's own file lock) longer than we wait."""

    exit_code = 75  # EX_TEMPFAIL: try again later

    def __init__(self, path: Path, holder: dict | None, waited: float):
        self.path, self.holder = str(path), holder or {}
        who = (f"`{self.holder.get('cmdline') or self.holder.get('command', '?')}` "
               f"({self.holder.get('command', '?')}, pid {self.holder.get('pid', '?')}, "
               f"since {self.holder.get('since', '?')})") if self.holder else "another process"
        super().__init__(f"warehouse {path} is being written by {who}; waited {waited:.0f} s "
                         f"(CRITMIN_LOCK_WAIT); try again when it has finished")

    def to_dict(self):
        return {**super().to_dict(), "path": self.path, "holder": self.holder}


class StaleWal(CritminError):
    """A write-ahead log that does not belong to the warehouse file next to it."""


def lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


def wal_path(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def _wait_seconds(wait: float | None) -> float:
    from critmin.settings import get

    return float(get("lock_wait") if wait is None else wait)


def holder_of(path: Path) -> dict | None:
    """Who holds the writer lock of ``path`` (as recorded by the holder), or None."""
    try:
        text = lock_path(path).read_text(encoding="utf-8")
        return json.loads(text) if text.strip() else None
    except (OSError, ValueError):
        return None


@contextmanager
def writer_lock(path: Path, command: str, wait: float | None = None) -> Iterator[None]:
    """Hold the exclusive writer lock of warehouse ``path`` for the block (waiting up to ``wait`` seconds).

    Re-entrant within a process: a nested hold only counts, and the lock is released when the last hold ends,
    whichever block that is (a handle opened inside a ``with`` may outlive it)."""
    path = Path(path)
    key = str(lock_path(path).resolve())
    with _GUARD:
        held = key in _HELD
        if held:
            fd, depth = _HELD[key]
            _HELD[key] = (fd, depth + 1)
    if not held:
        _acquire(path, key, command, wait)
    try:
        yield
    finally:
        _release(key)


def _acquire(path: Path, key: str, command: str, wait: float | None) -> None:
    import fcntl

    lp = lock_path(path)
    lp.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lp, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        limit = _wait_seconds(wait)
        t0 = time.monotonic()
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                waited = time.monotonic() - t0
                if waited >= limit:
                    raise WarehouseBusy(path, holder_of(path), waited) from None
                if not told and waited > 1.0:
                    h = holder_of(path) or {}
                    print(f"waiting for `{h.get('cmdline') or h.get('command', '?')}` (pid {h.get('pid', '?')}) "
                          f"to finish writing {path} …", file=sys.stderr)
                    told = True
                time.sleep(0.05)
        record = {"command": command, "cmdline": _cmdline(), "pid": os.getpid(),
                  "since": datetime.now(UTC).isoformat(timespec="seconds")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(record).encode(), 0)
        with _GUARD:
            _HELD[key] = (fd, 1)
    except BaseException:
        os.close(fd)
        raise
    try:
        recover_wal(path)
        clean_stale_builds(path)
    except BaseException:
        _release(key)
        raise


def _release(key: str) -> None:
    import fcntl

    with _GUARD:
        fd, depth = _HELD[key]
        if depth > 1:
            _HELD[key] = (fd, depth - 1)
            return
        del _HELD[key]
    try:
        os.ftruncate(fd, 0)
        fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _cmdline() -> str:
    """How the user started this process, short: ``critmin ingest baci`` (first words only, no file names)."""
    prog = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "python"
    if prog in ("critmin", "__main__.py", "-m"):
        words = [a for a in sys.argv[1:4] if not a.startswith("-") and "/" not in a and "." not in a]
        return " ".join(["critmin", *words[:2]])
    return prog


def holds_lock(path: Path) -> bool:
    """Whether this process holds the writer lock of ``path``."""
    return str(lock_path(Path(path)).resolve()) in _HELD


def recover_wal(path: Path) -> str | None:
    """Fold a leftover WAL into ``path`` (checkpoint), or set aside one that does not belong to it.

    Called under the writer lock. Returns what was done (for tests and messages), or None.
    """
    import duckdb

    wal = wal_path(path)
    if not wal.exists():
        return None
    if not path.exists():
        return _set_aside(wal, "its database file is missing")
    try:
        con = connect(path, read_only=False)
    except StaleWal:
        return _set_aside(wal, "it does not match the database file")
    try:
        con.execute("CHECKPOINT")
    except duckdb.Error as exc:  # pragma: no cover - a checkpoint of a readable file does not fail in practice
        raise CritminError(f"could not checkpoint {path}: {str(exc).splitlines()[0]}") from None
    finally:
        con.close()
    return "checkpointed"


def clean_stale_builds(path: Path) -> list[Path]:
    """Remove the temporary files of builds whose process is gone (a killed build leaves its half-written
    ``.<name>.building-<pid>`` file); called under the writer lock, so no live build of ours is touched."""
    removed = []
    for stale in path.parent.glob(f".{path.name}.building-*"):
        pid = stale.name.rsplit("-", 1)[-1].split(".")[0]
        alive = False
        if pid.isdigit():
            try:
                os.kill(int(pid), 0)
                alive = True
            except ProcessLookupError:
                alive = False
            except PermissionError:  # another user's live process
                alive = True
        if not alive:
            stale.unlink(missing_ok=True)
            removed.append(stale)
    return removed


def _set_aside(wal: Path, why: str) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = wal.with_name(f"{wal.name}.orphaned-{stamp}")
    os.replace(wal, target)
    print(f"note: the write-ahead log {wal} was set aside as {target.name} because {why}; "
          f"the warehouse is usable again (nothing was deleted)", file=sys.stderr)
    return f"set aside: {target}"


def _cap_memory(con) -> None:
    """Every warehouse connection honours the ``memory_limit`` setting (DuckDB's own default is 80 % of the
    machine's RAM, too much on a machine shared with other work); larger intermediates spill to disk."""
    from critmin.settings import get

    limit = str(get("memory_limit")).replace("'", "")
    con.execute(f"SET memory_limit = '{limit}'")


def connect(path: Path, read_only: bool = True, wait: float | None = None):
    """``duckdb.connect`` that waits (up to ``lock_wait``) while another process has the file open for writing,
    and turns DuckDB's lock and WAL errors into one-line critmin errors."""
    import duckdb

    limit = _wait_seconds(wait)
    t0 = time.monotonic()
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            CONNECTIONS["opened"] += 1
            _cap_memory(con)
            return con
        except duckdb.IOException as exc:
            msg = str(exc)
            if "WAL does not match" in msg or "replaying WAL" in msg:
                raise StaleWal(f"the write-ahead log {wal_path(path)} does not belong to {path} "
                               f"(left by a writer that was killed); run `critmin build` to set it aside "
                               f"(it is kept, not deleted)") from None
            if "lock" not in msg.lower():
                raise
            waited = time.monotonic() - t0
            if waited >= limit:
                raise WarehouseBusy(path, holder_of(path), waited) from None
            time.sleep(0.05)
