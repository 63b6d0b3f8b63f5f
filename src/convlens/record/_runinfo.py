"""What a Recorder run says about its model so every view can run it: contract, thumbnails, spec.

From the probe set alone a run gets its input size and channels, the input contract (given as
``preprocess=``, or ``none`` when the probes look like ``[0, 1]`` pixels) and thumbnails (the
probes de-normalised with the contract). The model spec (how the web app rebuilds the model)
is inferred when the model's class can be imported and built without arguments; otherwise the
user is told, once, how to give it.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from convlens.core import (
    ConvLensWarning,
    InputContract,
    RecordOptions,
    UserInputError,
    input_contract,
)
from convlens.store import RunWriter

from ._layers import LayerSpec
from ._spec import _factory_of, _shapes, check_spec

SIZE_ARGS = ("num_classes", "in_channels", "image_size")
"""The arguments a model factory may take (``convlens.models.build_model`` passes them)."""


def options_with(
    options: RecordOptions | None,
    layers: Sequence[LayerSpec] | str | None,
    reducer: str | None,
    checkpoints: bool | None,
    output: int | str | None = None,
) -> RecordOptions:
    """``options`` with the keywords that mean an option filled in (a keyword wins)."""
    if options is not None and not isinstance(options, RecordOptions):
        raise UserInputError(
            f"options must be a convlens.core.RecordOptions, got {type(options).__name__}"
        )
    given: dict[str, Any] = {}
    if layers is not None:
        given["layers"] = (
            tuple(s.strip() for s in layers.split(",") if s.strip())
            if isinstance(layers, str)
            else tuple(layers)
        )
    if reducer is not None:
        given["reducer"] = reducer
    if checkpoints is not None:
        given["checkpoints"] = bool(checkpoints)
    if output is not None:
        given["output"] = str(output)
    return replace(options or RecordOptions(), **given)


def image_shape(x: torch.Tensor) -> tuple[int, int, int] | None:
    """``(channels, height, width)`` of image probes ``[N, C, H, W]`` (1 or 3 channels)."""
    if x.dim() != 4 or x.shape[1] not in (1, 3):
        return None
    return int(x.shape[1]), int(x.shape[2]), int(x.shape[3])


def probe_contract(preprocess: InputContract | str | None, x: torch.Tensor) -> InputContract | None:
    """The input contract of a run whose probes are ``x``.

    Args:
        preprocess: An ``InputContract``, a preset name (``imagenet``, ``none``, ``pad``,
            ``stretch``: sized to the probes) or ``None`` (``none`` when the probes look like
            pixels in ``[0, 1]``; normalised probes get no contract and a warning that says
            how to give it).
        x: The probe inputs.

    Raises:
        UserInputError: The contract does not fit the probes (size or channels).
    """
    shape = image_shape(x)
    if shape is None:
        if preprocess is not None:
            raise UserInputError(
                f"preprocess applies to image probes [N, 1|3, H, W], got {list(x.shape)}: "
                "leave it out"
            )
        return None
    c, h, w = shape
    if isinstance(preprocess, InputContract):
        contract = preprocess
    elif isinstance(preprocess, str):
        contract = input_contract(preprocess, h, c)
        if contract.channels != c:
            raise UserInputError(
                f"preprocess '{preprocess}' is for {contract.channels}-channel pictures, but the "
                f"probes have {c} channels: choose a preset for {c} channels (none, pad, stretch)"
            )
        contract = contract.with_size((h, w))
    elif preprocess is None:
        lo, hi = float(x.min()), float(x.max())
        if lo < -0.5 or hi > 1.5:  # normalised input (a little noise around [0, 1] is not)
            warnings.warn(
                f"the probes hold values from {lo:.2f} to {hi:.2f}, not pixels in [0, 1]: say how "
                "pictures are prepared for this model, e.g. Recorder(..., preprocess='imagenet') "
                "or preprocess=InputContract(...), so thumbnails and the views that run the "
                "model on pictures are right",
                ConvLensWarning,
                stacklevel=4,
            )
            return None
        return input_contract("none", h, c).with_size((h, w), c)
    else:
        raise UserInputError(
            f"preprocess must be an InputContract, a preset name or None, got "
            f"{type(preprocess).__name__}"
        )
    if contract.size != (h, w) or contract.channels != c:
        raise UserInputError(
            f"preprocess makes {contract.channels}×{contract.size[0]}×{contract.size[1]} input, "
            f"but the probes are {c}×{h}×{w}: give the contract the model was trained with"
        )
    return contract


def probe_thumbnails(contract: InputContract | None, x: torch.Tensor) -> np.ndarray | None:
    """The probes as pictures (``uint8 [N, H, W, C]``), de-normalised with the contract."""
    if contract is None:
        return None
    return np.asarray(contract.denormalize(x.detach().float().cpu()))


def _buildable(cls: type) -> bool:
    """Whether ``cls`` can be called with at most the size arguments."""
    try:
        params = inspect.signature(cls).parameters.values()
    except (TypeError, ValueError):
        return False
    return all(
        p.default is not inspect.Parameter.empty
        or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        or p.name in SIZE_ARGS
        for p in params
    )


def infer_spec(model: nn.Module, sizes: dict[str, int]) -> str | None:
    """``package.module:Class`` when the model's class rebuilds it, else ``None``.

    The class must be importable under its own name (not defined in ``__main__`` or inside a
    function) and take no arguments but ``num_classes``/``in_channels``/``image_size``; one
    is built (the caller's random state untouched) and must have the same parameters as
    ``model``.
    """
    cls = type(model)
    if cls.__module__ == "__main__" or "<locals>" in cls.__qualname__:
        return None
    if cls.__module__.startswith("torchvision.models.") and sizes.get("in_channels", 3) == 3:
        found = _torchvision_spec(model, sizes["num_classes"])
        if found is not None:
            return found
    spec = f"{cls.__module__}:{cls.__qualname__}"
    try:
        if _factory_of(spec) is not cls or not _buildable(cls):
            return None
        accepted = inspect.signature(cls).parameters
        kwargs = {k: v for k, v in sizes.items() if k in accepted}
        with torch.random.fork_rng(devices=[]):
            built = cls(**kwargs)
    except Exception:  # noqa: BLE001 - any failure means: it cannot be inferred
        return None
    mine = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    theirs = {k: tuple(v.shape) for k, v in built.state_dict().items()}
    return spec if mine == theirs else None


def _torchvision_spec(model: nn.Module, num_classes: int) -> str | None:
    """``torchvision:NAME`` for a torchvision classification model (ResNet needs arguments, so
    its class alone cannot rebuild it): the first builder of the model's module that makes the
    same class with the same parameter shapes, built on the meta device (no memory, ~0.1 s)."""
    try:
        import torchvision.models as tvm

        names = [
            n
            for n in tvm.list_models(module=tvm)
            if tvm.get_model_builder(n).__module__ == type(model).__module__
        ]
        mine = _shapes(model)
        for name in names:
            # quiet: e.g. GoogLeNet's notice about its weight initialisation
            with torch.random.fork_rng(devices=[]), torch.device("meta"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                built = tvm.get_model(name, weights=None, num_classes=num_classes)
            if type(built) is type(model) and _shapes(built) == mine:
                return f"torchvision:{name}"
    except Exception:  # noqa: BLE001 - any failure means: it cannot be inferred
        return None
    return None


def class_names(names: list[str] | None, n_outputs: int) -> list[str]:
    """The run's class names: ``names`` checked against the model's outputs, or ``0, 1, ...``."""
    if names is None:
        return [str(i) for i in range(n_outputs)]
    if len(names) != n_outputs:
        raise UserInputError(
            f"{len(names)} class names for a model with {n_outputs} outputs: give one name per "
            "output, in output order"
        )
    return names


def run_dataset(given: dict[str, Any], x: torch.Tensor) -> dict[str, Any]:
    """The manifest's dataset entry, with the input size and channels read from the probes."""
    dataset = dict(given)
    shape = image_shape(x)
    if shape is not None and shape[1] == shape[2]:
        dataset.setdefault("channels", shape[0])
        dataset.setdefault("image_size", shape[1])
    return dataset


def run_model_info(
    model: nn.Module,
    x: torch.Tensor,
    given: dict[str, Any],
    output: str | None,
    n_classes: int,
    contract: InputContract | None,
) -> dict[str, Any]:
    """The manifest's model entry: class, size, contract, output choice and rebuild spec.

    The spec is the one given (a ``package.module:factory`` must rebuild ``model``:
    ``check_spec``), else inferred (:func:`infer_spec`), else a warning says, once, how to
    give it.

    Raises:
        UserInputError: The given spec builds another model.
    """
    info: dict[str, Any] = {
        "class": type(model).__name__,
        "parameters": int(sum(p.numel() for p in model.parameters())),
        **given,
    }
    if contract is not None:
        info["input"] = contract.to_json()
    if output is not None:
        info.setdefault("output", output)
    onnx = onnx_source(given)
    if onnx is not None:  # the run keeps a copy (keep_model_file) and is rebuilt from it
        info.update(spec=f"onnx:{onnx}", file=f"model/{ONNX_COPY}")
    shape = image_shape(x)
    sizes = {"num_classes": n_classes}
    if shape is not None:
        sizes.update(in_channels=shape[0], image_size=shape[1])
    if given.get("spec"):
        check_spec(model, str(given["spec"]), sizes)
    if not info.get("spec"):
        spec = infer_spec(model, sizes)
        if spec is None:
            warnings.warn(spec_message(model), ConvLensWarning, stacklevel=5)
        else:
            info["spec"] = spec
    return info


ONNX_COPY = "model.onnx"  # a run made from an ONNX file keeps it as model/model.onnx


def onnx_source(given: Mapping[str, Any]) -> Path | None:
    """The ONNX file the model spec names (``onnx:PATH`` or ``PATH.onnx``), for the run to keep
    a copy of and be rebuilt from when the original moves; ``None`` for any other spec, a file
    that is not there, or a run that names its copy already."""
    spec = str(given.get("spec") or "")
    path = spec.partition(":")[2] if spec.startswith("onnx:") else spec
    if given.get("file") or not path.endswith(".onnx"):
        return None
    file = Path(path).expanduser()
    return file.resolve() if file.is_file() else None


def keep_model_file(writer: RunWriter, given: Mapping[str, Any]) -> None:
    """Copy the ONNX file the run's model comes from into the new run (once, when it is made)."""
    onnx = onnx_source(given)
    if onnx is not None:
        writer.write_model_file(ONNX_COPY, onnx)


def spec_message(model: nn.Module) -> str:
    """How to tell a run how to rebuild ``model`` (said once, when it cannot be inferred)."""
    name = type(model).__name__
    return (
        f"ConvLens cannot tell how to rebuild {name} (its class needs arguments or cannot be "
        "imported), so the views that run the model (explorer, attributions, class gradients, "
        "network, importance) will be off for this run: pass Recorder(..., spec="
        "'package.module:factory') with a function that returns the model (it may take "
        "num_classes, in_channels, image_size), or spec='torchvision:NAME' for a torchvision "
        "model"
    )
