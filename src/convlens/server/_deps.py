"""Request dependencies: the app's :class:`Inspector`, its run catalogue, and the run a path
names.

Every route that asks for the :class:`Inspector` runs the model or decodes pictures; at most
:data:`MODEL_SLOTS` of them run at once, the others wait their turn on the event loop (not in a
thread). So a crowd of model requests never holds all the request threads, nor has dozens of
threads fighting for the GIL, and the cheap routes (they ask for the catalogue only) answer
meanwhile.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import anyio
from fastapi import Depends, Path, Request

from convlens.pipelines import RunCatalogue
from convlens.store import Run
from convlens.views import Inspector

MODEL_SLOTS = 4
"""Requests that use the model (or decode an upload) running at once, per app."""


async def get_inspector(request: Request) -> AsyncIterator[Inspector]:
    """The app's inspector, holding one of the app's model slots for the request."""
    state = request.app.state
    slots = getattr(state, "model_slots", None)
    if slots is None:  # made on the event loop, on the first model request
        slots = state.model_slots = anyio.CapacityLimiter(MODEL_SLOTS)
    async with slots:
        yield state.inspector


InspectorDep = Annotated[Inspector, Depends(get_inspector)]


def get_inspector_now(request: Request) -> Inspector:
    """The app's inspector without a model slot: for routes that stream or store an upload (a
    slow client must not hold a slot while its bytes arrive)."""
    return request.app.state.inspector  # type: ignore[no-any-return]


InspectorNowDep = Annotated[Inspector, Depends(get_inspector_now)]


def get_catalogue(request: Request) -> RunCatalogue:
    """The runs and their probe sets, without models or uploads (never imports torch)."""
    return request.app.state.inspector  # type: ignore[no-any-return]


CatalogueDep = Annotated[RunCatalogue, Depends(get_catalogue)]


def get_run(
    catalogue: CatalogueDep,
    run_id: Annotated[str, Path(alias="run", description="a run folder name")],
) -> Run:
    return catalogue.run(run_id)


RunDep = Annotated[Run, Depends(get_run)]
