"""Request dependencies: the app's :class:`Inspector`, its run catalogue, and the run a path
names."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from convlens.pipelines import RunCatalogue
from convlens.store import Run
from convlens.views import Inspector


def get_inspector(request: Request) -> Inspector:
    return request.app.state.inspector  # type: ignore[no-any-return]


InspectorDep = Annotated[Inspector, Depends(get_inspector)]


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
