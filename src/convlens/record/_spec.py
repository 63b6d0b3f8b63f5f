"""A model spec given for a new run is checked against the model: it must rebuild it.

A ``package.module:factory`` that builds another model (``torchvision.models:googlenet`` for
a ``googlenet(num_classes=3, aux_logits=False)``) was stored silently, and every view that
runs the model answered 409 later ("weights ... do not fit GoogLeNet: missing aux1...").
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from convlens.core import UserInputError
from convlens.modelkit import IMPORT_SPEC, call_factory


def _module(name: str) -> Any:
    """The module ``name``, imported; the running script itself when it is the one named
    (``spec='train:make'`` from ``python train.py``: importing it would run it again)."""
    main = sys.modules.get("__main__")
    main_file = getattr(main, "__file__", None)
    if name not in sys.modules and main_file:
        found = importlib.util.find_spec(name)
        if found is not None and found.origin:
            with contextlib.suppress(OSError):
                if Path(found.origin).resolve() == Path(main_file).resolve():
                    return main
    return importlib.import_module(name)


def _factory_of(spec: str) -> Any:
    module_name, _, qual = spec.partition(":")
    obj: Any = _module(module_name)
    for part in qual.split("."):
        obj = getattr(obj, part)
    return obj


def _shapes(model: nn.Module) -> dict[str, tuple[int, ...]]:
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}


_NOT_IMPORTED = ("torchvision", "timm", "onnx")  # sources convlens.models builds itself


def _quietly_built(factory: Any, sizes: dict[str, int], device: str) -> Any:
    """Built on ``device``, the caller's random state untouched, the factory's warnings (e.g.
    GoogLeNet's notice about its initialisation) unheard."""
    with torch.random.fork_rng(devices=[]), torch.device(device), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return call_factory(factory, sizes)


def _names(keys: Sequence[str]) -> str:
    return ", ".join(keys[:3]) + (", …" if len(keys) > 3 else "")


def check_spec(model: nn.Module, spec: str, sizes: dict[str, int]) -> None:
    """Refuse a ``package.module:factory`` spec that does not rebuild ``model``: the factory is
    called with the run's sizes (on the meta device where it builds there, else on the CPU,
    the caller's random state untouched) and its parameter names and shapes must be
    ``model``'s. Other specs (``torchvision:``, ``timm:``, ONNX, model names) are not checked.

    Raises:
        UserInputError: The factory cannot be imported or called, or builds another model
            (says what differs, first few names, and what to give instead).
    """
    spec = str(spec).strip()
    if not IMPORT_SPEC.match(spec) or spec.partition(":")[0] in _NOT_IMPORTED:
        return
    factory_name = spec.rpartition(".")[2].rpartition(":")[2]
    fix = (
        "give a factory that builds exactly your model, e.g. a function in your own module: "
        f"def make(num_classes): return {factory_name}(num_classes=num_classes, <your other "
        "arguments>), then spec='yourmodule:make'"
    )
    try:
        factory = _factory_of(spec)
        try:  # on the meta device: no memory, no time (a factory may need real tensors)
            built = _quietly_built(factory, sizes, "meta")
        except Exception:  # noqa: BLE001 - tried again on the CPU, where it raises for real
            built = _quietly_built(factory, sizes, "cpu")
    except Exception as err:  # noqa: BLE001 - the user's factory: say what it raised
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise UserInputError(
            f"spec '{spec}' cannot build a model with "
            f"{', '.join(f'{k}={v}' for k, v in sizes.items())} ({first}): {fix}"
        ) from None
    if not isinstance(built, nn.Module):
        raise UserInputError(f"spec '{spec}' gives {type(built).__name__}, not a model: {fix}")
    mine, theirs = _shapes(model), _shapes(built)
    if mine == theirs:
        return
    missing = [k for k in theirs if k not in mine]
    extra = [k for k in mine if k not in theirs]
    shaped = [k for k in mine if k in theirs and mine[k] != theirs[k]]
    differs = []
    if missing:
        differs.append(f"it has {len(missing)} weights yours lacks ({_names(missing)})")
    if extra:
        differs.append(f"yours has {len(extra)} it lacks ({_names(extra)})")
    if shaped:
        k = shaped[0]
        differs.append(
            f"{len(shaped)} differ in shape ({k}: yours {list(mine[k])}, its {list(theirs[k])})"
        )
    raise UserInputError(
        f"spec '{spec}' does not rebuild your {type(model).__name__}: {'; '.join(differs)}: {fix}"
    )
