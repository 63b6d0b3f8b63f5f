"""Long work as background jobs: started by a POST, watched with ``GET /api/jobs/{id}``,
cancelled with ``DELETE``.

A job runs in the registry's own worker threads (never the event loop, never the request
threads), reports ``progress`` (0-1) and ``message`` (what it is doing) through
:meth:`Job.report`, and stops at its next report once cancelled. Starting the same work twice
(same ``key``) joins the job already queued or running. A finished job keeps its result (the
routes answer from it) until newer jobs push it out.
"""

from __future__ import annotations

import secrets
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from convlens.core import ConvLensError, NotFoundError

State = Literal["queued", "running", "done", "failed", "cancelled"]
FINISHED: frozenset[str] = frozenset({"done", "failed", "cancelled"})


class JobCancelledError(Exception):
    """Raised inside a job's work at its next report once the job is cancelled."""


@dataclass(eq=False)
class Job:
    """One piece of long work.

    Attributes:
        id: The job's id (``/api/jobs/{id}``).
        kind: What it makes (``graph``, ``projection``).
        key: The work's identity: starting the same key again joins this job.
        state: ``queued``, ``running``, ``done``, ``failed`` or ``cancelled``.
        progress: 0 to 1.
        message: What it is doing now, or why it failed or stopped.
        result: The work's answer once ``done``.
    """

    id: str
    kind: str
    key: Hashable
    state: State = "queued"
    progress: float = 0.0
    message: str = "waiting for a free worker"
    result: Any = None
    status_code: int = 200
    _cancel: threading.Event = field(default_factory=threading.Event, repr=False)

    def report(self, progress: float, message: str) -> None:
        """Say how far the work is; raises :class:`JobCancelledError` once the job is cancelled."""
        if self._cancel.is_set():
            raise JobCancelledError
        self.progress = min(1.0, max(self.progress, float(progress)))
        self.message = message

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def status(self) -> dict[str, Any]:
        """The job as ``/api/jobs/{id}`` answers it."""
        return {
            "id": self.id,
            "kind": self.kind,
            "state": self.state,
            "progress": round(self.progress, 4),
            "message": self.message,
            "error_status": None if self.state != "failed" else self.status_code,
        }


Work = Callable[[Job], Any]

_switch_lock = threading.Lock()
_switch_users = 0
_SWITCH = 0.0005  # seconds a thread may hold the GIL while another waits (CPython's default: 5 ms)


@contextmanager
def _short_switches() -> Iterator[None]:
    """While any job runs, hand the GIL over every 0.5 ms instead of every 5 ms, so the event
    loop and the request threads, waiting behind a job's pure-Python stretches, get it back
    ten times sooner (the job loses a little throughput to the extra switches)."""
    global _switch_users
    with _switch_lock:
        if _switch_users == 0:
            _short_switches.saved = sys.getswitchinterval()  # type: ignore[attr-defined]
            sys.setswitchinterval(min(_SWITCH, _short_switches.saved))  # type: ignore[attr-defined]
        _switch_users += 1
    try:
        yield
    finally:
        with _switch_lock:
            _switch_users -= 1
            if _switch_users == 0:
                sys.setswitchinterval(_short_switches.saved)  # type: ignore[attr-defined]


class JobRegistry:
    """Background jobs of one app.

    Args:
        workers: Jobs run at once (each in its own thread).
        keep: Finished jobs remembered (the oldest are forgotten first).
        status_of: Maps a job's exception to an HTTP status (failed jobs report it).
    """

    def __init__(
        self,
        *,
        workers: int = 2,
        keep: int = 64,
        status_of: Callable[[BaseException], int] | None = None,
    ) -> None:
        self.keep = keep
        self._status_of = status_of or (lambda exc: 400 if isinstance(exc, ConvLensError) else 500)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="convlens-job")
        self._lock = threading.Lock()
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._by_key: dict[Hashable, Job] = {}

    def start(self, kind: str, key: Hashable, work: Work) -> Job:
        """Start ``work(job)`` in the background, or join the job already doing it.

        A job of the same key that finished ``done`` is returned as it is (its result stands);
        one that failed or was cancelled is started afresh.
        """
        with self._lock:
            old = self._by_key.get(key)
            if old is not None and old.state in ("queued", "running", "done"):
                return old
            job = Job(secrets.token_hex(8), kind, key)
            self._jobs[job.id] = job
            self._by_key[key] = job
            self._forget_old()
        self._pool.submit(self._run, job, work)
        return job

    def _forget_old(self) -> None:
        finished = [j for j in self._jobs.values() if j.state in FINISHED]
        for job in finished[: max(0, len(finished) - self.keep)]:
            del self._jobs[job.id]
            if self._by_key.get(job.key) is job:
                del self._by_key[job.key]

    def _run(self, job: Job, work: Work) -> None:
        if job.cancelled:
            job.state, job.message = "cancelled", "cancelled before it started"
            return
        job.state, job.message = "running", "starting"
        try:
            with _short_switches():
                result = work(job)
        except JobCancelledError:
            job.state, job.message = "cancelled", "cancelled: nothing was stored"
        except Exception as exc:  # a job's failure is reported, not raised
            job.status_code = self._status_of(exc)
            job.state = "failed"
            job.message = str(exc) if job.status_code < 500 else f"failed: {exc!r}"
        else:
            job.result, job.progress, job.message = result, 1.0, "done"
            job.state = "done"

    def get(self, job_id: str) -> Job:
        """The job ``job_id``."""
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise NotFoundError(
                f"no job '{job_id[:40]}': it finished long ago or never was; start it again"
            )
        return job

    def done(self, key: Hashable) -> Job | None:
        """The finished (``done``) job of ``key``, if any."""
        with self._lock:
            job = self._by_key.get(key)
        return job if job is not None and job.state == "done" else None

    def cancel(self, job_id: str) -> Job:
        """Ask the job to stop at its next report (a finished job stays as it is)."""
        job = self.get(job_id)
        if job.state not in FINISHED:
            job._cancel.set()
            job.message = "cancelling"
        return job

    def running(self) -> list[Job]:
        with self._lock:
            return [j for j in self._jobs.values() if j.state not in FINISHED]

    def shutdown(self) -> None:
        """Cancel every job and wait for the workers to stop."""
        for job in self.running():
            job._cancel.set()
        self._pool.shutdown(wait=True, cancel_futures=False)
