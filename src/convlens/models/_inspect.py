"""Looking at a model without changing it: default layers to record, a per-layer summary."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from convlens.core import UserInputError
from convlens.modelkit import default_layers, leaf_layers


def describe_model(model: nn.Module, input_shape: Sequence[int]) -> list[dict]:
    """Summarise every leaf module in one dry forward pass (``convlens.modelkit.leaf_layers``).

    Runs a batch of zeros without gradients with the model in eval mode; the model's state is
    restored and every hook removed afterwards, also when the pass fails.

    Args:
        model: Any ``nn.Module``.
        input_shape: ``(C, H, W)`` or ``(N, C, H, W)``.

    Returns:
        One dict per leaf module in model order: ``name``, ``type`` (class name),
        ``output_shape`` (list without the batch dimension; ``None`` if the module did not run
        or returned no tensor) and ``n_params`` (the module's own parameters).

    Raises:
        UserInputError: The input shape does not fit the model.
    """
    shape = tuple(int(s) for s in input_shape)
    if len(shape) == 3:
        shape = (1, *shape)
    if len(shape) != 4 or min(shape) < 1:
        raise UserInputError(f"input_shape must be (C, H, W) or (N, C, H, W), got {input_shape}")
    try:
        infos = leaf_layers(model, torch.zeros(shape), idle=True)
    except UserInputError:
        raise
    except (RuntimeError, ValueError, TypeError) as err:
        raise UserInputError(
            f"{type(model).__name__} cannot take input of shape {list(shape)} ({err}): build it "
            "for pictures of that size and channels (a factory may take in_channels and "
            "image_size) or give pictures that fit it (--image-size)"
        ) from err
    by_name = {i.name: i for i in infos}
    return [
        {
            "name": name,
            "type": info.type,
            "output_shape": list(info.out_shape) if info.returns_tensor else None,
            "n_params": info.params,
        }
        for name, _ in model.named_modules()
        if (info := by_name.get(name)) is not None
    ]


__all__ = ["default_layers", "describe_model"]
