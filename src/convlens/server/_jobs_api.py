"""Background jobs over HTTP: start the network graph, a projection or an attribution sanity
check, watch, cancel.

``POST /api/runs/{run}/graph/job``, ``POST /api/runs/{run}/projection/job`` and ``POST
/api/runs/{run}/attributions/sanity/job`` start the work (or join the same work already going)
and answer ``202`` with the job; ``GET /api/jobs/{id}`` says
``{state, progress, message}``; ``DELETE /api/jobs/{id}`` cancels. Once ``done``, the ordinary
``GET`` of the view answers at once (the graph is stored; a projection or a sanity check is
kept by its job).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from convlens.pipelines import RunCatalogue
from convlens.store import Run

from ._deps import CatalogueDep, InspectorDep, RunDep
from ._errors import errors
from ._jobs import Job, JobRegistry
from ._params import DEFAULT_PROJECTION, LayerName, MaxPoints, ProjectionMethod
from ._schemas import JobStatus

router = APIRouter(tags=["jobs"])

JobId = Annotated[str, Path(pattern="^[0-9a-f]{16}$", description="a job's id")]


def get_jobs(request: Request) -> JobRegistry:
    return request.app.state.jobs  # type: ignore[no-any-return]


def _stamp(run: Run) -> int:
    """Changes whenever the run's manifest does (a new epoch, a new artifact)."""
    return (run.path / "manifest.json").stat().st_mtime_ns


def projection_key(
    run: Run, layer: str, method: str, max_points: int, epoch: int | None
) -> Hashable:
    return ("projection", str(run.path), _stamp(run), layer, method, max_points, epoch)


def sanity_key(
    run: Run,
    epoch: int | None,
    image: str,
    method: str,
    target: str | None,
    layer: str | None,
) -> Hashable:
    return ("sanity", str(run.path), _stamp(run), epoch, image, method, target, layer)


def start_sanity(
    jobs: JobRegistry,
    insp: Any,
    run: Run,
    epoch: int | None,
    image: str,
    method: str,
    target: str | None,
    layer: str | None,
) -> Job:
    """The attribution sanity check: the map, then each scrambled layer a step, in a worker
    process (the picture is cut here, where the uploads are). ``method`` is one of the names
    already: the route's enum refuses any other (422), and the worker's view checks it again."""
    key = sanity_key(run, epoch, image, method, target, layer)
    x, _ = insp.tensor(run, image)
    return jobs.start_process(
        "sanity",
        key,
        "convlens.views._work:sanity",
        str(insp.runs_dir),
        str(run.path),
        epoch,
        image,
        method,
        target,
        layer,
        x.numpy(),
    )


def graph_key(run: Run, epoch: int) -> Hashable:
    return ("graph", str(run.path), epoch)


def start_projection(
    jobs: JobRegistry,
    insp: Any,
    run: Run,
    layer: str,
    method: str,
    max_points: int,
    epoch: int | None,
) -> Job:
    """The projection job: the method's real steps (PCA one, t-SNE and UMAP their neighbours
    then their optimisation steps), in a worker process."""
    return jobs.start_process(
        "projection",
        projection_key(run, layer, method, max_points, epoch),
        "convlens.views._work:projection",
        str(insp.runs_dir),
        str(run.path),
        layer,
        method,
        max_points,
        epoch,
    )


def start_graph(jobs: JobRegistry, catalogue: RunCatalogue, run: Run, epoch: int | None) -> Job:
    """The graph job: ``graph_run``'s real steps, in a worker process, while this server holds
    the run's write lock (its other writers wait; a cancelled job leaves no temporaries)."""
    epoch = catalogue.epoch(run, epoch)
    return jobs.start_process(
        "graph",
        graph_key(run, epoch),
        "convlens.views._work:graph",
        str(catalogue.runs_dir),
        str(run.path),
        epoch,
        lock=catalogue.writing(run),
        clean=[run.path],
    )


JobsDep = Annotated[JobRegistry, Depends(get_jobs)]
Epoch = Annotated[int | None, Query(ge=0, description="default: the last checkpoint")]


@router.post(
    "/api/runs/{run}/graph/job",
    response_model=JobStatus,
    status_code=202,
    responses=errors(400, 403, 404, 409),
)
def graph_job(jobs: JobsDep, catalogue: CatalogueDep, run: RunDep, epoch: Epoch = None) -> dict:
    """Start laying out the network graph (or join the job already doing it); when the job is
    ``done``, ``GET /api/runs/{run}/graph`` answers at once."""
    return start_graph(jobs, catalogue, run, epoch).status()


@router.post(
    "/api/runs/{run}/projection/job",
    response_model=JobStatus,
    status_code=202,
    responses=errors(400, 403, 404, 409),
)
def projection_job(
    jobs: JobsDep,
    insp: InspectorDep,
    run: RunDep,
    layer: LayerName,
    method: ProjectionMethod = DEFAULT_PROJECTION,
    max_points: MaxPoints = 2000,
    epoch: Epoch = None,
) -> dict:
    """Start a projection (or join the same one already going); when the job is ``done``,
    ``GET /api/runs/{run}/projection`` with the same parameters answers at once."""
    return start_projection(jobs, insp, run, layer, method.value, max_points, epoch).status()


@router.get("/api/jobs/{job_id}", response_model=JobStatus, responses=errors(403, 404))
async def job_status(jobs: JobsDep, job_id: JobId) -> dict:
    """How far a job is: ``state``, ``progress`` (0-1) and what it is doing."""
    return jobs.get(job_id).status()


@router.delete("/api/jobs/{job_id}", response_model=JobStatus, responses=errors(403, 404))
async def cancel_job(jobs: JobsDep, job_id: JobId) -> dict:
    """Cancel a job: it stops at its next step and stores nothing (a finished job stays)."""
    return jobs.cancel(job_id).status()
