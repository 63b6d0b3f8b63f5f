"""What a job's worker process runs (see ``_worker``): module-level, so it pickles by name.

Imported once by the fork server, with the modules the work needs, so each job's process
starts with them loaded (scikit-learn alone takes seconds to import on a busy machine).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np  # noqa: F401 - loaded once in the fork server
import scipy.sparse  # noqa: F401

from convlens import views
from convlens.analyze.embed import _fuzzy_graph, _neighbours, _project  # noqa: F401
from convlens.pipelines import RunCatalogue
from convlens.store import Run

with contextlib.suppress(ImportError):  # t-SNE's module: the slowest import of all
    import sklearn.manifold  # noqa: F401

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
    """A projection view's answer, encoded for the wire."""
    from ._schemas import encode

    insp = views.Inspector(runs_dir)
    answer = views.projection(
        insp,
        Run.open(Path(run_path)),
        epoch=epoch,
        layer=layer,
        method=method,
        max_points=max_points,
        report=report,
    )
    report(1.0, "done")
    return encode(answer)


def graph(report: Report, runs_dir: str, run_path: str, epoch: int) -> int:
    """Lay out and store the run's network graph of ``epoch`` (the parent holds the run's
    write lock meanwhile)."""
    views.graph_info(RunCatalogue(Path(runs_dir)), Run.open(Path(run_path)), epoch, report=report)
    return epoch
