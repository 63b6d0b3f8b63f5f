"""Request dependencies: the app's :class:`Inspector` and the run a path names."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from convlens.pipelines import Inspector
from convlens.store import Run


def get_inspector(request: Request) -> Inspector:
    return request.app.state.inspector  # type: ignore[no-any-return]


InspectorDep = Annotated[Inspector, Depends(get_inspector)]


def get_run(
    insp: InspectorDep,
    run_id: Annotated[str, Path(alias="run", description="a run folder name")],
) -> Run:
    return insp.run(run_id)


RunDep = Annotated[Run, Depends(get_run)]
