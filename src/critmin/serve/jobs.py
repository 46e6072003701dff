"""Background jobs (stress runs, exercises): started by a request, run one at a time on a worker thread, their
progress polled and their result fetched later.

Job ids are 128-bit random (not guessable), and a job is visible only to the token that started it and to
admins. The result of a stress job is saved in the warehouse (``stress_runs``), so it outlives the server;
the job record itself is kept in memory.
"""

from __future__ import annotations

import secrets
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


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


class Jobs:
    def __init__(self, workers: int = 1, keep: int = 500):
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="critmin-job")
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self.keep = keep

    def submit(self, kind: str, owner: str, params: dict[str, Any],
               fn: Callable[[Callable[[str, float], None]], dict[str, Any]]) -> Job:
        """Queue ``fn(step)``; ``step(phase, fraction)`` reports progress; ``fn`` returns the result dict."""
        job = Job(job_id="job_" + secrets.token_hex(16), kind=kind, owner=owner, params=params)
        with self._lock:
            self._jobs[job.job_id] = job
            if len(self._jobs) > self.keep:  # forget the oldest finished jobs
                for jid in [j.job_id for j in self._jobs.values() if j.status in ("done", "failed")][: len(self._jobs) - self.keep]:
                    self._jobs.pop(jid, None)

        def step(phase: str, fraction: float) -> None:
            job.phase, job.progress = phase, max(job.progress, min(1.0, fraction))

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
