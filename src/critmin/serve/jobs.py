"""Background jobs (stress runs, exercises): started by a request, run one at a time on a worker thread, their
progress polled and their result fetched later.

Job ids are 128-bit random (not guessable), and a job is visible only to the token that started it and to
admins. The result of a stress job is saved in the warehouse (``stress_runs``); the job record (status, phase,
result summary, error) is one JSON file per job under the server's state folder (``jobs/``), written atomically
at every change of status or phase, so a restart keeps finished jobs. A job that was queued or running when the
server stopped is marked failed ("interrupted") on the next start: nothing resumes it silently.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

#: Fields of a job file (``started`` is a process clock and means nothing after a restart).
_STORED = ("job_id", "kind", "owner", "params", "status", "phase", "progress", "created_at", "seconds", "result",
           "error")


@dataclass
class Job:
    job_id: str
    kind: str
    owner: str  # token id
    params: dict[str, Any]
    status: str = "queued"  # queued | running | done | failed
    phase: str = "queued"
    progress: float = 0.0
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    started: float | None = None
    seconds: float | None = None
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None

    def public(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in ("owner", "started")}


INTERRUPTED = {"status": 500, "code": "interrupted", "message": "the server stopped before the job finished; "
               "start it again", "detail": None}


class Jobs:
    """The job table; with ``folder``, each job is also a file there (``<job_id>.json``) and the table is read back
    from the folder on start."""

    def __init__(self, workers: int = 1, keep: int = 500, folder: str | Path | None = None):
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="critmin-job")
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self.keep = keep
        self.folder = Path(folder) if folder is not None else None
        if self.folder is not None:
            self._load()

    def _path(self, job_id: str) -> Path:
        return self.folder / f"{job_id}.json"

    def _save(self, job: Job) -> None:
        if self.folder is None:
            return
        from critmin.atomic import write_text

        rec = {k: getattr(job, k) for k in _STORED}
        write_text(self._path(job.job_id), json.dumps(rec, ensure_ascii=False, default=str))

    def _load(self) -> None:
        """Read every job file (oldest first); a job left queued or running by a stopped server is failed."""
        import logging

        self.folder.mkdir(parents=True, exist_ok=True)
        jobs = []
        for f in self.folder.glob("job_*.json"):
            try:
                rec = json.loads(f.read_text(encoding="utf-8"))
                jobs.append(Job(**{k: rec[k] for k in _STORED if k in rec}))
            except (OSError, ValueError, TypeError, KeyError) as exc:  # a damaged file is named, not fatal
                logging.getLogger("critmin.serve").warning("job file %s skipped: %s", f, exc)
        for job in sorted(jobs, key=lambda j: (j.created_at, j.job_id)):
            if job.status in ("queued", "running"):
                job.status, job.phase, job.error = "failed", "interrupted", dict(INTERRUPTED)
                self._save(job)
            self._jobs[job.job_id] = job

    def submit(self, kind: str, owner: str, params: dict[str, Any],
               fn: Callable[[Callable[[str, float], None]], dict[str, Any]]) -> Job:
        """Queue ``fn(step)``; ``step(phase, fraction)`` reports progress; ``fn`` returns the result dict."""
        job = Job(job_id="job_" + secrets.token_hex(16), kind=kind, owner=owner, params=params)
        with self._lock:
            self._jobs[job.job_id] = job
            if len(self._jobs) > self.keep:  # forget the oldest finished jobs
                for jid in [j.job_id for j in self._jobs.values() if j.status in ("done", "failed")][: len(self._jobs) - self.keep]:
                    self._jobs.pop(jid, None)
                    if self.folder is not None:
                        self._path(jid).unlink(missing_ok=True)
        self._save(job)

        def step(phase: str, fraction: float) -> None:
            changed = phase != job.phase
            job.phase, job.progress = phase, max(job.progress, min(1.0, fraction))
            if changed:  # a file write per phase, not per progress tick
                self._save(job)

        def run() -> None:
            from critmin.errors import CritminError
            from critmin.serve.errors import from_critmin

            job.status, job.started = "running", time.perf_counter()
            step("running", 0.05)
            try:
                job.result = fn(step)
                job.status, job.phase, job.progress = "done", "done", 1.0
            except CritminError as exc:
                job.status, job.error = "failed", from_critmin(exc)[1]["error"]
            except Exception as exc:  # noqa: BLE001 - a failed job reports, the worker survives
                import logging

                logging.getLogger("critmin.serve").error("job %s failed:\n%s", job.job_id, traceback.format_exc())
                job.status = "failed"
                job.error = {"status": 500, "code": "internal", "message": f"{type(exc).__name__} in the job; "
                             "the server log has the details", "detail": None}
            finally:
                job.seconds = round(time.perf_counter() - job.started, 3)
                self._save(job)

        self._pool.submit(run)
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def list(self) -> list[Job]:
        with self._lock:
            return list(self._jobs.values())

    def wait(self, job_id: str, timeout: float = 60.0) -> Job | None:
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            job = self.get(job_id)
            if job is None or job.status in ("done", "failed"):
                return job
            time.sleep(0.05)
        return self.get(job_id)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
