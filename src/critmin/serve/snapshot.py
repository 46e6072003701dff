"""Reads from a private snapshot of the warehouse, so an ingest or a build can run while the server serves.

Why: DuckDB lets one process write a file and no other process read it meanwhile; a server that kept the
warehouse open would block every ingest, and one that opened it per request would stall during every write.
The server therefore copies the warehouse (about 20 MB for the bundled data) into its own folder under the
writer lock (:mod:`critmin.warehouse.lock`, so never half-way through someone's write) and answers reads from
that copy. When the warehouse file changes (a build swapped it, an ingest committed), the next read after
``check_every`` seconds takes a new copy once no writer holds the lock; until then reads keep using the old
copy. Requests already running on an old copy finish on it; it is deleted when the last one ends.

Writes (incidents, stress saves) open the real file writable for the one request, under the writer lock,
and the snapshot is renewed right after, so the writer reads its own write.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from critmin.errors import WarehouseMissing


@dataclass
class _Snap:
    path: Path
    con: object  # a DuckDB connection held open so per-request connections reuse the database instance
    signature: tuple
    number: int = 0
    users: int = 0
    retired: bool = False


def _signature(path: Path) -> tuple:
    out = []
    for p in (path, path.with_name(path.name + ".wal")):
        try:
            st = p.stat()
            out.append((st.st_ino, st.st_mtime_ns, st.st_size))
        except FileNotFoundError:
            out.append(None)
    return tuple(out)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class SnapshotStore:
    def __init__(self, source: Path, folder: Path, check_every: float = 1.0):
        self.source = Path(source)
        self.folder = Path(folder) / f"pid-{os.getpid()}"
        self.check_every = check_every
        self._snap: _Snap | None = None
        self._n = 0
        self._checked = 0.0
        self._guard = threading.Lock()  # users counts and the current pointer
        self._refresh = threading.Lock()  # one refresh at a time
        self._write = threading.RLock()  # server writes, and refreshes never during one
        self.refreshes = 0
        self._clean_dead(Path(folder))

    # ---------------------------------------------------------------------------------------------------
    @staticmethod
    def _clean_dead(root: Path) -> None:
        """Remove snapshot folders left by server processes that are gone."""
        if not root.is_dir():
            return
        for d in root.glob("pid-*"):
            pid = d.name[4:]
            if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
                shutil.rmtree(d, ignore_errors=True)

    def _take(self, wait: float | None) -> bool:
        """Copy the warehouse under the writer lock; False when a writer holds it (``wait`` seconds passed)."""
        import duckdb

        from critmin.warehouse.lock import WarehouseBusy, connect, writer_lock

        if not self.source.exists():
            raise WarehouseMissing(str(self.source))
        if not self._write.acquire(blocking=False):
            return False
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._n += 1
            target = self.folder / f"snap-{self._n}.duckdb"
            try:
                with writer_lock(self.source, "serve snapshot", wait=wait):
                    sig = _signature(self.source)
                    tmp = target.with_name(target.name + ".tmp")
                    shutil.copyfile(self.source, tmp)
                    os.replace(tmp, target)
            except WarehouseBusy:
                if wait == 0:
                    return False
                raise
            try:
                con = connect(target, read_only=True)
            except duckdb.Error:
                target.unlink(missing_ok=True)
                raise
        finally:
            self._write.release()
        new = _Snap(target, con, sig, number=self._n)
        with self._guard:
            old, self._snap = self._snap, new
            if old is not None:
                old.retired = True
                self._drop_if_idle(old)
        self.refreshes += 1
        return True

    def _drop_if_idle(self, snap: _Snap) -> None:
        if snap.retired and snap.users == 0:
            try:
                snap.con.close()
            finally:
                snap.path.unlink(missing_ok=True)

    def _maybe_refresh(self, force: bool = False) -> None:
        now = time.monotonic()
        if self._snap is not None and not force and now - self._checked < self.check_every:
            return
        if not self._refresh.acquire(blocking=self._snap is None):
            return  # another thread is refreshing; keep reading the current copy
        try:
            self._checked = now
            if self._snap is None:
                self._take(wait=None)
            elif force or _signature(self.source) != self._snap.signature:
                self._take(wait=0)
        finally:
            self._refresh.release()

    # ---------------------------------------------------------------------------------------------------
    def current(self) -> int | None:
        """The current snapshot's number when it was checked within ``check_every`` (no file access), else
        None: then call :meth:`generation` (off the event loop: it may copy the warehouse)."""
        snap = self._snap
        if snap is None or time.monotonic() - self._checked >= self.check_every:
            return None
        return snap.number

    def generation(self) -> int:
        """The number of the snapshot reads use now (renewed first if the warehouse changed)."""
        self._maybe_refresh()
        snap = self._snap
        if snap is None:
            raise WarehouseMissing(str(self.source))
        return snap.number

    @contextmanager
    def read(self) -> Iterator:
        """A read-only :class:`~critmin.warehouse.handle.Warehouse` on the current snapshot, for one request."""
        from critmin.warehouse.handle import Warehouse

        self._maybe_refresh()
        with self._guard:
            snap = self._snap
            if snap is None:
                raise WarehouseMissing(str(self.source))
            snap.users += 1
        try:
            with Warehouse(snap.path, read_only=True) as wh:
                yield wh
        finally:
            with self._guard:
                snap.users -= 1
                self._drop_if_idle(snap)

    @contextmanager
    def write(self, command: str) -> Iterator:
        """A writable handle on the real warehouse for one request (writer lock held), then a fresh snapshot."""
        from critmin.warehouse.handle import Warehouse

        with self._write:
            wh = Warehouse(self.source, read_only=False, command=f"serve {command}")
            try:
                yield wh
            finally:
                wh.close()
            with self._refresh:
                self._take(wait=None)
                self._checked = time.monotonic()

    def close(self) -> None:
        with self._guard:
            snap, self._snap = self._snap, None
            if snap is not None:
                snap.retired = True
                self._drop_if_idle(snap)
        shutil.rmtree(self.folder, ignore_errors=True)
