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
        random_deletion_curve: The same curve for pixels taken in random order (the mean over
            ``random_orders`` seeded orders): what a map that knows nothing would score.
            ``None`` when ``random_orders`` was 0.
        random_insertion_curve: Likewise for insertion.
    """

    deletion: float
    insertion: float
    deletion_curve: np.ndarray
    insertion_curve: np.ndarray
    random_deletion_curve: np.ndarray | None = None
    random_insertion_curve: np.ndarray | None = None

    @property
    def random_deletion(self) -> float | None:
        """Area under the random-order deletion curve."""
        c = self.random_deletion_curve
        return None if c is None else _area(c)

    @property
    def random_insertion(self) -> float | None:
        """Area under the random-order insertion curve."""
        c = self.random_insertion_curve
        return None if c is None else _area(c)


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
    random_orders: int = 0,
    seed: int = 0,
    n_classes: int | None = None,
) -> DeletionInsertion:
    """Score a map by deleting (and inserting) pixels in the order the map ranks them.

    Pixels are ranked by ``heatmap``, highest first (ties: row-major order). Deletion sets the
    top ``k / steps`` of pixels (all channels) to ``baseline`` and records the softmax
    probability of ``target``; insertion starts from an image filled with ``baseline`` and puts
    the top pixels back. The baseline is a constant (zero by default, the same as integrated
    gradients and occlusion use), not a blurred copy: it is simple to explain and has no extra
    parameters. With ``random_orders`` > 0 the same curves are also computed for that many
    random pixel orders (``numpy`` generator seeded with ``seed``; the global seed is never
    used) and averaged: the baseline a map must beat. Runs without gradients; every masked
    image of every order goes through the model in batches of ``batch_size``, and the two
    ends (the whole image, the blank one) are shared by all curves.

    Args:
        model: Any ``nn.Module`` returning class scores.
        x: One image ``[1, C, H, W]``.
        heatmap: ``[H, W]`` attribution map, e.g. from ``Attribution.attribute``.
        target: Class index.
        steps: Number of steps from 0 % to 100 % of the pixels.
        batch_size: Images per forward pass (bounds memory).
        baseline: Value that replaces deleted pixels.
        random_orders: Random orders averaged into the random baseline (0: none).
        seed: Seed of the random orders.
        n_classes: The model's number of classes if known (saves nothing but a check).

    Raises:
        UserInputError: Bad image, a heatmap of another size, ``target`` out of range,
            ``steps`` or ``batch_size`` below 1, ``random_orders`` below 0.
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
    if random_orders < 0:
        raise UserInputError(f"random_orders must be 0 or more, got {random_orders}")
    rng = np.random.default_rng(seed)
    orders = [np.argsort(-heat.ravel(), kind="stable")]
    orders += [rng.permutation(h * w) for _ in range(random_orders)]
    ranks = np.empty((len(orders), h * w), dtype=np.int64)
    for i, order in enumerate(orders):
        ranks[i, order] = np.arange(h * w)
    counts = np.round(np.linspace(0, h * w, steps + 1)).astype(np.int64)[1:-1]
    # every masked image: (order, count, kind) for the inner counts; the ends are shared
    jobs = [(o, k, kind) for o in range(len(orders)) for k in counts for kind in (0, 1)]
    device, dtype = model_device_dtype(model)
    x = x.to(device=device, dtype=dtype)
    rank_t = torch.from_numpy(ranks).to(device).view(len(orders), 1, h, w)
    base = torch.full_like(x, float(baseline))
    with guarded(model, grad=False):
        if n_classes is None:
            n_classes = logits_of(model, x).shape[1]
        target = check_target(target, n_classes)
        ends = _probs(model, torch.cat([x, base]), target)  # [whole image, blank]
        probs: list[np.ndarray] = []
        for start in range(0, len(jobs), batch_size):
            chunk = jobs[start : start + batch_size]
            o = torch.tensor([j[0] for j in chunk], device=device)
            k = torch.tensor([int(j[1]) for j in chunk], device=device).view(-1, 1, 1, 1)
            kind = torch.tensor([j[2] for j in chunk], device=device).view(-1, 1, 1, 1)
            top = rank_t[o] < k  # [B, 1, H, W]: the pixels removed (deletion) or shown (insertion)
            shown = torch.where(kind == 0, ~top, top)
            probs.append(_probs(model, torch.where(shown, x, base), target))
    inner = np.concatenate(probs).reshape(len(orders), len(counts), 2) if jobs else None
    curves = np.empty((len(orders), 2, steps + 1))
    curves[:, 0, 0], curves[:, 0, -1] = ends[0], ends[1]  # deletion: whole → blank
    curves[:, 1, 0], curves[:, 1, -1] = ends[1], ends[0]  # insertion: blank → whole
    if inner is not None:
        curves[:, :, 1:-1] = inner.transpose(0, 2, 1)
    rand = curves[1:].mean(axis=0) if random_orders else None
    return DeletionInsertion(
        deletion=_area(curves[0, 0]),
        insertion=_area(curves[0, 1]),
        deletion_curve=curves[0, 0],
        insertion_curve=curves[0, 1],
        random_deletion_curve=None if rand is None else rand[0],
        random_insertion_curve=None if rand is None else rand[1],
    )


def _probs(model: nn.Module, imgs: torch.Tensor, target: int) -> np.ndarray:
    """Softmax probability of ``target`` for each image (no gradients)."""
    out = torch.softmax(logits_of(model, imgs).float(), dim=1)[:, target]
    return out.cpu().numpy().astype(np.float64)
