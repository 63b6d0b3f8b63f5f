"""Query parameters shared by several routes, typed as narrowly as the views accept them."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

from fastapi import Query

from convlens.analyze import PROJECTIONS

ProjectionName = Enum(  # type: ignore[misc]
    "ProjectionName", {name: name for name in PROJECTIONS.names()}, type=str
)

LayerName = Annotated[str, Query(min_length=1, max_length=200, description="a layer's name")]
ProjectionMethod = Annotated[ProjectionName, Query(description="how to place the points in 2-D")]
ImageRef = Annotated[
    str,
    Query(
        pattern=r"^(probe:[0-9]{1,9}|upload:[0-9a-f]{16})$",
        description="probe:N for a probe picture of the run, or upload:ID from POST /api/uploads",
    ),
]
MaxPoints = Annotated[int, Query(ge=10, le=100_000)]
DEFAULT_PROJECTION = ProjectionName("pca")
