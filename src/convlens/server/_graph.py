"""Network-graph view: the bundled 3-D graph of a run's model (issue 4), made on first request."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from convlens.pipelines import Inspector, graph_path, graph_run
from convlens.store import Run

from ._deps import InspectorDep, RunDep
from ._schemas import GraphInfo

router = APIRouter(tags=["graph"])

Epoch = Annotated[int | None, Query(ge=0, description="default: the last checkpoint")]


def _ensure(insp: Inspector, run: Run, epoch: int | None) -> tuple[int, dict[str, Any]]:
    """The stored graph's epoch and description, laying the graph out first when needed."""
    epoch = insp.epoch(run, epoch)
    got = run.arrays(graph_path(epoch))
    if got is None:
        with insp.lock:
            graph_run(run.path, epoch=epoch)
        got = Run.open(run.path).arrays(graph_path(epoch))
    if got is None:  # pragma: no cover - graph_run always writes it
        raise RuntimeError("the graph was not stored")
    return epoch, got[1]


def _explanation(info: dict[str, Any]) -> str:
    counts = info.get("counts", {})
    n_layers = len(info.get("layers", []))
    method = (info.get("importance") or {}).get("method")
    colour = (
        "Colour shows which kind of picture a unit matters most for, and faint ones matter little."
        if method in ("bn_gamma", "taylor")
        else "Faint units matter little. This importance does not tell the kinds of picture "
        "apart, so all share one colour; convlens importance with --method taylor adds them."
    )
    return (
        f"Each dot is one unit of the network: a neuron or a filter. The {n_layers} slices are "
        f"its layers, input first. The {counts.get('edges', 0)} lines show how the units feed "
        f"each other; lines that go the same way are bundled. {colour} Click a dot to see its "
        "numbers."
    )


@router.get("/api/runs/{run}/graph", response_model=GraphInfo)
def graph(insp: InspectorDep, run: RunDep, epoch: Epoch = None) -> dict[str, Any]:
    """The graph's description (made and stored on first use: a few seconds), with the
    address of its arrays."""
    epoch, info = _ensure(insp, run, epoch)
    return {
        "epoch": epoch,
        "url": f"/api/runs/{run.run_id}/graph.safetensors?epoch={epoch}",
        "picture": f"/api/runs/{run.run_id}/graph.png?epoch={epoch}",
        "description": info,
        "explanation": _explanation(info),
    }


@router.get("/api/runs/{run}/graph.safetensors", response_class=Response)
def graph_file(insp: InspectorDep, run: RunDep, epoch: Epoch = None) -> Response:
    """The graph file itself (safetensors; see docs/graph-format.md)."""
    epoch, _ = _ensure(insp, run, epoch)
    data = (run.path / graph_path(epoch)).read_bytes()
    return Response(data, media_type="application/octet-stream")


@router.get("/api/runs/{run}/graph.png", response_class=Response)
def graph_png(insp: InspectorDep, run: RunDep, epoch: Epoch = None) -> Response:
    """The static picture of the graph."""
    epoch, _ = _ensure(insp, run, epoch)
    png = run.media_dir() / f"graph-{epoch:04d}.png"
    return Response(png.read_bytes(), media_type="image/png")
