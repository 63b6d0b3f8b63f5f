"""What a layer computes: one conv filter sliding over the layer's real input, or one linear
unit as a weighted sum (``views.compute``)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import Field

from convlens import views

from ._deps import InspectorDep, RunDep
from ._errors import errors
from ._params import ImageRef
from ._schemas import _Model

router = APIRouter(tags=["explorer"])


class ComputeStage(_Model):
    name: str = Field(description="the module's name (the layer itself first)")
    type: str
    shape: list[int] = Field(description="the map's full size (rows, columns); [1, 1] for a unit")
    step: int = Field(description="every step-th point is sent: 1 unless the map was thinned")
    values: list[list[float]]
    explanation: str


class ComputeInput(_Model):
    channel: int = Field(description="the input map's number in the layer's input")
    weights: list[list[float]] = Field(description="the filter's weights over this input map")
    values: list[list[float]] = Field(
        description="the input map over the window region, padding included (padded points "
        "lie outside input_shape when counted from input_origin)"
    )
    share: float = Field(description="this map's share of what all input maps add, 0..1")


class ComputeRest(_Model):
    count: int = Field(description="input maps (or inputs) not shown one by one")
    values: list[list[float]] | None = Field(
        default=None, description="conv: what they add at each output point of the region"
    )
    sum: float | None = Field(default=None, description="linear: what they add together")


class ComputeRegion(_Model):
    row: int
    col: int
    rows: int
    cols: int


class ComputeTerm(_Model):
    index: int
    label: str
    input: float
    weight: float
    product: float


class LayerCompute(_Model):
    layer: str
    epoch: int
    image: str
    channel: int
    kind: Literal["conv", "linear"]
    type: str
    bias: float
    rest: ComputeRest | None
    stages: list[ComputeStage] = Field(description="the map before and after the next steps")
    explanation: str
    # conv only
    kernel: list[int] | None = None
    stride: list[int] | None = None
    dilation: list[int] | None = None
    padding: list[int] | None = Field(default=None, description="rows, columns added on top/left")
    groups: int | None = None
    in_channels: int | None = None
    group_inputs: int | None = Field(default=None, description="input maps one filter reads")
    input_shape: list[int] | None = None
    out_shape: list[int] | None = None
    region: ComputeRegion | None = Field(
        default=None, description="the part of the output map animated (all of it when small)"
    )
    input_origin: list[int] | None = Field(
        default=None, description="input row, column of the first sent value (negative: padding)"
    )
    inputs: list[ComputeInput] | None = None
    output: list[list[float]] | None = Field(default=None, description="the map over the region")
    # linear only
    in_features: int | None = None
    unit_name: str | None = None
    terms: list[ComputeTerm] | None = None
    value: float | None = None


@router.get("/api/runs/{run}/compute", response_model=LayerCompute, responses=errors(400, 404, 409))
def compute(
    insp: InspectorDep,
    run: RunDep,
    layer: Annotated[str, Query(max_length=200, description="a Conv2d or Linear layer")],
    channel: Annotated[int, Query(ge=0, description="the output map (conv) or unit (linear)")],
    image: ImageRef = "probe:0",
    epoch: Annotated[int | None, Query(ge=0, description="default: the last checkpoint")] = None,
) -> dict:
    """How one map of a conv layer (or one unit of a linear layer) is computed from the layer's
    real input for one picture: the input maps that add the most, the filter's weights, the
    output, and the map after the cut-off and shrink steps that follow.

    400: not a conv or linear layer, a bad image reference, or a layer whose output is not the
    plain formula's; 404: no such run, epoch, layer, channel or upload; 409: the run cannot
    rebuild its model."""
    return views.compute(insp, run, epoch=epoch, layer=layer, channel=channel, image=image)
