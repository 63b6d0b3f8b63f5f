"""Projection view (the probe set seen by one layer) and the guided tour."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from convlens import views
from convlens.store import Run

from ._deps import InspectorDep, RunDep
from ._schemas import Projection, Tour, encode

router = APIRouter(tags=["projection"])


@router.get("/api/runs/{run}/projection", response_model=Projection)
def projection(
    insp: InspectorDep,
    run: RunDep,
    layer: Annotated[str, Query(max_length=200)],
    method: Annotated[str, Query(max_length=20)] = "pca",
    max_points: Annotated[int, Query(ge=10, le=100_000)] = 2000,
    epoch: Annotated[int | None, Query(ge=0)] = None,
) -> dict:
    """The probe images placed in 2-D by what ``layer`` sees (sampled evenly per class)."""
    return encode(
        views.projection(insp, run, epoch=epoch, layer=layer, method=method, max_points=max_points)
    )


tour_router = APIRouter(tags=["tour"])


@tour_router.get("/api/tour", response_model=Tour)
def tour(insp: InspectorDep, run: Annotated[str | None, Query(max_length=200)] = None) -> dict:
    """The first-visit tour, built from ``run`` (default: the newest run)."""
    chosen: Run | None
    if run:
        chosen = insp.run(run)
    else:
        runs = insp.runs()
        chosen = next((r for r in runs if r.epochs), runs[0] if runs else None)
    return views.tour(insp, chosen)
