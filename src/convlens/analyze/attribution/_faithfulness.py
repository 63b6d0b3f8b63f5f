"""Checking an attribution map: deletion and insertion curves (Petsiuk et al., RISE)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from convlens.core import UserInputError
from convlens.modelkit import check_images, check_target, guarded, logits_of, model_device_dtype

# -- checking a map: deletion and insertion curves -------------------------------------------


@dataclass(frozen=True)
class DeletionInsertion:
    """Deletion and insertion scores of one attribution map (Petsiuk et al., RISE).

    Attributes:
        deletion: Area under the deletion curve in ``[0, 1]``; lower is better.
        insertion: Area under the insertion curve in ``[0, 1]``; higher is better.
        deletion_curve: ``[steps + 1]`` probability of the target as the top 0 %, ..., 100 %
            of pixels are set to the baseline.
        insertion_curve: ``[steps + 1]`` probability as they are put back into the baseline.
    """

    deletion: float
    insertion: float
    deletion_curve: np.ndarray
    insertion_curve: np.ndarray


def _area(curve: np.ndarray) -> float:
    """Trapezoid area of a curve sampled evenly over ``[0, 1]``."""
    return float(((curve[1:] + curve[:-1]) / 2).sum() / (len(curve) - 1))


def deletion_insertion(
    model: nn.Module,
    x: torch.Tensor,
    heatmap: np.ndarray,
    target: int,
    *,
    steps: int = 20,
    batch_size: int = 16,
    baseline: float = 0.0,
) -> DeletionInsertion:
    """Score a map by deleting (and inserting) pixels in the order the map ranks them.

    Pixels are ranked by ``heatmap``, highest first (ties: row-major order). Deletion sets the
    top ``k / steps`` of pixels (all channels) to ``baseline`` and records the softmax
    probability of ``target``; insertion starts from an image filled with ``baseline`` and puts
    the top pixels back. The baseline is a constant (zero by default, the same as integrated
    gradients and occlusion use), not a blurred copy: it is simple to explain and has no extra
    parameters. Runs without gradients, ``batch_size`` images per forward pass.

    Args:
        model: Any ``nn.Module`` returning class scores.
        x: One image ``[1, C, H, W]``.
        heatmap: ``[H, W]`` attribution map, e.g. from ``Attribution.attribute``.
        target: Class index.
        steps: Number of steps from 0 % to 100 % of the pixels.
        batch_size: Images per forward pass (bounds memory).
        baseline: Value that replaces deleted pixels.

    Raises:
        UserInputError: Bad image, a heatmap of another size, ``target`` out of range,
            ``steps`` or ``batch_size`` below 1.
    """
    x = check_images(x, single=True)
    h, w = x.shape[2:]
    heat = np.asarray(heatmap, dtype=np.float64)
    if heat.shape != (h, w):
        raise UserInputError(f"heatmap must have the image's size {(h, w)}, got {heat.shape}")
    if not np.isfinite(heat).all():
        raise UserInputError("heatmap contains NaN or infinite values: give finite scores")
    if steps < 1 or batch_size < 1:
        raise UserInputError(f"steps and batch_size must be at least 1, got {steps}, {batch_size}")
    order = np.argsort(-heat.ravel(), kind="stable")
    rank = np.empty(h * w, dtype=np.int64)
    rank[order] = np.arange(h * w)
    counts = np.round(np.linspace(0, h * w, steps + 1)).astype(np.int64)
    device, dtype = model_device_dtype(model)
    x = x.to(device=device, dtype=dtype)
    with guarded(model, grad=False):
        target = check_target(target, logits_of(model, x).shape[1])
        rank_t = torch.from_numpy(rank).to(device).view(1, 1, h, w)
        base = torch.full_like(x, float(baseline))
        curves: dict[str, list[np.ndarray]] = {"deletion": [], "insertion": []}
        for start in range(0, steps + 1, batch_size):
            k = torch.from_numpy(counts[start : start + batch_size]).to(device).view(-1, 1, 1, 1)
            top = rank_t < k  # [B, 1, H, W]: the pixels removed (deletion) or shown (insertion)
            for kind, imgs in (
                ("deletion", torch.where(top, base, x)),
                ("insertion", torch.where(top, x, base)),
            ):
                probs = torch.softmax(logits_of(model, imgs).float(), dim=1)[:, target]
                curves[kind].append(probs.cpu().numpy().astype(np.float64))
    deletion = np.concatenate(curves["deletion"])
    insertion = np.concatenate(curves["insertion"])
    return DeletionInsertion(
        deletion=_area(deletion),
        insertion=_area(insertion),
        deletion_curve=deletion,
        insertion_curve=insertion,
    )
