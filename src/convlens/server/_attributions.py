"""Attribution view: why the model gave its answer (Captum methods), with a quality score."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from convlens import views

from ._deps import InspectorDep, RunDep
from ._errors import errors
from ._params import ImageRef
from ._schemas import Attribution, Method, encode

router = APIRouter(tags=["attributions"])


@router.get("/api/methods", response_model=list[Method], responses=errors())
def methods() -> list[dict]:
    """The attribution methods there are."""
    return views.methods()


@router.get(
    "/api/runs/{run}/attributions", response_model=Attribution, responses=errors(400, 404, 409, 415)
)
def attributions(
    insp: InspectorDep,
    run: RunDep,
    image: ImageRef = "probe:0",
    method: Annotated[str, Query(max_length=40)] = "gradcam",
    target: Annotated[str | None, Query(max_length=100)] = None,
    layer: Annotated[str | None, Query(max_length=200)] = None,
    epoch: Annotated[int | None, Query(ge=0)] = None,
) -> dict:
    """An attribution map for ``target`` (default: the predicted class), with deletion and
    insertion scores."""
    return encode(
        views.attributions(
            insp, run, epoch=epoch, image=image, method=method, target=target, layer=layer
        )
    )
