"""Network-graph view: the bundled 3-D graph of a run's model (issue 4), made on first request."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from convlens import views

from ._deps import CatalogueDep, RunDep
from ._errors import OCTET, PNG, errors
from ._schemas import GraphInfo

router = APIRouter(tags=["graph"])

Epoch = Annotated[int | None, Query(ge=0, description="default: the last checkpoint")]


@router.get("/api/runs/{run}/graph", response_model=GraphInfo, responses=errors(400, 404, 409))
def graph(catalogue: CatalogueDep, run: RunDep, epoch: Epoch = None) -> dict[str, Any]:
    """The graph's description, with the address of its arrays. Made and stored on first use
    (half a minute for a large model): ``POST .../graph/job`` makes it in the background with
    progress first."""
    return views.graph_info(catalogue, run, epoch)


@router.get(
    "/api/runs/{run}/graph.safetensors",
    response_class=Response,
    responses={**errors(400, 404, 409), **OCTET},
)
def graph_file(catalogue: CatalogueDep, run: RunDep, epoch: Epoch = None) -> Response:
    """The graph file itself (safetensors; see docs/graph-format.md)."""
    data = views.graph_file(catalogue, run, epoch)
    return Response(data, media_type="application/octet-stream")


@router.get(
    "/api/runs/{run}/graph.png", response_class=Response, responses={**errors(400, 404, 409), **PNG}
)
def graph_png(catalogue: CatalogueDep, run: RunDep, epoch: Epoch = None) -> Response:
    """The static picture of the graph."""
    return Response(views.graph_png(catalogue, run, epoch), media_type="image/png")
