"""Training-timeline view: the aligned embedding of a layer over all epochs, and one point."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from convlens import views

from ._binary import BINARY_RESPONSE, AcceptsGzip, Quant, WantsBinary, binary_response
from ._deps import InspectorDep, RunDep
from ._errors import errors
from ._schemas import PointDetail, Timeline, encode

router = APIRouter(tags=["timeline"])


@router.get(
    "/api/runs/{run}/timeline",
    response_model=Timeline,
    responses={**errors(400, 404, 409), **BINARY_RESPONSE},
)
def timeline(
    insp: InspectorDep,
    run: RunDep,
    binary: WantsBinary,
    gzip: AcceptsGzip,
    layer: Annotated[str | None, Query(max_length=200)] = None,
    start: Annotated[int, Query(ge=0, description="first epoch (index into epochs)")] = 0,
    stop: Annotated[
        int | None, Query(ge=1, description="end of the chunk (index, exclusive; default: all)")
    ] = None,
) -> Any:
    """Every epoch's 2-D embedding of ``layer`` (made and stored on first use), or the chunk of
    epochs ``start``..``stop`` (indices): a page loads a long run in chunks and draws the first
    epochs while the rest arrive. ``labels`` and ``split`` come with the chunk at 0.

    Binary answer: ``coords`` in 16 bits over the chunk's range (its width / 65535) as differences
    between epochs, ``predicted`` as uint8 differences, gzip-compressed where accepted."""
    answer = views.timeline(insp, run, layer, start, stop)
    if binary:
        return binary_response(
            answer, {"coords": Quant(bits=16, delta=True)}, delta=("predicted",), compress=gzip
        )
    return encode(answer)


@router.get(
    "/api/runs/{run}/points/{index}", response_model=PointDetail, responses=errors(404, 409)
)
def point(insp: InspectorDep, run: RunDep, index: int) -> dict:
    """One probe image: its class and the predicted probabilities at every epoch."""
    return encode(views.point(insp, run, index))
