"""Class-gradient view: which filters a class score depends on, for three classes (two for a
two-class model)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from convlens import views

from ._deps import InspectorDep, RunDep
from ._errors import errors
from ._schemas import ClassGradients

router = APIRouter(tags=["classgrads"])


@router.get(
    "/api/runs/{run}/classgrads", response_model=ClassGradients, responses=errors(400, 404, 409)
)
def classgrads(
    insp: InspectorDep,
    run: RunDep,
    layer: Annotated[str, Query(max_length=200)],
    reference: Annotated[str | None, Query(max_length=100)] = None,
    epoch: Annotated[int | None, Query(ge=0)] = None,
) -> dict:
    """Per-filter gradient norms for the reference, the most similar and a dissimilar class."""
    return views.classgrads(insp, run, epoch=epoch, layer=layer, reference=reference)
