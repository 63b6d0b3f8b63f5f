"""What the views share: number helpers and the words their explanations reuse (no torch)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from convlens.core import NotFoundError

if TYPE_CHECKING:
    from torch import nn


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    out: np.ndarray = e / e.sum(axis=-1, keepdims=True)
    return out


def finite(values: np.ndarray) -> list[float | None]:
    """Floats for JSON, ``None`` where a value is not finite."""
    return [None if not np.isfinite(v) else float(v) for v in values]


def to_unit(coords: np.ndarray) -> np.ndarray:
    """Shift and scale ``[..., 2]`` points into [-0.95, 0.95] with one scale for both axes."""
    flat = coords.reshape(-1, 2)
    lo, hi = flat.min(axis=0), flat.max(axis=0)
    centre = (lo + hi) / 2
    half = float((hi - lo).max()) / 2 or 1.0
    out: np.ndarray = ((coords - centre) / half * 0.95).astype(np.float32)
    return out


def modules(model: nn.Module) -> dict[str, nn.Module]:
    """The model's named sub-modules (not the model itself)."""
    return {n: m for n, m in model.named_modules() if n}


def check_layer(model: nn.Module, layer: str) -> nn.Module:
    """The sub-module named ``layer``; an unknown name lists the leaf layers there are."""
    mods = modules(model)
    if layer not in mods:
        leaves = [n for n, m in mods.items() if not list(m.children())]
        raise NotFoundError(
            f"the model has no layer '{layer[:80]}': layers are {', '.join(leaves[:40])}"
        )
    return mods[layer]


# -- words ------------------------------------------------------------------------------------


def plural(n: int, word: str, many: str | None = None) -> str:
    """``n`` and the word in the right number: ``1 image``, ``3 images``, ``2 mice`` (``many``)."""
    return f"{n} {word if n == 1 else many or word + 's'}"


def cap(text: str) -> str:
    """``text`` with a capital first letter, for a sentence that opens with a class name."""
    return text[:1].upper() + text[1:]


def pct(p: float) -> str:
    """``0.734`` as ``73%``."""
    return f"{round(100 * float(p))}%"


def shape_words(shape: Sequence[int]) -> str:
    """A layer output's shape in words: ``16 maps of 12×12 points`` or ``10 numbers``."""
    if len(shape) == 3:
        return f"{plural(shape[0], 'map')} of {shape[1]}×{shape[2]} points"
    return plural(int(np.prod(shape)), "number")
