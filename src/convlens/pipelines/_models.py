"""``ModelCache``: a run's model rebuilt from its checkpoints, the last few kept built.

One lock per model: a cached model must never carry two requests' hooks at once, while requests
for other models go on. torch loads with the first model built, so a catalogue of runs never
imports it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from convlens.core import UnavailableError
from convlens.store import Run

from ._catalogue import RunCatalogue, checkpoint_epoch, input_shape, model_spec

if TYPE_CHECKING:
    import torch
    from torch import nn


@dataclass(eq=False)
class LoadedModel:
    """A model built from one checkpoint, in eval mode.

    Attributes:
        module: The model. Hold ``lock`` while running it (hooks are per call).
        epoch: The checkpoint's epoch.
        lock: Held by whoever runs the model; other models have their own.
        leaves: The names of the leaf layers that run once (found on first use).
        outputs: Every leaf layer's output and the logits, per image reference, for the last
            few images (guarded by ``lock``).
    """

    module: nn.Module
    epoch: int
    lock: threading.RLock = field(default_factory=threading.RLock)
    leaves: list[str] | None = None
    outputs: OrderedDict[str, tuple[dict[str, torch.Tensor], torch.Tensor]] = field(
        default_factory=OrderedDict
    )


def _spec(run: Run) -> str:
    spec = model_spec(run)
    if spec is None:
        raise UnavailableError(
            f"run {run.run_id} does not say how to build its model, so views that run the "
            "model are off: record with Recorder(model_info={'spec': "
            "'package.module:factory'})"
        )
    return spec


def _build(run: Run, epoch: int, spec: str, shape: tuple[int, int, int]) -> nn.Module:
    import torch

    from convlens.models import build_model, load_weights

    c, s, _ = shape
    with torch.random.fork_rng(devices=[]):
        model = build_model(spec, in_channels=c, num_classes=len(run.classes), image_size=s)
    load_weights(model, run.checkpoint_path(epoch))
    model.eval()
    part = run.manifest.model.get("output")
    if part is not None:  # a tuple/dict model: every view sees the class scores it recorded
        from convlens.modelkit import select_output

        model.register_forward_hook(lambda _m, _i, out: select_output(out, part))
    return model


def run_model(run: Run, epoch: int | None = None) -> tuple[nn.Module, int]:
    """The run's model with the weights of ``epoch`` (default: the last checkpoint), in eval
    mode, and that epoch. Built afresh: :class:`ModelCache` keeps them.

    Raises:
        UnavailableError: No checkpoints, or no model spec (the message says how to record one).
        NotFoundError: No checkpoint for ``epoch`` (lists those there are).
    """
    epoch = checkpoint_epoch(run, epoch)
    return _build(run, epoch, _spec(run), input_shape(run)), epoch


class ModelCache:
    """Models of the runs in a :class:`RunCatalogue`, least recently used first out.

    Args:
        catalogue: Where the runs and their probe sets come from.
        max_models: Models kept built in memory.
    """

    def __init__(self, catalogue: RunCatalogue, *, max_models: int = 4) -> None:
        self.catalogue = catalogue
        self.max_models = max_models
        self._lock = threading.Lock()  # guards the two dicts only; never held while building
        self._models: OrderedDict[tuple[str, int, float], LoadedModel] = OrderedDict()
        self._building: dict[tuple[str, int, float], threading.Lock] = {}

    def get(self, run: Run, epoch: int | None = None) -> LoadedModel:
        """The run's model for ``epoch`` (default: the last checkpoint), built on first use."""
        epoch = self.catalogue.epoch(run, epoch)
        spec = _spec(run)
        key = (str(run.path.resolve()), epoch, run.checkpoint_path(epoch).stat().st_mtime)
        with self._lock:
            if key in self._models:
                self._models.move_to_end(key)
                return self._models[key]
            building = self._building.setdefault(key, threading.Lock())
        with building:  # one build per model; other models are not held up
            with self._lock:
                if key in self._models:
                    return self._models[key]
            try:
                module = _build(run, epoch, spec, self.catalogue.input_shape(run))
                loaded = LoadedModel(module, epoch)
                with self._lock:
                    self._models[key] = loaded
                    while len(self._models) > self.max_models:
                        self._models.popitem(last=False)
            finally:
                with self._lock:
                    self._building.pop(key, None)
        return loaded

    def model(self, run: Run, epoch: int | None = None) -> tuple[nn.Module, int]:
        """``(model, epoch)``: :meth:`get` without the lock (for callers that run it alone)."""
        loaded = self.get(run, epoch)
        return loaded.module, loaded.epoch

    def loaded(self) -> list[LoadedModel]:
        """The models built now, least recently used first."""
        with self._lock:
            return list(self._models.values())
