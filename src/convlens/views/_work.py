"""What a background job's worker process runs (the server's ``_worker`` starts it):
:func:`child` and the work functions, module-level so they pickle by name.

Imported once by the fork server, with the modules every job needs, so each job's process
starts with them loaded. scikit-learn is left out on purpose: only t-SNE needs it, and its
import (seconds on a busy machine) would delay the fork server, and so every first job.
"""

from __future__ import annotations

import importlib
import multiprocessing.connection
import os
import pickle
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse  # noqa: F401

from convlens.analyze.embed import _fuzzy_graph, _neighbours, _project  # noqa: F401
from convlens.pipelines import RunCatalogue
from convlens.store import Run

from ._attributions import attribution_sanity
from ._graph import graph_info
from ._inspect import Inspector
from ._projection import projection as projection_view

Report = Callable[[float, str], None]


def projection(
    report: Report,
    runs_dir: str,
    run_path: str,
    layer: str,
    method: str,
    max_points: int,
    epoch: int | None,
) -> dict[str, Any]:
    """A projection view's answer (the server encodes it for the wire)."""
    answer = projection_view(
        Inspector(runs_dir),
        Run.open(Path(run_path)),
        epoch=epoch,
        layer=layer,
        method=method,
        max_points=max_points,
        report=report,
    )
    report(1.0, "done")
    return answer


def graph(report: Report, runs_dir: str, run_path: str, epoch: int) -> int:
    """Lay out and store the run's network graph of ``epoch`` (the parent holds the run's
    write lock meanwhile)."""
    graph_info(RunCatalogue(Path(runs_dir)), Run.open(Path(run_path)), epoch, report=report)
    return epoch


def sanity(
    report: Report,
    runs_dir: str,
    run_path: str,
    epoch: int | None,
    image: str,
    method: str,
    target: str | None,
    layer: str | None,
    picture: np.ndarray,
) -> dict[str, Any]:
    """The attribution sanity check's answer, each scrambled layer a step. ``picture`` is the
    image as the model gets it (the server's uploads are not in this process)."""
    import torch

    answer = attribution_sanity(
        Inspector(runs_dir),
        Run.open(Path(run_path)),
        epoch=epoch,
        image=image,
        method=method,
        target=target,
        layer=layer,
        report=report,
        x=torch.from_numpy(picture),
    )
    report(1.0, "done")
    return answer


def _no_bars() -> None:
    """No progress bars in a job's process: its progress goes to the job (the page), not to the
    server's terminal. tqdm's lock becomes a thread lock: its default is a named semaphore,
    which a cancelled (terminated) process leaves behind and multiprocessing's resource
    tracker then warns of ("leaked semaphore objects") when the server stops."""
    os.environ["CONVLENS_QUIET"] = "1"
    from tqdm import tqdm

    tqdm.set_lock(threading.RLock())


def child(conn: multiprocessing.connection.Connection, target: Any, args: tuple[Any, ...]) -> None:
    """The worker process's side: run ``target(report, *args)`` (a function, or its
    ``"module:function"`` name) and send its progress, then its answer or its exception, back
    over ``conn``."""

    def report(progress: float, message: str) -> None:
        conn.send(("progress", float(progress), str(message)))

    _no_bars()
    try:
        if isinstance(target, str):
            module, _, name = target.partition(":")
            target = getattr(importlib.import_module(module), name)
        result = target(report, *args)
    except BaseException as exc:  # every failure goes back to the job, which says why
        try:
            pickle.loads(pickle.dumps(exc))
            conn.send(("error", exc))
        except Exception:  # an exception that does not survive pickling
            conn.send(("error", RuntimeError(f"{type(exc).__name__}: {exc}")))
    else:
        conn.send(("done", result))
    finally:
        conn.close()
