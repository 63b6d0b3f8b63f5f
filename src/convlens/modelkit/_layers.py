"""The layer summary (every leaf module as it ran in one pass) and the default layers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from convlens.core import HookSet, UserInputError

from ._checks import check_images, model_device_dtype
from ._state import guarded

_CONV = (nn.Conv1d, nn.Conv2d, nn.Conv3d)


def default_layers(model: nn.Module) -> list[str]:
    """Names of the modules worth recording when the user names none.

    The last convolution and the penultimate ``Linear`` (the last hidden fully connected layer),
    in model order: ``["conv2", "fc1"]`` for ``paper``. A model with a single ``Linear``
    (``tinyvgg``, ResNets) gives its last convolution and that ``Linear`` (the class scores).

    Raises:
        UserInputError: The model has no convolution and no ``Linear``.
    """
    named = [(n, m) for n, m in model.named_modules() if n]
    convs = [n for n, m in named if isinstance(m, _CONV)]
    linears = [n for n, m in named if isinstance(m, nn.Linear)]
    chosen = convs[-1:] + (linears[-2:-1] if len(linears) >= 2 else linears[-1:])
    if not chosen:
        raise UserInputError(
            f"{type(model).__name__} has no convolution or Linear layer to record by default: "
            f"name the layers to record"
        )
    order = {n: i for i, (n, _) in enumerate(named)}
    return sorted(chosen, key=order.__getitem__)


@dataclass(frozen=True)
class LayerInfo:
    """One leaf module as it ran in a forward pass.

    Attributes:
        name: Module name as in ``model.named_modules()``.
        type: Class name (``"Conv2d"``).
        out_shape: Output shape without the batch dimension (the first tensor of a tuple
            output; ``()`` if the module returned no tensor or did not run).
        params: Number of the module's own parameters.
        kernel: Kernel size for convolutions and pools, else ``None``.
        stride: Stride for convolutions and pools, else ``None``.
        calls: How often the forward pass ran it (a reused module, such as one ReLU shared
            by a block, has no single output to show; ``0``: it did not run).
        returns_tensor: Whether its (first) output was a tensor.
    """

    name: str
    type: str
    out_shape: tuple[int, ...]
    params: int
    kernel: tuple[int, ...] | None
    stride: tuple[int, ...] | None
    calls: int = 1
    returns_tensor: bool = True


def first_tensor(out: Any) -> torch.Tensor | None:
    """The first tensor in a module's output (itself, or the first inside a tuple/list)."""
    if isinstance(out, torch.Tensor):
        return out
    if isinstance(out, (list, tuple)):
        for item in out:
            found = first_tensor(item)
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


def leaf_layers(model: nn.Module, x: torch.Tensor, *, idle: bool = False) -> list[LayerInfo]:
    """Every leaf module (one without children) that ran in one forward pass of ``x``.

    Listed in execution order; a module called twice is listed once, with its first output.
    The pass runs in eval mode without gradients under :func:`preserve_model_state`; the hooks
    are removed afterwards, also when the pass raises (the error propagates).

    Args:
        model: Any ``nn.Module``.
        x: Images ``[N, C, H, W]``; one image is enough.
        idle: Also list the leaves that did not run (``calls == 0``), after the others.

    Returns:
        One :class:`LayerInfo` per leaf module that ran (and with ``idle``, per other leaf).
    """
    x = check_images(x)
    leaves = [(n, m) for n, m in model.named_modules() if n and not any(m.children())]
    seen: dict[str, tuple[int, ...] | None] = {}
    calls: dict[str, int] = {}

    def record(name: str) -> Callable[[nn.Module, Any, Any], None]:
        def hook(_module: nn.Module, _args: Any, out: Any) -> None:
            calls[name] = calls.get(name, 0) + 1
            if name not in seen:
                t = first_tensor(out)
                seen[name] = tuple(int(s) for s in t.shape[1:]) if t is not None else None

        return hook

    device, dtype = model_device_dtype(model)
    with guarded(model, grad=False), HookSet() as hooks:
        for name, module in leaves:
            hooks.add(module.register_forward_hook(record(name)))
        model(x.to(device=device, dtype=dtype))

    modules = dict(leaves)
    order = list(seen)  # dicts keep insertion order: execution order
    if idle:
        order += [name for name, _ in leaves if name not in seen]
    infos = []
    for name in order:
        module = modules[name]
        shape = seen.get(name)
        infos.append(
            LayerInfo(
                name=name,
                type=type(module).__name__,
                out_shape=shape if shape is not None else (),
                params=sum(p.numel() for p in module.parameters(recurse=False)),
                kernel=_as_tuple(module, getattr(module, "kernel_size", None)),
                stride=_as_tuple(module, getattr(module, "stride", None)),
                calls=calls.get(name, 0),
                returns_tensor=shape is not None,
            )
        )
    return infos
