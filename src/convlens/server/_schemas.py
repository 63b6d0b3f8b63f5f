"""Response models: the shape of every answer, published at ``/openapi.json``."""

from __future__ import annotations

import base64
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field


class ArrayData(BaseModel):
    """A NumPy array: little-endian bytes in C order, base64-encoded."""

    dtype: Literal["float32", "int32", "uint8"]
    shape: list[int]
    data: str = Field(description="base64 of the raw little-endian bytes, C order")

    @classmethod
    def of(cls, arr: np.ndarray) -> ArrayData:
        a = np.asarray(arr)
        if a.dtype.kind == "f":
            a = a.astype("<f4")
        elif a.dtype == np.uint8:
            pass
        else:
            a = a.astype("<i4")
        a = np.ascontiguousarray(a)
        dtype: Literal["float32", "int32", "uint8"] = (
            "float32" if a.dtype.kind == "f" else "uint8" if a.dtype == np.uint8 else "int32"
        )
        return cls(
            dtype=dtype,
            shape=list(a.shape),
            data=base64.b64encode(a.tobytes()).decode("ascii"),
        )


def encode(d: dict[str, Any]) -> dict[str, Any]:
    """Replace every NumPy array in a view's answer by :class:`ArrayData`."""
    return {k: ArrayData.of(v) if isinstance(v, np.ndarray) else v for k, v in d.items()}


class _Model(BaseModel):
    model_config = ConfigDict(protected_namespaces=())


class RunSummary(_Model):
    id: str
    status: str
    created: str
    dataset: str
    model: str
    classes: list[str]
    layers: list[str]
    epochs: list[int]
    checkpoints: list[int]
    test_accuracy: float | None
    has_model: bool
    video: str | None = Field(
        None, description="the run's video under /api/runs/{run}/media/, if one was made"
    )
    poster: str | None = Field(None, description="its last frame (a PNG) under the same path")
    accuracy: dict[str, list[float | None]] = Field(
        default_factory=dict, description="train and test accuracy per epoch (for a sparkline)"
    )


PLAIN_NAME = (
    'the layer\'s plain name for people new to networks ("2nd filter layer", "the answer '
    'layer", "on/off step"), or null where there is none'
)


class LayerRecord(_Model):
    name: str
    shape: list[int]
    dim: int
    plain: str | None = Field(None, description=PLAIN_NAME)


class ProbeInfo(_Model):
    n: int
    n_test: int
    n_train: int


class RunDetail(RunSummary):
    metrics: dict[str, list[float | None]]
    layer_info: list[LayerRecord]
    probe: ProbeInfo
    explanation: str


class Timeline(_Model):
    layer: str
    epochs: list[int]
    n: int
    start: int = Field(0, description="index in epochs of the first epoch in coords/predicted")
    coords: ArrayData
    labels: ArrayData | None = Field(None, description="with the chunk that starts at 0")
    predicted: ArrayData
    split: ArrayData | None = Field(None, description="with the chunk that starts at 0")
    metrics: dict[str, list[float | None]]
    method: str
    explanation: str


class PointDetail(_Model):
    index: int
    label: int
    label_name: str
    split: int
    source: str
    epochs: list[int]
    probabilities: ArrayData
    explanation: str


class UploadInfo(_Model):
    id: str
    width: int = Field(description="width of the picture as uploaded, in pixels")
    height: int = Field(description="height of the picture as uploaded, in pixels")
    channels: int
    bytes: int = Field(description="size of the file as uploaded")
    explanation: str
    input_description: str | None = Field(
        None, description="how the run's model cuts this picture (when `run` was given)"
    )
    input_url: str | None = Field(
        None, description="the picture exactly as that run's model receives it (PNG)"
    )


class ModelInput(_Model):
    """How the picture was prepared for the model (the run's input contract)."""

    preprocess: str = Field(description="the input contract's name: none, imagenet, pad, ...")
    input_size: list[int] = Field(description="[height, width] of the model's input")
    input_description: str = Field(description="how the picture is cut, in plain words")
    input_exact: bool = Field(
        description="false when probe thumbnails of another size were cut again (approximate)"
    )
    input_url: str = Field(description="the picture exactly as the model receives it (PNG)")


class LayerDescription(_Model):
    name: str
    type: str
    out_shape: list[int]
    params: int
    kernel: list[int] | None
    stride: list[int] | None
    explanation: str
    plain: str | None = Field(None, description=PLAIN_NAME)


class Layers(_Model):
    epoch: int
    input_shape: list[int]
    input_description: str
    layers: list[LayerDescription]


class MapStats(_Model):
    min: float
    max: float
    mean: float
    zero_fraction: float


class TextPart(_Model):
    text: str
    channels: list[int] = Field(description="the channels (maps) this sentence names")


