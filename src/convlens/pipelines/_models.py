"""``ModelCache``: a run's model rebuilt from its checkpoints, the last few kept built.

One lock per model: a cached model must never carry two requests' hooks at once, while requests
for other models go on. torch loads with the first model built, so a catalogue of runs never
imports it. ``LoadedModel.look`` is the one forward pass the forward views share: the layer list,
every layer's output and the logits of one picture come from it, kept per picture.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from convlens.core import HookSet, MissingExtraError, UnavailableError, UserInputError
from convlens.store import Run

from ._catalogue import RunCatalogue, checkpoint_epoch, input_shape, model_spec

if TYPE_CHECKING:
    import torch
    from torch import nn

    from convlens.modelkit import LayerInfo

MAX_OUTPUTS = 4
"""Pictures whose every layer output a built model keeps (``LoadedModel.outputs``)."""

Outputs = tuple[dict[str, "torch.Tensor"], "torch.Tensor"]
"""Every single-use layer's output (detached CPU copies, by name) and the logits ``[1, K]``."""


@dataclass(eq=False)
class LoadedModel:
    """A model built from one checkpoint, in eval mode.

    Attributes:
        module: The model. Hold ``lock`` while running it (hooks are per call).
        epoch: The checkpoint's epoch.
        lock: Held by whoever runs the model; other models have their own.
        layers: The layer list (``leaf_layers``) of the first pass :meth:`look` ran.
        outputs: Every single-use layer's output and the logits, per image reference, for the
            last :data:`MAX_OUTPUTS` pictures (guarded by ``lock``).
    """

    module: nn.Module
    epoch: int
    lock: threading.RLock = field(default_factory=threading.RLock)
    layers: list[LayerInfo] | None = None
    outputs: OrderedDict[str, Outputs] = field(default_factory=OrderedDict)

    def kept(self, key: str) -> Outputs | None:
        """The outputs :meth:`look` kept for ``key``, or ``None``. Hold ``lock``."""
        if key not in self.outputs:
            return None
        self.outputs.move_to_end(key)
        return self.outputs[key]

    def look(self, x: torch.Tensor, key: str | None = None) -> Outputs:
        """One forward pass of ``x`` (one picture): the layer list (kept in ``layers``), every
        layer's output and the logits, all from that pass. With ``key`` (an image reference),
        the outputs are kept in ``outputs`` for the next :data:`MAX_OUTPUTS` pictures and a
        picture already there is not run again. Hold ``lock``.

        Raises:
            UserInputError: The model does not return class scores ``[N, K]``.
        """
        import torch

        from convlens.modelkit import is_layer, leaf_layers

        if key is not None and (done := self.kept(key)) is not None:
            return done
        keeper = _Keeper()
        final: list[Any] = []

        def logits(_module: nn.Module, _args: Any, out: Any) -> None:
            final.append(out)

        with HookSet() as hooks:
            for name, module in self.module.named_modules():
                if name and is_layer(module):
                    hooks.add(module.register_forward_hook(keeper.output(name)))
                    if getattr(module, "inplace", False) is True:
                        hooks.add(module.register_forward_pre_hook(keeper.before_inplace))
            hooks.add(self.module.register_forward_hook(logits))
            infos = leaf_layers(self.module, x)  # the pass: shapes, calls, and the hooks above
        out = final[-1]
        if not isinstance(out, torch.Tensor) or out.ndim != 2:
            shape = list(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
            raise UserInputError(
                f"{type(self.module).__name__} returns {shape}, not class scores [N, classes]: "
                "wrap it so forward() returns the logits"
            )
        result = (keeper.outputs(), out.detach().to("cpu", copy=True))
        if self.layers is None:
            self.layers = infos
        if key is not None:
            self.outputs[key] = result
            while len(self.outputs) > MAX_OUTPUTS:
                self.outputs.popitem(last=False)
        return result


class _Keeper:
    """Every layer's output from one pass, copied only where the pass would change it.

    An output is kept as it is (no copy) unless a module with ``inplace=True`` is about to
    overwrite it (ReLU6 after BatchNorm): then it is copied first. An output changed in place by
    anything else (a functional ``relu_``: its version counter moved) is dropped, so asking for
    that layer runs a pass of its own. A module called twice has no single output: dropped too.
    """

    def __init__(self) -> None:
        self.kept: dict[str, Any] = {}  # None: reused or changed
        self.version: dict[str, int] = {}
        self.shared: dict[int, list[str]] = {}  # storage address -> names kept without a copy

    def output(self, name: str) -> Any:
        import torch

        def hook(_module: Any, _args: Any, out: Any) -> None:
            if name in self.kept:
                self.kept[name] = None
            elif isinstance(out, torch.Tensor):
                t = out.detach()
                if t.device.type != "cpu":
                    t = t.to("cpu", copy=True)
                else:
                    self.shared.setdefault(t.untyped_storage().data_ptr(), []).append(name)
                self.kept[name], self.version[name] = t, t._version

        return hook

    def before_inplace(self, _module: Any, args: Any) -> None:
        import torch

        for arg in args:
            if isinstance(arg, torch.Tensor):
                for name in self.shared.pop(arg.untyped_storage().data_ptr(), []):
                    if self.kept.get(name) is not None:
                        self.kept[name] = self.kept[name].clone()
                        self.version[name] = self.kept[name]._version

    def outputs(self) -> dict[str, Any]:
        return {
            n: t for n, t in self.kept.items() if t is not None and t._version == self.version[n]
        }


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
    try:
        with torch.random.fork_rng(devices=[]):
            model = build_model(spec, in_channels=c, num_classes=len(run.classes), image_size=s)
        load_weights(model, run.checkpoint_path(epoch))
    except (UserInputError, MissingExtraError) as err:  # the run is fine; this machine is not
        raise UnavailableError(
            f"the model of run {run.run_id} cannot be rebuilt here, so views that run it are "
            f"off: {err}"
        ) from err
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
