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


def last_conv_layer(model: nn.Module) -> str | None:
    """Name of the last ``nn.Conv2d`` in ``model.named_modules()`` order (``None`` if none)."""
    last = None
    for name, module in model.named_modules():
        if isinstance(module, nn.Conv2d):
            last = name
    return last


__all__ = ["LayerInfo", "last_conv_layer", "layer_outputs", "leaf_layers"]
