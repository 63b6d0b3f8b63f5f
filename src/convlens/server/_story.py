"""The story of a run (events for the timeline's slider markers, a sentence per layer)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from convlens import views

from ._deps import CatalogueDep, RunDep
from ._errors import errors

router = APIRouter(tags=["timeline"])


class _Model(BaseModel):
    model_config = ConfigDict(protected_namespaces=())


class StoryEvent(_Model):
    """Something the run's data shows happened at one epoch."""

    epoch: int
    kind: Literal["separates", "untangles", "jump", "drop", "stall"]
    layer: str | None = Field(description="the layer it was seen in; null for accuracy events")
    classes: list[str] = Field(description="the classes it is about (none, one or two)")
    text: str = Field(description='one plain sentence, e.g. "epoch 4: sheep separates from cloud"')


class LayerVerdict(_Model):
    """Whether one layer keeps the kinds apart at the last epoch."""

    layer: str
    separates_kinds: bool
    mean_purity: list[float | None] = Field(
        description="per epoch, the share of a picture's nearest neighbours of its own kind"
    )
    sentence: str = Field(description="the verdict in plain words, for the layer's explanation")
    tangled: list[str] | None = Field(
        description="the two classes this layer mixes most at the last epoch, if any"
    )


class Story(_Model):
    run: str
    epochs: list[int]
    classes: list[str]
    events: list[StoryEvent]
    layers: list[LayerVerdict]


@router.get("/api/runs/{run}/story", response_model=Story, responses=errors(404, 409))
def story(catalogue: CatalogueDep, run: RunDep) -> dict:
    """The run's story: events for the timeline's slider and a verdict per recorded layer."""
    return views.story(catalogue, run)
