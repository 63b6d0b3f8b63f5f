"""Long work as background jobs: started by a POST, watched with ``GET /api/jobs/{id}``,
cancelled with ``DELETE``.

A job is supervised by one of the registry's own worker threads (never the event loop, never
the request threads). Heavy work (:meth:`JobRegistry.start_process`: the network graph, a
projection) runs in a worker *process* (``_worker``), so nothing it does can hold the server's
GIL; its progress comes back over a pipe and cancelling terminates it. Work that needs the app's
own memory (:meth:`JobRegistry.start`) runs in the thread itself: no route starts such work now
(the graph and projection are rebuilt from the run's folder in the process); it stays for work
that cannot be rebuilt there, such as a caller's live objects. Either reports ``progress``
(0-1) and ``message`` (what it is doing) through :meth:`Job.report`, and stops at its next
report once cancelled. Listeners (:meth:`JobRegistry.listen`: the ``/api/live`` WebSocket) hear
every change, so the page is told rather than polling. Starting the same work twice
(same ``key``) joins the job already queued or running. A finished job keeps its result (the
routes answer from it) until newer jobs push it out.
"""

from __future__ import annotations

import contextlib
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
    _notify: Callable[[Job], None] | None = field(default=None, repr=False)

    def report(self, progress: float, message: str) -> None:
        """Say how far the work is; raises :class:`JobCancelledError` once the job is cancelled."""
        if self._cancel.is_set():
            raise JobCancelledError
        self.progress = min(1.0, max(self.progress, float(progress)))
        self.message = message
        self.changed()

    def changed(self) -> None:
        """Tell the registry's listeners about the job's new state."""
        if self._notify is not None:
            self._notify(self)

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
        self._listeners: list[Callable[[dict[str, Any]], None]] = []

    def listen(self, listener: Callable[[dict[str, Any]], None]) -> Callable[[], None]:
        """Call ``listener(status)`` on every change of any job (from the job's thread; it must
        be quick and must not raise). Returns the function that stops it."""
        with self._lock:
            self._listeners.append(listener)

        def stop() -> None:
            with self._lock, contextlib.suppress(ValueError):
                self._listeners.remove(listener)

        return stop

    def _tell(self, job: Job) -> None:
        with self._lock:
            listeners = list(self._listeners)
        status = job.status()
        for listener in listeners:
            with contextlib.suppress(Exception):  # a listener's failure is not the job's
                listener(status)

    def start_process(
        self, kind: str, key: Hashable, target: Callable[..., Any] | str, *args: Any, **kw: Any
    ) -> Job:
        """Start ``target(report, *args)`` in a worker process (see ``_worker.run_in_process``;
        ``target`` a module-level function or its ``"module:function"`` name, ``args``
        picklable), or join the job
        already doing it. ``lock`` (a context manager) is held by the job's thread while the
        process runs; ``clean`` lists folders whose temporaries a cancelled job removes."""
        from ._worker import run_in_process

        lock = kw.pop("lock", None)
        clean = kw.pop("clean", ())

        def work(job: Job) -> Any:
            with lock if lock is not None else contextlib.nullcontext():
                return run_in_process(job, target, args, clean=clean)

        return self.start(kind, key, work, threads=False)

    def start(self, kind: str, key: Hashable, work: Work, *, threads: bool = True) -> Job:
        """Start ``work(job)`` in the background, or join the job already doing it.

        A job of the same key that finished ``done`` is returned as it is (its result stands);
        one that failed or was cancelled is started afresh. ``threads=False``: the work only
        supervises a process (no shorter GIL switch interval for it).
        """
        with self._lock:
            old = self._by_key.get(key)
            if old is not None and old.state in ("queued", "running", "done"):
                return old
            job = Job(secrets.token_hex(8), kind, key, _notify=self._tell)
            self._jobs[job.id] = job
            self._by_key[key] = job
            self._forget_old()
        self._pool.submit(self._run, job, work, threads)
        job.changed()
        return job

    def _forget_old(self) -> None:
        finished = [j for j in self._jobs.values() if j.state in FINISHED]
        for job in finished[: max(0, len(finished) - self.keep)]:
            del self._jobs[job.id]
            if self._by_key.get(job.key) is job:
                del self._by_key[job.key]

    def _run(self, job: Job, work: Work, threads: bool = True) -> None:
        try:
            self._run_work(job, work, threads)
        finally:
            job.changed()

    def _run_work(self, job: Job, work: Work, threads: bool) -> None:
        if job.cancelled:
            job.state, job.message = "cancelled", "cancelled before it started"
            return
        job.state, job.message = "running", "starting"
        job.changed()
        try:
            with _short_switches() if threads else contextlib.nullcontext():
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

    def warm_up(self) -> None:
        """Start the worker processes' fork server now (it imports the heavy modules), so the
        first job does not wait for it."""
        from ._worker import warm_up

        warm_up()

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
            job.changed()
        return job

    def running(self) -> list[Job]:
        with self._lock:
            return [j for j in self._jobs.values() if j.state not in FINISHED]

    def shutdown(self) -> None:
        """Cancel every job and wait for the workers to stop."""
        for job in self.running():
            job._cancel.set()
        self._pool.shutdown(wait=True, cancel_futures=False)
