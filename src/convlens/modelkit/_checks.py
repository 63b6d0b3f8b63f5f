"""Checks and look-ups on a caller's model and inputs: layer by name, device, images, targets."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from convlens.core import UserInputError


def short_list(names: list[str], n: int = 20) -> str:
    """``a, b, c, ... (k more)``: a readable list of names for error messages."""
    shown = ", ".join(names[:n])
    return shown + (f", ... ({len(names) - n} more)" if len(names) > n else "") or "(none)"


def find_module(model: nn.Module, name: str) -> nn.Module:
    """The submodule called ``name`` (as in ``model.named_modules()``).

    Raises:
        UserInputError: No such module; the message lists the model's layers.
    """
    modules = dict(model.named_modules())
    if not isinstance(name, str) or name not in modules:
        names = [n for n in modules if n]
        raise UserInputError(
            f"layer {name!r} is not a module of {type(model).__name__}: "
            f"choose one of {short_list(names)}"
        )
    return modules[name]


def model_device_dtype(model: nn.Module) -> tuple[torch.device, torch.dtype]:
    """Device and floating dtype of the model's first parameter (CPU float32 if none)."""
    for t in (*model.parameters(), *model.buffers()):
        if t.is_floating_point():
            return t.device, t.dtype
    return torch.device("cpu"), torch.float32


def check_images(x: object, *, single: bool = False) -> torch.Tensor:
    """Check that ``x`` is a float image batch ``[N, C, H, W]`` (``[C, H, W]`` gets ``N = 1``).

    Args:
        x: The input.
        single: Require exactly one image.

    Raises:
        UserInputError: Not a tensor, wrong number of dimensions, empty, not finite.
    """
    if not isinstance(x, torch.Tensor):
        raise UserInputError(f"images must be a torch.Tensor [N, C, H, W], got {type(x).__name__}")
    if x.ndim == 3:
        x = x.unsqueeze(0)
    if x.ndim != 4 or x.numel() == 0:
        raise UserInputError(
            f"images must have shape [N, C, H, W] (or [C, H, W] for one), got {list(x.shape)}"
        )
    if single and x.shape[0] != 1:
        raise UserInputError(f"give one image [1, C, H, W], got a batch of {x.shape[0]}")
    if not x.is_floating_point():
        x = x.float()
    if not torch.isfinite(x).all():
        raise UserInputError("the image contains NaN or infinite values: give finite pixels")
    return x


def logits_of(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The model's output for ``x``, checked to be class scores ``[N, K]``.

    Raises:
        UserInputError: The model returns something else.
    """
    out = model(x)
    if not isinstance(out, torch.Tensor) or out.ndim != 2:
        shape = list(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise UserInputError(
            f"{type(model).__name__} returns {shape}, not class scores [N, classes]: wrap it so "
            "forward() returns the logits"
        )
    return out


def check_target(target: object, n_classes: int) -> int:
    """Check that ``target`` is a class index of a model with ``n_classes`` outputs.

    Raises:
        UserInputError: Not an integer in ``[0, n_classes)``.
    """
    if isinstance(target, np.integer):
        target = int(target)
    if isinstance(target, bool) or not isinstance(target, int) or not 0 <= target < n_classes:
        raise UserInputError(
            f"target class {target!r} is out of range: the model has {n_classes} classes, "
            f"give an index from 0 to {n_classes - 1}"
        )
    return target
