"""Inside one forward pass: every layer's output and the layer list.

``layer_outputs`` runs the model once with forward hooks that live only for that pass. The layer
list (``leaf_layers``, ``LayerInfo``) is ``convlens.modelkit``'s, re-exported here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn

from convlens.core import HookSet, UserInputError
from convlens.modelkit import (
    LayerInfo,
    check_images,
    find_module,
    guarded,
    leaf_layers,
    logits_of,
    model_device_dtype,
)


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


GRADCAM_MIN_SIDE = 7
"""A default Grad-CAM layer has a map at least this many points on a side (a 1×1 map is flat)."""


def last_conv_layer(
    model: nn.Module, x: torch.Tensor | None = None, *, min_side: int = GRADCAM_MIN_SIDE
) -> str | None:
    """The default layer for Grad-CAM: the last convolution with a usable map.

    Without ``x``: the last ``nn.Conv2d`` (subclasses included) in ``model.named_modules()``
    order. With an input ``x``: one forward pass (no gradients, hooks removed after) finds each
    convolution's output size, and the answer is the last convolution, in the order the pass
    runs them, whose map is at least ``min_side`` × ``min_side``; where none is that large
    (small inputs into deep networks), the last of those with the largest map. Convolutions
    that run more than once per pass are skipped (their output is ambiguous).

    Returns:
        The module's name, or ``None`` when the model has no convolution.
    """
    convs = {name: m for name, m in model.named_modules() if isinstance(m, nn.Conv2d)}
    if x is None or not convs:
        return list(convs)[-1] if convs else None
    x = check_images(x)
    seen: dict[str, list[tuple[int, int]]] = {}

    def record(name: str) -> Callable[[nn.Module, Any, Any], None]:
        def hook(_module: nn.Module, _args: Any, out: Any) -> None:
            if isinstance(out, torch.Tensor) and out.dim() == 4:
                seen.setdefault(name, []).append((int(out.shape[-2]), int(out.shape[-1])))

        return hook

    with guarded(model, grad=False), HookSet() as hooks:
        for name, module in convs.items():
            hooks.add(module.register_forward_hook(record(name)))
        logits_of(model, _to_device(model, x[:1]))
    once = [(name, sizes[0]) for name, sizes in seen.items() if len(sizes) == 1]
    if not once:
        return None
    large = [name for name, (h, w) in once if min(h, w) >= min_side]
    if large:
        return large[-1]
    biggest = max(min(hw) for _, hw in once)
    return [name for name, hw in once if min(hw) == biggest][-1]


__all__ = ["GRADCAM_MIN_SIDE", "LayerInfo", "last_conv_layer", "layer_outputs", "leaf_layers"]
