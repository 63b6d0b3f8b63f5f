"""Query parameters shared by several routes, typed as narrowly as the views accept them.

Names from a registry are enums in the OpenAPI document (read from the registries' torch-free
name lists: the server must not import torch at start)."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import Query

from convlens.analyze import ATTRIBUTION_METHODS, CHANNEL_ORDER_NAMES, PROJECTIONS

if TYPE_CHECKING:
    AttributionName = str
    OrderName = str
else:  # a Literal built from the registries' names: the handler gets a plain str
    AttributionName = Literal[tuple(ATTRIBUTION_METHODS)]
    OrderName = Literal[tuple(CHANNEL_ORDER_NAMES)]

ProjectionName = Enum(  # type: ignore[misc]
    "ProjectionName", {name: name for name in PROJECTIONS.names()}, type=str
)

LayerName = Annotated[str, Query(min_length=1, max_length=200, description="a layer's name")]
ProjectionMethod = Annotated[ProjectionName, Query(description="how to place the points in 2-D")]
AttributionMethod = Annotated[AttributionName, Query(description="how to make the map")]
ChannelOrder = Annotated[OrderName, Query(description="how to order the maps")]
ImageRef = Annotated[
    str,
    Query(
        pattern=r"^(probe:[0-9]{1,9}|upload:[0-9a-f]{16})$",
        description="probe:N for a probe picture of the run, or upload:ID from POST /api/uploads",
    ),
]
MaxPoints = Annotated[int, Query(ge=10, le=100_000)]
DEFAULT_PROJECTION = ProjectionName("pca")