class FeatureMaps(ModelInput):
    layer: str
    epoch: int
    image: str
    shape: list[int]
    maps: ArrayData
    order: list[int]
    cluster: list[int] | None
    pca: list[float] | None
    stats: MapStats
    probabilities: list[float]
    predicted: int
    explanation: str
    explanation_parts: list[TextPart] = Field(
        default_factory=list, description="the explanation in sentences, with the maps each names"
    )


class Weights(_Model):
    layer: str
    epoch: int
    shape: list[int]
    weights: ArrayData
    truncated: bool
    explanation: str


class TopProbes(_Model):
    layer: str
    epoch: int
    channel: int
    indices: list[int]
    values: list[float]
    explanation: str


class Method(_Model):
    name: str
    help: str


class Attribution(ModelInput):
    method: str
    target: int
    target_name: str
    layer: str | None
    epoch: int
    heatmap: ArrayData
    signed: ArrayData
    heat_max: float = Field(description="the attribution value drawn at full colour (1 in heatmap)")
    clip_percentile: float | None = Field(
        description="the percentile of |attribution| drawn at full colour (None: the maximum)"
    )
    probabilities: list[float]
    predicted: int
    seconds: float
    explanation: str


class AttributionCheck(_Model):
    """Deletion and insertion curves of a map beside the mean of random pixel orders."""

    method: str
    target: int
    epoch: int
    fractions: list[float] = Field(description="share of pixels hidden or shown at each point")
    deletion: float
    insertion: float
    random_deletion: float
    random_insertion: float
    deletion_curve: list[float]
    insertion_curve: list[float]
    random_deletion_curve: list[float]
    random_insertion_curve: list[float]
    random_orders: int
    verdict: Literal["good", "mixed", "poor", "none"]
    seconds: float
    explanation: str


class SanityStep(_Model):
    layer: str = Field(description="the module scrambled last (the ones above it stay scrambled)")
    count: int = Field(description="modules scrambled so far, from the output down")
    spearman: float = Field(description="rank correlation with the original map")
    ssim: float = Field(description="structural similarity with the original map")


class AttributionSanity(_Model):
    """The map with the top layers' weights scrambled (Adebayo et al. 2018)."""

    method: str
    target: int
    epoch: int
    steps: list[SanityStep]
    n_layers: int
    scrambled_heatmap: ArrayData
    verdict: Literal["passes", "fails"]
    seconds: float
    explanation: str


class GradientGroup(_Model):
    role: Literal["reference", "similar", "dissimilar"]
    class_: int = Field(alias="class")
    name: str
    n_images: int
    norms: list[float]

    model_config = ConfigDict(populate_by_name=True)


class ClassGradients(_Model):
    layer: str
    epoch: int
    groups: list[GradientGroup]
    labelled: bool = Field(
        description="false when the probe pictures have no labels: each is counted under the "
        "network's own answer, so 'similar' is the class it most often gives beside the reference"
    )
    explanation: str


class Projection(_Model):
    layer: str
    epoch: int
    method: str
    coords: ArrayData
    indices: list[int]
    labels: list[int]
    n_total: int
    n_shown: int
    sampled: bool
    neighbours: ArrayData = Field(
        description="int32 [n_shown, k]: each shown picture's nearest others in the layer's own "
        "space (not in 2-D), as positions into indices, nearest first"
    )
    quality: dict[str, float] | None = Field(
        description="this map's trustworthiness and k-NN preservation (k neighbours), 1 is best"
    )
    stored_quality: dict[str, float] | None = Field(
        description="the quality figures stored with the layer's timeline embedding, if any"
    )
    quality_text: str
    explanation: str


class TourStep(_Model):
    id: str
    title: str
    text: str
    route: str
    target: str | None = Field(
        None, description="data-testid of the control the step names (highlighted, never covered)"
    )
    play: bool = Field(False, description="press that control once it is ready (the timeline)")


class Tour(_Model):
    run: str | None
    steps: list[TourStep]


class GraphInfo(_Model):
    epoch: int
    url: str
    picture: str
    description: dict[str, Any]
    explanation: str


class ErrorBody(_Model):
    """Every refusal: one line saying what is wrong and what to do."""

    detail: str | list[dict[str, Any]]


class JobStatus(_Model):
    """A background job (``/api/jobs/{id}``)."""

    id: str
    kind: Literal["graph", "projection", "sanity"]
    state: Literal["queued", "running", "done", "failed", "cancelled"]
    progress: float = Field(ge=0, le=1, description="0 to 1")
    message: str = Field(description="what it is doing now, or why it failed or stopped")
    error_status: int | None = Field(
        description="when failed: the status the request itself would have answered"
    )
