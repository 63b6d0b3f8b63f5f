"""The words beside "what a layer computes" (``_compute``): plain, tied to the numbers shown."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def plural(n: int, one: str, many: str | None = None) -> str:
    """``1 input map`` / ``3 input maps``."""
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def conv_text(
    layer: str,
    channel: int,
    module: Any,
    n_inputs: int,
    n_rest: int,
    out_shape: Sequence[int],
    shown: Sequence[int],
) -> str:
    kh, kw = module.kernel_size
    sh, sw = module.stride
    over = "over its one input map" if n_inputs == 1 else f"for each of its {n_inputs:,} input maps"
    s = (
        f"Map {channel} of {layer} comes from one filter: a {kh}×{kw} grid of weights {over}. "
        "The filter slides over the input"
    )
    s += "." if (sh, sw) == (1, 1) else f", {plural(max(sh, sw), 'point')} at a time."
    s += (
        " At each stop it multiplies every number under it by the weight on top of it. Then it "
        "adds it all up, plus one fixed number (the bias). That sum is one point of the map."
    )
    if n_rest:
        s += (
            f" The {plural(n_inputs - n_rest, 'input map')} that add the most are shown one by "
            f"one. The other {n_rest} are added up into one sum."
        )
    if module.groups > 1:
        s += (
            f" This layer splits its maps into {module.groups} groups, so the filter reads only "
            "the maps of its own group."
        )
    if tuple(shown) != tuple(out_shape):
        s += (
            f" The map has {out_shape[0]}×{out_shape[1]} points. To keep it small, this shows "
            f"the {shown[0]}×{shown[1]} part around its strongest point."
        )
    return s


def linear_text(
    layer: str,
    channel: int,
    unit: str | None,
    n_inputs: int,
    n_shown: int,
    products: Any,
    bias: float,
) -> str:
    name = f"Unit {channel} of {layer}" + (f" (the score for {unit})" if unit else "")
    s = (
        f"{name} is a weighted sum. It multiplies each of its {plural(n_inputs, 'input')} by "
        "its own weight, adds it all up, and adds one fixed number (the bias)."
    )
    if n_inputs > n_shown:
        top = float(np.abs(np.asarray(products)).max()) if len(products) else 0.0
        s += (
            f" Here are the {n_shown} inputs that count the most (the biggest one moves the sum "
            f"by {top:.3f}); the other {n_inputs - n_shown:,} are added up into one sum."
        )
    return s


def stage_text(name: str, kind: str, module: Any, before: np.ndarray, after: np.ndarray) -> str:
    if not kind:
        if after.size == 1:
            return f"The sum from {name}, before any later step."
        return f"The map that {name} makes, before any later step. Red is plus, blue is minus."
    if kind in ("ReLU", "ReLU6", "LeakyReLU"):
        zero = float((after == 0).mean())
        if after.size == 1:
            below = float(before.reshape(-1)[0]) < 0
            return f"After the cut-off ({name}): " + (
                "the sum is below zero, so it becomes zero."
                if below
                else "the sum is not below zero, so it stays."
            )
        if not (before < 0).any():
            return f"After the cut-off ({name}): this map had no minus numbers, so nothing changes."
        return (
            f"After the cut-off ({name}): every minus number becomes zero and plus numbers stay. "
            f"{round(100 * zero)}% of it is now zero."
        )
    if kind in ("MaxPool2d", "AvgPool2d"):
        k = module.kernel_size
        k = k if isinstance(k, int) else k[0]
        keep = "biggest number" if kind == "MaxPool2d" else "average"
        return (
            f"After the shrink step ({name}): each {k}×{k} patch keeps only its {keep}. The map "
            f"goes from {before.shape[0]}×{before.shape[1]} to {after.shape[0]}×{after.shape[1]}."
        )
    return (
        f"After the rescale step ({name}): the numbers are moved and stretched into a steady range."
    )
