"""``GET /api/runs/{run}/openapi.json``: the app's OpenAPI document narrowed to one run.

Layer names, classes and channel counts belong to a run, so the app's own document can only say
"a layer's name". This one lists, per view, the layers that view accepts for the run (from
``views.accepted``, which reads the checks the views make), the run's classes, and the channel
range. It covers the routes under ``/api/runs/{run}`` and is kept per run until its manifest
changes. A plain ``def`` route: the model it may need is built in a worker thread, never on the
event loop.
"""

from __future__ import annotations

import copy
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from convlens import views
from convlens.store import Run

from ._deps import InspectorDep, RunDep
from ._errors import errors

router = APIRouter(tags=["runs"])

PREFIX = "/api/runs/{run}"

LAYERS: dict[str, str] = {
    "/timeline": "recorded",
    "/projection": "projection",
    "/featuremaps": "explorer",
    "/top": "explorer",
    "/weights": "weights",
    "/compute": "compute",
    "/classgrads": "classgrads",
    "/attributions": "maps",
    "/attributions/check": "maps",
    "/attributions/sanity": "maps",
}
"""Which of ``views.accepted``'s layer lists each route's ``layer`` takes. A job's route takes
any layer and class: the job checks them, and a wrong one makes it fail (``error_status``)."""

JOB_CHECKS = "checked by the job: a wrong one makes the job fail, saying why (error_status)"

CHANNELS: dict[str, str] = {"/top": "explorer", "/compute": "compute"}
"""Which channel range each route's ``channel`` takes."""

WHY_LAYERS: dict[str, str] = {
    "recorded": "a layer the run recorded",
    "projection": "a layer the run recorded, or one the model computes",
    "explorer": "a layer of the model run once per picture",
    "weights": "a layer with weights",
    "compute": "a convolution or linear layer",
    "classgrads": "a layer with a weight parameter",
    "maps": "a layer that gives maps (Grad-CAM needs one; the other methods ignore it)",
}
CLASS_PARAMS = ("target", "reference")


def _narrow(schema: dict[str, Any], values: list[Any], what: str) -> dict[str, Any]:
    """``schema`` with its string (or its non-null branch) replaced by an enum of ``values``."""
    keep: dict[str, Any] = {k: schema[k] for k in ("title", "default") if k in schema}
    nullable = any(branch.get("type") == "null" for branch in schema.get("anyOf", []))
    if not nullable:
        return {**keep, "type": "string", "enum": values, "description": what}
    # an optional one also takes "" (the server reads it as left out: its default)
    enum = {"type": "string", "enum": [*values, ""]}
    return {**keep, "anyOf": [enum, {"type": "null"}], "description": f"{what}; empty: the default"}


def _param(param: dict[str, Any], path: str, run: Run, acc: dict[str, Any]) -> None:
    name, schema = param["name"], param.get("schema", {})
    if path.endswith("/job") and name in ("layer", *CLASS_PARAMS):
        param["schema"] = {**schema, "description": JOB_CHECKS}
    elif param.get("in") == "path" and name == "run":
        param["schema"] = _narrow(schema, [run.run_id], "this run")
    elif name == "layer" and acc["layers"].get(LAYERS.get(path, "")):
        view = LAYERS[path]
        param["schema"] = _narrow(schema, acc["layers"][view], WHY_LAYERS[view])
    elif name == "channel" and acc["channels"].get(CHANNELS.get(path, "")):
        top = acc["channels"][CHANNELS[path]] - 1
        what = f"0 to {top} (the layer's own count may be lower)"
        param["schema"] = {**schema, "minimum": 0, "maximum": top, "description": what}
    elif name == "start" and path == "/timeline" and run.epochs:
        last = len(run.epochs) - 1
        what = f"first epoch, 0 to {last} (index into epochs)"
        param["schema"] = {**schema, "maximum": last, "description": what}
    elif name in CLASS_PARAMS and acc["classes"]:
        classes = acc["classes"]
        values = [*classes, *(str(i) for i in range(len(classes)))]
        param["schema"] = _narrow(schema, values, "a class, by name or number")
    else:
        return
    param["description"] = param["schema"]["description"]


def run_document(app_doc: dict[str, Any], run: Run, acc: dict[str, Any]) -> dict[str, Any]:
    """The routes of ``app_doc`` under ``/api/runs/{run}``, their parameters narrowed to
    ``run`` and what ``acc`` (``views.accepted``) says its views accept."""
    doc = copy.deepcopy(app_doc)
    doc["info"]["title"] = f"ConvLens: run {run.run_id}"
    doc["paths"] = {p: ops for p, ops in doc["paths"].items() if p.startswith(PREFIX + "/")}
    for path, ops in doc["paths"].items():
        for op in ops.values():
            for param in op.get("parameters", []):
                _param(param, path[len(PREFIX) :], run, acc)
    return doc


def _stamp(run: Run) -> int:
    return (run.path / "manifest.json").stat().st_mtime_ns


@router.get(
    "/api/runs/{run}/openapi.json",
    response_class=JSONResponse,
    responses={
        **errors(404),
        200: {"content": {"application/json": {"schema": {"type": "object"}}}},
    },
)
def run_openapi(request: Request, insp: InspectorDep, run: RunDep) -> JSONResponse:
    """This API's OpenAPI document narrowed to one run: the run's name, and per view the
    layers it accepts (class gradients: layers with weights; feature maps: the model's layers;
    timeline: the recorded layers), the run's classes and the channel ranges."""
    cache: dict[str, tuple[int, dict[str, Any]]] = request.app.state.run_documents
    stamp = _stamp(run)
    kept = cache.get(run.run_id)
    if kept is None or kept[0] != stamp:
        doc = run_document(request.app.openapi(), run, views.accepted(insp, run))
        cache[run.run_id] = kept = (stamp, doc)  # one assignment: safe between threads
    return JSONResponse(kept[1])
