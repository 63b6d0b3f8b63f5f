"""Training-timeline view: the aligned embedding of a layer over all epochs, and one point."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from convlens import views

from ._deps import InspectorDep, RunDep
from ._schemas import PointDetail, Timeline, encode

router = APIRouter(tags=["timeline"])


@router.get("/api/runs/{run}/timeline", response_model=Timeline)
def timeline(
    insp: InspectorDep,
    run: RunDep,
    layer: Annotated[str | None, Query(max_length=200)] = None,
) -> dict:
    """Every epoch's 2-D embedding of ``layer`` (made and stored on first use)."""
    return encode(views.timeline(insp, run, layer))


@router.get("/api/runs/{run}/points/{index}", response_model=PointDetail)
def point(insp: InspectorDep, run: RunDep, index: int) -> dict:
    """One probe image: its class and the predicted probabilities at every epoch."""
    return encode(views.point(insp, run, index))
