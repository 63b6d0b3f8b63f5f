"""Sampling, tensor conversion and augmentation shared by every dataset."""

from __future__ import annotations

import numpy as np
import torch

from convlens.core import UserInputError


def stratified_probe(labels: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Choose ``n`` indices with an equal share of every class.

    Shares are as equal as possible: a class with fewer images than its share gives the rest to
    the other classes, and the remainder of ``n / n_classes`` goes to classes picked with
    ``seed``. The same ``labels``, ``n`` and ``seed`` always give the same indices.

    Args:
        labels: Class index of every image, ``[N]``.
        n: How many indices to choose; ``n >= N`` chooses all of them.
        seed: Seed of the choice.

    Returns:
        Sorted ``int64`` indices into ``labels``.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"labels must be one-dimensional, got shape {list(labels.shape)}")
    if n < 0:
        raise ValueError(f"n must be at least 0, got {n}")
    if n >= len(labels):
        return np.arange(len(labels), dtype=np.int64)
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(labels, return_counts=True)
    quota = _equal_shares(counts, n, rng)
    chosen = [
        rng.choice(np.flatnonzero(labels == c), size=q, replace=False)
        for c, q in zip(classes.tolist(), quota.tolist(), strict=True)
        if q
    ]
    if not chosen:
        return np.zeros(0, dtype=np.int64)
    return np.sort(np.concatenate(chosen)).astype(np.int64)


def _equal_shares(counts: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Split ``n`` over classes of sizes ``counts`` as equally as their sizes allow."""
    quota = np.zeros(len(counts), dtype=np.int64)
    remaining = n
    while remaining > 0:
        open_ = np.flatnonzero(quota < counts)
        share = remaining // len(open_)
        if share == 0:
            lucky = rng.permutation(open_)[:remaining]
            quota[lucky] += 1
            break
        add = np.minimum(share, counts[open_] - quota[open_])
        quota[open_] += add
        remaining -= int(add.sum())
    return quota


def take_per_class(labels: np.ndarray, per_class: int | None, seed: int) -> np.ndarray:
    """Sorted indices of at most ``per_class`` images of every class, chosen with ``seed``."""
    if per_class is None:
        return np.arange(len(labels), dtype=np.int64)
    check_per_class("per_class", per_class)
    rng = np.random.default_rng(seed)
    chosen = []
    for c in np.unique(labels).tolist():
        idx = np.flatnonzero(labels == c)
        if len(idx) > per_class:
            idx = rng.choice(idx, size=per_class, replace=False)
        chosen.append(idx)
    return np.sort(np.concatenate(chosen)).astype(np.int64)


def stratified_split(
    labels: np.ndarray, test_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Split indices into sorted train and test indices, the same fraction of every class."""
    rng = np.random.default_rng(seed)
    train, test = [], []
    for c in np.unique(labels).tolist():
        idx = rng.permutation(np.flatnonzero(labels == c))
        n_test = int(round(len(idx) * test_fraction))
        test.append(idx[:n_test])
        train.append(idx[n_test:])
    return (
        np.sort(np.concatenate(train)).astype(np.int64),
        np.sort(np.concatenate(test)).astype(np.int64),
    )


def check_per_class(name: str, value: int | None) -> None:
    """Raise ``UserInputError`` unless ``value`` is ``None`` or a positive integer."""
    if value is not None and (not isinstance(value, int) or value < 1):
        raise UserInputError(f"{name} must be a positive whole number, got {value!r}")


def images_to_tensor(images: np.ndarray) -> torch.Tensor:
    """Turn ``uint8 [N, H, W, C]`` images into a ``float32 [N, C, H, W]`` tensor in ``[0, 1]``."""
    images = np.asarray(images)
    if images.dtype != np.uint8 or images.ndim != 4:
        raise ValueError(
            f"images must be uint8 [N, H, W, C], got {images.dtype} {list(images.shape)}"
        )
    x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2)
    return x.to(torch.float32).div_(255.0).contiguous()


def augment_batch(
    x: torch.Tensor, generator: torch.Generator, *, max_shift: int | None = None, flip: bool = False
) -> torch.Tensor:
    """Shift every image by a few random pixels (and mirror half of them if ``flip``).

    Edges are extended (replicate padding), so a white background stays white and a black one
    black. The result depends only on ``x`` and the state of ``generator``.

    Args:
        x: Images ``[N, C, H, W]``.
        generator: A CPU ``torch.Generator``; it is advanced.
        max_shift: Largest shift in pixels; default ``max(1, round(min(H, W) / 16))``
            (4 pixels at 64, 2 at 28, 1 at 16).
        flip: Mirror a random half of the images left-right; only where that keeps the class
            (``Dataset.hflip``).

    Returns:
        A new tensor like ``x``.
    """
    if x.ndim != 4:
        raise ValueError(f"x must be [N, C, H, W], got shape {list(x.shape)}")
    n, _, h, w = x.shape
    k = max(1, round(min(h, w) / 16)) if max_shift is None else int(max_shift)
    shifts = torch.randint(-k, k + 1, (n, 2), generator=generator)
    flips = torch.rand(n, generator=generator) < 0.5 if flip else None
    if k == 0 or n == 0:
        out = x.clone()
    else:
        padded = torch.nn.functional.pad(x, (k, k, k, k), mode="replicate")
        shifts = shifts.to(x.device)
        rows = torch.arange(h, device=x.device)[None, :] + k + shifts[:, :1]  # [N, H]
        cols = torch.arange(w, device=x.device)[None, :] + k + shifts[:, 1:]  # [N, W]
        batch = torch.arange(n, device=x.device)[:, None, None]
        # [N, C, H+2k, W+2k] -> [N, H+2k, W+2k, C] so advanced indexing picks whole pixels.
        out = padded.permute(0, 2, 3, 1)[batch, rows[:, :, None], cols[:, None, :]]
        out = out.permute(0, 3, 1, 2).contiguous()
    if flips is not None and bool(flips.any()):
        flips = flips.to(x.device)
        out[flips] = out[flips].flip(-1)
    return out
