"""The layer summary (every layer module as it ran in one pass) and the default layers.

A *layer* is a module without children, or one with parameters of its own (a ``Conv2d``
subclass that holds a padding module still is a convolution). ``leaf_layers(every=True)``
lists every module whose output is a tensor, containers included: any of them can be recorded.
A module the forward pass calls more than once has no single output: every tool refuses it
with :func:`reused_message`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from convlens.core import HookSet, UserInputError

from ._checks import check_images, model_device_dtype
from ._state import guarded

_CONV = (nn.Conv1d, nn.Conv2d, nn.Conv3d)


def reused_message(name: str, calls: int) -> str:
    """The one message every tool gives for a module called ``calls`` times per pass."""
    return (
        f"layer '{name}' is called {calls} times per forward pass (a reused module), so its "
        "activity is ambiguous: give each use its own module, or choose the module that "
        "contains them"
    )


def call_counts(model: nn.Module, x: torch.Tensor) -> dict[str, tuple[int, bool]]:
    """How often each named module ran in one pass of ``x[:1]``, and whether it gave a tensor."""
    calls: dict[str, int] = {}
    tensor: dict[str, bool] = {}

    def record(name: str) -> Callable[[nn.Module, Any, Any], None]:
        def hook(_module: nn.Module, _args: Any, out: Any) -> None:
            calls[name] = calls.get(name, 0) + 1
            tensor[name] = isinstance(out, torch.Tensor)

        return hook

    device, dtype = model_device_dtype(model)
    x = x[:1].to(device=device, dtype=dtype if x.is_floating_point() else x.dtype)
    with guarded(model, grad=False), HookSet() as hooks:
        for name, module in model.named_modules():
            if name:
                hooks.add(module.register_forward_hook(record(name)))
        model(x)
    return {n: (c, tensor[n]) for n, c in calls.items()}


def _single_tensor_calls(model: nn.Module, x: torch.Tensor) -> set[str]:
    """Names of the modules that ran exactly once in a pass of ``x`` and returned a tensor."""
    return {n for n, (c, is_tensor) in call_counts(model, x).items() if c == 1 and is_tensor}


def check_single_use(model: nn.Module, x: torch.Tensor, name: str) -> None:
    """Refuse ``name`` with :func:`reused_message` if the forward pass calls it more than once.

    Raises:
        UserInputError: The module is reused (every view and the recorder say the same).
    """
    calls = call_counts(model, x).get(name, (0, True))[0]
    if calls > 1:
        raise UserInputError(reused_message(name, calls))


def default_layers(model: nn.Module, x: torch.Tensor | None = None) -> list[str]:
    """Names of the modules worth recording when the user names none.

    The last convolution and the penultimate ``Linear`` (the last hidden fully connected layer),
    in model order: ``["conv2", "fc1"]`` for ``paper``. A model with a single ``Linear``
    (``tinyvgg``, ResNets) gives its last convolution and that ``Linear`` (the class scores).
    Subclasses count (a ``Conv2d`` subclass is a convolution).

    Args:
        model: Any ``nn.Module``.
        x: An example input; with it, modules that run more than once per pass (reused) or
            return no tensor are left out, so the choice is one every tool accepts.

    Raises:
        UserInputError: The model has no convolution and no ``Linear`` (that runs once).
    """
    named = [(n, m) for n, m in model.named_modules() if n]
    if x is not None:
        usable = _single_tensor_calls(model, x)
        named = [(n, m) for n, m in named if n in usable]
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


def is_layer(module: nn.Module) -> bool:
    """A module without children, or one with parameters of its own (a conv with a padding
    child module)."""
    return not any(module.children()) or any(True for _ in module.parameters(recurse=False))


def type_matches(module: nn.Module, type_name: str) -> bool:
    """Whether ``module`` is of the class called ``type_name`` or of a subclass of it."""
    return any(cls.__name__ == type_name for cls in type(module).__mro__)


def leaf_layers(
    model: nn.Module, x: torch.Tensor, *, idle: bool = False, every: bool = False
) -> list[LayerInfo]:
    """Every layer module (see :func:`is_layer`) that ran in one forward pass of ``x``.

    Listed in execution order of their outputs; a module called twice is listed once, with its
    first output and ``calls == 2`` (refuse it with :func:`reused_message`).
    The pass runs in eval mode without gradients under :func:`preserve_model_state`; the hooks
    are removed afterwards, also when the pass raises (the error propagates).

    Args:
        model: Any ``nn.Module``.
        x: Images ``[N, C, H, W]``; one image is enough.
        idle: Also list the layers that did not run (``calls == 0``), after the others.
        every: List every module (containers too) instead of the layers only; those whose
            output is no tensor have ``returns_tensor == False``.

    Returns:
        One :class:`LayerInfo` per layer module that ran (and with ``idle``, per other one).
    """
    x = check_images(x)
    leaves = [(n, m) for n, m in model.named_modules() if n and (every or is_layer(m))]
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


_OUTPUT_OPTION: ContextVar[str | None] = ContextVar("convlens_output_option", default=None)
PYTHON_OUTPUT = "Recorder(..., output={choice!r})"
"""How a Python caller chooses the class scores (``select_output``'s message, by default)."""


@contextmanager
def output_option(template: str) -> Iterator[None]:
    """Name the output choice the way the entry point in use takes it, in ``select_output``'s
    message: ``template`` formats ``choice`` (``"--model-output {choice}"`` for the command
    line, ``"snapshot(..., output={choice!r})"``); the outermost entry point wins (the command
    line over the ``snapshot`` function it calls)."""
    token = _OUTPUT_OPTION.set(_OUTPUT_OPTION.get() or template)
    try:
        yield
    finally:
        _OUTPUT_OPTION.reset(token)


def _choose(choice: int | str) -> str:
    return (_OUTPUT_OPTION.get() or PYTHON_OUTPUT).format(choice=choice)


def select_output(out: Any, part: int | str | None) -> Any:
    """The class scores inside a model's output: ``out[part]`` of a tuple/list or dict.

    ``part`` is an index (an int, or a string of digits) or a key; ``None`` returns ``out``.

    Raises:
        UserInputError: ``part`` is not in the output; or, with ``part=None``, the output is a
            tuple, list or dict (the message lists what it holds and how to choose, in the
            terms of the entry point in use: :func:`output_option`).
    """
    if isinstance(out, torch.Tensor):
        if part is None:
            return out
        raise UserInputError(
            f"the model returns a tensor, not a tuple or dict: leave out the output choice "
            f"({part!r})"
        )
    if isinstance(out, Mapping):
        keys = [str(k) for k in out]
        if part is None:
            raise UserInputError(
                f"the model returns a dict ({', '.join(keys[:8])}), not a tensor of class "
                f"scores: say which entry holds them ({_choose(keys[0] if keys else 'KEY')})"
            )
        if str(part) not in keys:
            raise UserInputError(
                f"the model's output has no entry {part!r}: it has {', '.join(keys[:8])}"
            )
        return out[next(k for k in out if str(k) == str(part))]
    if isinstance(out, (tuple, list)):
        if part is None:
            kinds = ", ".join(
                f"{i}: {list(v.shape) if isinstance(v, torch.Tensor) else type(v).__name__}"
                for i, v in enumerate(out[:8])
            )
            raise UserInputError(
                f"the model returns a {type(out).__name__} of {len(out)} ({kinds}), not a tensor "
                f"of class scores: say which one holds them ({_choose(0)})"
            )
        try:
            return out[int(part)]
        except (ValueError, IndexError) as exc:
            raise UserInputError(
                f"output choice {part!r} is not an index of the model's {len(out)} outputs: "
                f"give 0 to {len(out) - 1}"
            ) from exc
    if part is None:
        raise UserInputError(
            f"the model returns {type(out).__name__}, not a tensor of class scores: wrap it so "
            "forward() returns the logits"
        )
    raise UserInputError(
        f"the model returns {type(out).__name__}, which has no part {part!r}: wrap it so "
        "forward() returns the logits"
    )
