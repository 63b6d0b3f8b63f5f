"""Inside one forward pass: every layer's output, the layer list, feature maps reordered.

``layer_outputs`` and ``leaf_layers`` run the model once with forward hooks that live only for
that pass; ``order_channels`` reorders one layer's feature maps so similar maps sit together
(``CHANNEL_ORDERS``: ``natural``, ``kmeans``, ``pca``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from convlens.core import HookSet, UserInputError

from .._model import check_images, find_module, guarded, logits_of, model_device_dtype


def _to_device(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    device, dtype = model_device_dtype(model)
    return x.to(device=device, dtype=dtype)


def layer_outputs(
    model: nn.Module, x: torch.Tensor, layers: Sequence[str]
) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    """Run ``x`` through ``model`` once and keep the outputs of the named modules.

    The pass runs in eval mode without gradients; the model's train/eval flags are restored and
    the hooks removed afterwards, also when the pass raises.

    Args:
        model: Any ``nn.Module`` that returns class scores ``[N, K]``.
        x: Images ``[N, C, H, W]`` (``[C, H, W]`` is taken as one image).
        layers: Module names as in ``model.named_modules()``.

    Returns:
        ``(outputs, logits)``: detached CPU copies of each named module's output, keyed by
        name, and the model's detached CPU logits ``[N, K]``.

    Raises:
        UserInputError: An unknown layer, a layer that does not run exactly once per pass or
            returns something other than a tensor, or a model that does not return logits.
    """
    x = check_images(x)
    names = list(dict.fromkeys(layers))
    modules = {name: find_module(model, name) for name in names}
    calls: dict[str, list[Any]] = {name: [] for name in names}

    def record(name: str) -> Callable[[nn.Module, Any, Any], None]:
        def hook(_module: nn.Module, _args: Any, out: Any) -> None:
            # a copy: an in-place op later in the pass (ReLU(inplace=True)) must not change it
            calls[name].append(
                out.detach().to("cpu", copy=True) if isinstance(out, torch.Tensor) else out
            )

        return hook

    with guarded(model, grad=False), HookSet() as hooks:
        for name, module in modules.items():
            hooks.add(module.register_forward_hook(record(name)))
        logits = logits_of(model, _to_device(model, x)).detach().to("cpu", copy=True)

    outputs = {}
    for name, outs in calls.items():
        if len(outs) != 1:
            raise UserInputError(
                f"layer '{name}' ran {len(outs)} times in one forward pass, so its output is "
                "ambiguous: choose a module that runs exactly once (a reused module such as one "
                "ReLU called twice has no single output)"
            )
        if not isinstance(outs[0], torch.Tensor):
            raise UserInputError(
                f"layer '{name}' returns {type(outs[0]).__name__}, not a tensor: choose a "
                "submodule that returns a tensor"
            )
        outputs[name] = outs[0]
    return outputs, logits


def last_conv_layer(model: nn.Module) -> str | None:
    """Name of the last ``nn.Conv2d`` in ``model.named_modules()`` order (``None`` if none)."""
    last = None
    for name, module in model.named_modules():
        if isinstance(module, nn.Conv2d):
            last = name
    return last


@dataclass(frozen=True)
class LayerInfo:
    """One leaf module as it ran in a forward pass.

    Attributes:
        name: Module name as in ``model.named_modules()``.
        type: Class name (``"Conv2d"``).
        out_shape: Output shape without the batch dimension (the first tensor of a tuple
            output; ``()`` if the module returned no tensor).
        params: Number of the module's own parameters.
        kernel: Kernel size for convolutions and pools, else ``None``.
        stride: Stride for convolutions and pools, else ``None``.
        calls: How often the forward pass ran it (a reused module, such as one ReLU shared
            by a block, has no single output to show).
    """

    name: str
    type: str
    out_shape: tuple[int, ...]
    params: int
    kernel: tuple[int, ...] | None
    stride: tuple[int, ...] | None
    calls: int = 1


def _first_tensor(out: Any) -> torch.Tensor | None:
    if isinstance(out, torch.Tensor):
        return out
    if isinstance(out, (list, tuple)):
        for item in out:
            found = _first_tensor(item)
            if found is not None:
                return found
    return None


def _as_tuple(module: nn.Module, value: Any) -> tuple[int, ...] | None:
    if value is None:
        return None
    if isinstance(value, (tuple, list)):
        return tuple(int(v) for v in value)
    kind = type(module).__name__.lower()
    dims = 3 if kind.endswith("3d") else 1 if kind.endswith("1d") else 2
    return (int(value),) * dims


def leaf_layers(model: nn.Module, x: torch.Tensor) -> list[LayerInfo]:
    """Every leaf module (one without children) that ran in one forward pass of ``x``.

    Listed in execution order; a module called twice is listed once, with its first output.
    Same hygiene as :func:`layer_outputs`.

    Args:
        model: Any ``nn.Module``.
        x: Images ``[N, C, H, W]``; one image is enough.

    Returns:
        One :class:`LayerInfo` per leaf module that ran.
    """
    x = check_images(x)
    leaves = [(n, m) for n, m in model.named_modules() if n and not any(m.children())]
    seen: dict[str, tuple[int, ...]] = {}
    calls: dict[str, int] = {}

    def record(name: str) -> Callable[[nn.Module, Any, Any], None]:
        def hook(_module: nn.Module, _args: Any, out: Any) -> None:
            calls[name] = calls.get(name, 0) + 1
            if name not in seen:
                t = _first_tensor(out)
                seen[name] = tuple(int(s) for s in t.shape[1:]) if t is not None else ()

        return hook

    with guarded(model, grad=False), HookSet() as hooks:
        for name, module in leaves:
            hooks.add(module.register_forward_hook(record(name)))
        model(_to_device(model, x))

    modules = dict(leaves)
    infos = []
    for name, shape in seen.items():  # dicts keep insertion order: execution order
        module = modules[name]
        infos.append(
            LayerInfo(
                name=name,
                type=type(module).__name__,
                out_shape=shape,
                params=sum(p.numel() for p in module.parameters(recurse=False)),
                kernel=_as_tuple(module, getattr(module, "kernel_size", None)),
                stride=_as_tuple(module, getattr(module, "stride", None)),
                calls=calls[name],
            )
        )
    return infos
