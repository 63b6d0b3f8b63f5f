"""Looking at a model without changing it: default layers to record, a per-layer summary."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from convlens.core import HookSet, UserInputError

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


def _first_tensor(output: object) -> torch.Tensor | None:
    if isinstance(output, torch.Tensor):
        return output
    if isinstance(output, (list, tuple)):
        for item in output:
            found = _first_tensor(item)
            if found is not None:
                return found
    return None


def describe_model(model: nn.Module, input_shape: Sequence[int]) -> list[dict]:
    """Summarise every leaf module in one dry forward pass.

    Runs a batch of zeros under ``torch.no_grad`` with the model in eval mode; every module's
    ``training`` flag is restored and every hook removed afterwards, also when the pass fails.

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
    leaves = [(n, m) for n, m in model.named_modules() if n and not any(m.children())]
    outputs: dict[str, list[int] | None] = {}
    param = next(model.parameters(), None)
    x = torch.zeros(
        shape,
        device=param.device if param is not None else "cpu",
        dtype=param.dtype if param is not None and param.is_floating_point() else torch.float32,
    )

    def record(name: str):
        def hook(module: nn.Module, args: object, output: object) -> None:
            if name not in outputs:
                t = _first_tensor(output)
                outputs[name] = list(t.shape[1:]) if t is not None else None

        return hook

    modes = {m: m.training for m in model.modules()}
    try:
        with HookSet() as hooks, torch.no_grad():
            for name, module in leaves:
                hooks.add(module.register_forward_hook(record(name)))
            model.eval()
            try:
                model(x)
            except (RuntimeError, ValueError, TypeError) as err:
                raise UserInputError(
                    f"{type(model).__name__} cannot take input of shape {list(shape)}: {err}"
                ) from err
    finally:
        for m, mode in modes.items():
            m.training = mode
    return [
        {
            "name": name,
            "type": type(module).__name__,
            "output_shape": outputs.get(name),
            "n_params": sum(p.numel() for p in module.parameters(recurse=False)),
        }
        for name, module in leaves
    ]
