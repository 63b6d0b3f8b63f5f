"""Attribution view: why the model gave its answer (Captum methods), and how far to trust it.

The map comes first (``/attributions``); the page then asks for its deletion/insertion check
(``/attributions/check``) and, on a click, for the scrambled-weights check: the page starts it as
a background job (``POST /attributions/sanity/job``, each scrambled layer a step, cancellable),
then reads ``/attributions/sanity``, which answers from the finished job (or, for an API user
who starts no job, computes it in the request). All are plain ``def`` routes, so FastAPI runs
them in its thread pool, never on the event loop.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from convlens import views
from convlens.analyze import ATTRIBUTION_METHODS

from ._deps import InspectorDep, RunDep
from ._errors import errors
from ._jobs_api import JobsDep, sanity_key, start_sanity
from ._params import AttributionMethod, ImageRef
from ._schemas import Attribution, AttributionCheck, AttributionSanity, JobStatus, Method, encode

router = APIRouter(tags=["attributions"])

Image = ImageRef
Target = Annotated[str | None, Query(max_length=100)]
Layer = Annotated[str | None, Query(max_length=200)]
Epoch = Annotated[int | None, Query(ge=0)]


@dataclass(frozen=True)
class _Map:
    """Which map a request means (the same five parameters on every attribution route)."""

    image: str
    method: str
    target: str | None
    layer: str | None
    epoch: int | None

    def kwargs(self) -> dict[str, Any]:
        return asdict(self)


def _map_query(
    image: Image = "probe:0",
    method: AttributionMethod = "gradcam",
    target: Target = None,
    layer: Layer = None,
    epoch: Epoch = None,
) -> _Map:
    return _Map(image, method, target, layer, epoch)


MapQuery = Annotated[_Map, Depends(_map_query)]


@router.get("/api/methods", response_model=list[Method], responses=errors())
async def methods() -> list[dict]:
    """The attribution methods there are (from the torch-free name list: answered on the event
    loop without loading torch)."""
    return [{"name": name, "help": line} for name, line in ATTRIBUTION_METHODS.items()]


@router.get(
    "/api/runs/{run}/attributions", response_model=Attribution, responses=errors(400, 404, 409, 415)
)
def attributions(
    insp: InspectorDep,
    run: RunDep,
    q: MapQuery,
) -> dict:
    """An attribution map for ``target`` (default: the predicted class) and the answer."""
    return encode(views.attributions(insp, run, **q.kwargs()))


@router.get(
    "/api/runs/{run}/attributions/check",
    response_model=AttributionCheck,
    responses=errors(400, 404, 409, 415),
)
def attribution_check(
    insp: InspectorDep,
    run: RunDep,
    q: MapQuery,
) -> Any:
    """Deletion and insertion curves of the map beside random pixel orders, with a verdict."""
    return encode(views.attribution_check(insp, run, **q.kwargs()))


@router.get(
    "/api/runs/{run}/attributions/sanity",
    response_model=AttributionSanity,
    responses=errors(400, 404, 409, 415),
)
def attribution_sanity(
    insp: InspectorDep,
    jobs: JobsDep,
    run: RunDep,
    q: MapQuery,
) -> Any:
    """The map with the top layers' weights scrambled, cascading from the output (Adebayo et
    al. 2018, on a copy of the model): how similar it stays.

    Takes seconds on a large model: ``POST .../attributions/sanity/job`` runs it in the
    background with progress, after which this answers at once with the job's result."""
    done = jobs.done(sanity_key(run, q.epoch, q.image, q.method, q.target, q.layer))
    if done is not None:
        return encode(done.result)
    return encode(views.attribution_sanity(insp, run, **q.kwargs()))


@router.post(
    "/api/runs/{run}/attributions/sanity/job",
    response_model=JobStatus,
    status_code=202,
    responses=errors(400, 403, 404, 409, 415),
)
def attribution_sanity_job(
    insp: InspectorDep,
    jobs: JobsDep,
    run: RunDep,
    q: MapQuery,
) -> dict:
    """Start the sanity check (or join the same one already going): the map, then each
    scrambled layer, as steps of the job. When the job is ``done``, ``GET
    .../attributions/sanity`` with the same parameters answers at once; a failed job says why
    (``error_status``: 400 a layer it cannot explain, 404 no such picture or class, 409 the run
    cannot rebuild its model)."""
    return start_sanity(jobs, insp, run, q.epoch, q.image, q.method, q.target, q.layer).status()
