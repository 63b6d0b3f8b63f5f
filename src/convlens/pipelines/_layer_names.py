"""Plain names for layers, the one source for the video's panel titles and the web's layer
pickers (the server sends them with every list of layers).

A layer with feature maps is a *filter layer*, a flat one a *combining layer*, and the last of
them, when it gives one number per class, *the answer layer*. The number is the one in a plain
``name<N>`` (``conv2``), else the layer's place among its kind in the list. Where the layer's
type is known (``Conv2d``, ``ReLU``...), a step that is neither (ReLU, pooling) is named by what
it does. No torch: the types are class names.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

_SUFFIX = {1: "st", 2: "nd", 3: "rd"}

#: What a step that is neither a filter nor a combining layer does, by its type's name.
STEPS: tuple[tuple[str, str], ...] = (
    (r"relu|gelu|silu|sigmoid|tanh|elu|hardswish|mish", "on/off step"),
    (r"pool", "shrinking step"),
    (r"norm", "rescaling step"),
    (r"dropout", "dropout step (training only)"),
    (r"flatten", "flattening step"),
    (r"softmax", "answer step"),
)

ANSWER = "the answer layer"


class LayerShape(NamedTuple):
    """What a plain name is made from: the layer's name, its type when the model is at hand and
    its output shape without the batch ([C, H, W] for maps, [N] for flat), when known."""

    name: str
    type: str | None = None
    shape: Sequence[int] | None = None


def ordinal(n: int) -> str:
    """``1st``, ``2nd``, ``3rd``, ``4th``, ``11th``, ``21st``."""
    return f"{n}{'th' if n % 100 in (11, 12, 13) else _SUFFIX.get(n % 10, 'th')}"


def _kind(layer: LayerShape) -> str | None:
    if layer.type:
        if re.search("conv", layer.type, re.I):
            return "filter"
        if re.search("linear", layer.type, re.I):
            return "combining"
        return next((words for pat, words in STEPS if re.search(pat, layer.type, re.I)), None)
    if not layer.shape:
        return None
    return "filter" if len(layer.shape) >= 3 else "combining"


def plain_layer_names(layers: Sequence[LayerShape], n_classes: int) -> list[str | None]:
    """The plain name of each layer (``"2nd filter layer"``, ``"the answer layer"``,
    ``"on/off step"``), or None where there is none to give. ``n_classes``: how many kinds the
    network tells apart."""
    kinds = [_kind(layer) for layer in layers]
    weighted = [i for i, k in enumerate(kinds) if k in ("filter", "combining")]
    last = weighted[-1] if weighted else -1
    seen = {"filter": 0, "combining": 0}
    out: list[str | None] = []
    for i, (layer, kind) in enumerate(zip(layers, kinds, strict=True)):
        if kind not in seen:
            out.append(kind)
            continue
        seen[kind] += 1
        shape = list(layer.shape or [])
        if kind == "combining" and i == last and shape == [n_classes]:
            out.append(ANSWER)
            continue
        m = re.fullmatch(r"[A-Za-z_]+(\d+)", layer.name)
        n = int(m.group(1)) if m and int(m.group(1)) > 0 else seen[kind]
        out.append(f"{ordinal(n)} {kind} layer")
    return out
