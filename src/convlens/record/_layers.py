"""Choosing layers to record: by exact name, glob pattern or module type."""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence

from torch import nn

from convlens.core import UserInputError
from convlens.modelkit import type_matches

LayerSpec = str | type[nn.Module]


def _short_list(names: Sequence[str], n: int = 30) -> str:
    shown = ", ".join(names[:n])
    return shown + (f", ... ({len(names) - n} more)" if len(names) > n else "")


def resolve_layers(model: nn.Module, specs: Sequence[LayerSpec] | LayerSpec) -> list[str]:
    """Turn layer specs into module names of ``model``, in the model's order.

    A spec is an exact module name (``"fc1"``, ``"features.3"``), a glob (``"features.*"``), a
    type name (``"Conv2d"``) or a module class (``nn.Conv2d``); a type matches its subclasses
    too. Any module may be named, containers included (the Recorder checks that it returns a
    tensor and runs once). A comma-separated string is split.

    Raises:
        UserInputError: A spec matches nothing; the message lists the model's layers.
    """
    if isinstance(specs, str):
        specs = [s.strip() for s in specs.split(",") if s.strip()]
    elif isinstance(specs, type):
        specs = [specs]
    if not specs:
        raise UserInputError("no layers given: name at least one layer to record")
    named = [(n, m) for n, m in model.named_modules() if n]
    names = [n for n, _ in named]
    chosen: set[str] = set()
    for spec in specs:
        if isinstance(spec, type):
            hits = [n for n, m in named if isinstance(m, spec)]
            label = spec.__name__
        elif spec in names:
            hits = [spec]
            label = spec
        elif any(ch in spec for ch in "*?["):
            hits = [n for n in names if fnmatch.fnmatchcase(n, spec)]
            label = spec
        else:
            hits = [n for n, m in named if type_matches(m, spec)]
            label = spec
        if not hits:
            raise UserInputError(
                f"layer '{label}' matches no module of {type(model).__name__}: "
                f"available layers are {_short_list(names)}"
                + (
                    " (functional calls such as F.relu are not modules and cannot be recorded: "
                    "record the module before them, or use nn.ReLU)"
                    if label.lower() in {"relu", "f.relu", "gelu", "sigmoid", "tanh"}
                    else ""
                )
            )
        chosen.update(hits)
    return [n for n in names if n in chosen]
