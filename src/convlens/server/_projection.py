"""Projection view (the probe set seen by one layer) and the guided tour."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from convlens import views
from convlens.store import Run

from ._deps import InspectorDep, RunDep
from ._errors import errors
from ._jobs_api import JobsDep, projection_key
from ._params import DEFAULT_PROJECTION, LayerName, MaxPoints, ProjectionMethod
from ._schemas import Projection, Tour, encode

router = APIRouter(tags=["projection"])


@router.get(
    "/api/runs/{run}/projection", response_model=Projection, responses=errors(400, 404, 409)
)
def projection(
    insp: InspectorDep,
    jobs: JobsDep,
    run: RunDep,
    layer: LayerName,
    method: ProjectionMethod = DEFAULT_PROJECTION,
    max_points: MaxPoints = 2000,
    epoch: Annotated[int | None, Query(ge=0)] = None,
) -> dict:
    """The probe images placed in 2-D by what ``layer`` sees (sampled evenly per class).

    t-SNE and UMAP take a while: ``POST .../projection/job`` runs it in the background with
    progress, after which this answers at once."""
    done = jobs.done(projection_key(run, layer, method.value, max_points, epoch))
    if done is not None:
        return encode(done.result)
    return encode(
        views.projection(
            insp, run, epoch=epoch, layer=layer, method=method.value, max_points=max_points
        )
    )


tour_router = APIRouter(tags=["tour"])


@tour_router.get("/api/tour", response_model=Tour, responses=errors(404))
def tour(insp: InspectorDep, run: Annotated[str | None, Query(max_length=200)] = None) -> dict:
    """The first-visit tour, built from ``run`` (default: the newest run)."""
    chosen: Run | None
    if run:
        chosen = insp.run(run)
    else:
        runs = insp.runs()
        chosen = next((r for r in runs if r.epochs), runs[0] if runs else None)
    return views.tour(insp, chosen)
