"""Heavy job work in a worker process, so NumPy, numba, torch and plain Python that hold the
GIL cannot stall the event loop or the cheap requests.

:func:`run_in_process` starts ``target(report, *args)`` in a child process and supervises it
from the job's thread: the child's ``report(progress, message)`` calls come back over a pipe
into :meth:`Job.report`, its answer (or its exception) comes back at the end, and cancelling
the job terminates the child and removes the temporary files it left (every store write goes
to a temporary first and is renamed into place, so nothing half-written ever shows).

Children are forked from a *fork server* that imported the heavy modules once (POSIX), so a
job starts in milliseconds with NumPy, SciPy and scikit-learn already loaded; elsewhere they
are spawned. :func:`warm_up` starts that server in the background when the app starts.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.connection
import os
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from ._jobs import Job, JobCancelledError

# A module-level function, or its name as ``"module:function"`` (imported in the child only:
# the server itself never loads the work's heavy modules).
Target = Callable[..., Any] | str

# Imported once by the fork server: each job's child starts with them loaded.
PRELOAD = ["convlens.views._work"]

_context_lock = threading.Lock()
_context: Any = None


def context() -> Any:
    """The multiprocessing context jobs start in (a preloaded fork server where there is one)."""
    global _context
    with _context_lock:
        if _context is None:
            if sys.platform != "win32" and "forkserver" in multiprocessing.get_all_start_methods():
                server = multiprocessing.get_context("forkserver")
                server.set_forkserver_preload(PRELOAD)
                _context = server
            else:  # pragma: no cover - Windows
                _context = multiprocessing.get_context("spawn")
        return _context


_start_lock = threading.Lock()


@contextlib.contextmanager
def _without_main() -> Iterator[None]:
    """Start processes without re-running the caller's ``__main__`` script in them.

    multiprocessing imports the main script again in a fork server or spawned child; a script
    that starts the server without an ``if __name__ == "__main__":`` guard would then run again
    there and fail. The work never needs it (targets are convlens functions, named by module),
    so the script's path is hidden while a process starts.
    """
    main = sys.modules.get("__main__")
    with _start_lock:
        path = getattr(main, "__file__", None)
        if path is not None:
            del main.__file__  # type: ignore[union-attr]
        try:
            yield
        finally:
            if path is not None:
                main.__file__ = path  # type: ignore[union-attr]


def warm_up() -> threading.Thread:
    """Start the fork server (it imports the heavy modules) in a background thread."""

    def start() -> None:
        ctx = context()
        if ctx.get_start_method() == "forkserver":
            from multiprocessing import forkserver

            with _without_main():
                forkserver.ensure_running()

    thread = threading.Thread(target=start, name="convlens-job-warmup", daemon=True)
    thread.start()
    return thread


def run_in_process(
    job: Job, target: Target, args: tuple[Any, ...] = (), *, clean: Iterable[Path] = ()
) -> Any:
    """Run ``target(report, *args)`` in a worker process on behalf of ``job``.

    Progress goes to ``job.report``; cancelling the job terminates the process, removes the
    temporaries it left under the folders in ``clean`` and raises :class:`JobCancelledError`.
    The child's exception is raised here as it was raised there.
    """
    ctx = context()
    receive, send = ctx.Pipe(duplex=False)
    from convlens.views._work import child

    proc = ctx.Process(target=child, args=(send, target, args), daemon=True)
    with _without_main():
        proc.start()
    send.close()
    finished = False  # the child sent its answer and is ending by itself
    try:
        while True:
            if job.cancelled:
                raise JobCancelledError
            if not receive.poll(0.05):
                if not proc.is_alive() and not receive.poll(0):
                    raise RuntimeError(f"the worker process stopped (exit code {proc.exitcode})")
                continue
            try:
                msg = receive.recv()
            except EOFError:
                raise RuntimeError(
                    f"the worker process stopped (exit code {proc.exitcode})"
                ) from None
            if msg[0] == "progress":
                job.report(msg[1], msg[2])  # raises JobCancelledError once cancelled
                continue
            finished = True
            if msg[0] == "error":
                raise msg[1]
            return msg[1]
    finally:
        if finished:  # let it run its exit handlers (they unlink its semaphores)
            proc.join(_GRACE_S)
        _stop(proc)
        receive.close()
        if proc.exitcode not in (0, None):
            _clean(clean)


# How long a child that sent its answer gets to end by itself before it is terminated: a child
# terminated while it ends leaves its named semaphores (tqdm's lock) to the resource tracker,
# which warns of them when the server stops.
_GRACE_S = 5.0


def _stop(proc: Any) -> None:
    if proc.is_alive():
        proc.terminate()
        proc.join(5)
    if proc.is_alive():  # pragma: no cover - ignored SIGTERM
        proc.kill()
    proc.join(5)


def _clean(folders: Iterable[Path]) -> None:
    """Remove what a stopped worker left half-written (its temporaries carry its pid)."""
    from convlens.store import remove_stale_temporaries

    for folder in folders:
        if os.path.isdir(folder):
            remove_stale_temporaries(Path(folder))
