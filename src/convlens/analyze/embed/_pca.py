"""PCA fitted on every epoch stacked: one pair of axes shared by all epochs (a fast baseline)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ._base import EMBEDDERS, EpochEmbedder
from ._validate import check_random_state


@EMBEDDERS.register("pca", help="PCA on all epochs stacked: shared axes, deterministic, instant")
class PCAEmbedder(EpochEmbedder):
    """Projects every epoch onto the top two principal axes of all epochs stacked.

    The axes are shared, so motion between epochs is real motion in the layer's space; each
    axis's sign is fixed so that its largest loading is positive. ``partial_fit`` projects a new
    epoch onto the axes found so far (the axes, and so the earlier layouts, do not change).

    Args:
        random_state: Unused (PCA here is exact and deterministic); accepted so every embedder
            takes the same seed argument.
    """

    method = "pca"

    def __init__(self, random_state: int | None = None) -> None:
        self.random_state = random_state

    def _validate_params(self) -> None:
        check_random_state(0 if self.random_state is None else self.random_state)

    def _min_points(self) -> int:
        return 1  # exact for any count: one point sits at 0, two on a line through 0

    def _start(self, first: np.ndarray, epochs: Sequence[np.ndarray]) -> None:
        d = first.shape[1]
        total = np.zeros(d, dtype=np.float64)
        count = 0
        for x in epochs:
            total += x.sum(axis=0, dtype=np.float64)
            count += x.shape[0]
        mean = total / count
        vals, axes = _top_axes(epochs, mean, count, d)
        if axes.shape[1] < 2:  # a single feature: the second axis is empty
            axes = np.hstack([axes, np.zeros((d, 2 - axes.shape[1]))])
            vals = np.concatenate([vals, np.zeros(2 - len(vals))])
        biggest = np.argmax(np.abs(axes), axis=0)
        signs = np.sign(axes[biggest, np.arange(2)])
        signs[signs == 0] = 1.0
        self.mean_ = mean
        self.components_ = (axes * signs).T  # [2, D], as scikit-learn's PCA
        self.explained_variance_ = vals / max(count - 1, 1)

    def _embed_epoch(self, x: np.ndarray, index: int, previous: np.ndarray | None) -> np.ndarray:
        return ((x.astype(np.float64) - self.mean_) @ self.components_.T).astype(np.float32)

    def _extra_params(self) -> dict[str, Any]:
        return {"explained_variance": [float(v) for v in self.explained_variance_]}


SMALL_FEATURES = 256
"""Up to this many features the ``[D, D]`` scatter matrix is always the route (exact, cheap)."""
EXACT_FEATURES = 1024
"""Up to this many features the ``[D, D]`` scatter matrix is formed and fully decomposed
(about a second at 1,024); wider layers never form it."""
GRAM_POINTS = 1_000
"""Up to this many points (all epochs, and fewer than the features) a layer wider than
``SMALL_FEATURES`` is decomposed through its ``[N, N]`` Gram matrix, exactly."""


def _top_axes(
    epochs: Sequence[np.ndarray], mean: np.ndarray, count: int, d: int
) -> tuple[np.ndarray, np.ndarray]:
    """The two largest eigenvalues of the centred scatter matrix and their axes ``[D, 2]``.

    By shape: few points of a wide layer (a snapshot of a few pictures of a 4,096-wide layer),
    the ``[N, N]`` Gram matrix, whose eigenvectors map onto the same axes, exactly; up to
    ``EXACT_FEATURES`` features, the whole ``[D, D]`` scatter, exactly; otherwise randomised
    subspace iteration (Halko, Martinsson and
    Tropp 2011: 16 vectors, 20 power steps, a fixed seed, so the same axes every time) over the
    epochs one at a time, never ``[D, D]`` in memory. A full eigendecomposition of a 4,096-wide
    layer's scatter took 25-66 s on 2 cores.
    """
    if d > SMALL_FEATURES and count <= GRAM_POINTS and count < d:
        xc = np.concatenate([x.astype(np.float64) for x in epochs]) - mean
        gvals, gvecs = np.linalg.eigh(xc @ xc.T)
        order = np.argsort(gvals)[::-1][:2]
        vals = np.maximum(gvals[order], 0.0)
        axes = xc.T @ gvecs[:, order]
        norms = np.linalg.norm(axes, axis=0)
        return vals, np.divide(axes, norms, out=np.zeros_like(axes), where=norms > 0)
    if d <= EXACT_FEATURES:
        scatter = np.zeros((d, d), dtype=np.float64)
        for x in epochs:
            xc = x.astype(np.float64) - mean
            scatter += xc.T @ xc
        vals, vecs = np.linalg.eigh(scatter)
        order = np.argsort(vals)[::-1][:2]
        return vals[order], vecs[:, order]
    return _subspace_axes(epochs, mean, d)


def _subspace_axes(
    epochs: Sequence[np.ndarray], mean: np.ndarray, d: int, width: int = 16, steps: int = 20
) -> tuple[np.ndarray, np.ndarray]:
    """Top-2 eigenpairs of the centred scatter by randomised subspace iteration."""

    def scatter_times(v: np.ndarray) -> np.ndarray:
        out = np.zeros_like(v)
        shift = mean @ v  # centring without a centred copy: (x - m) v = x v - m v
        for x in epochs:
            u = (x @ v.astype(x.dtype, copy=False)).astype(np.float64) - shift
            out += (x.T @ u.astype(x.dtype)).astype(np.float64) - np.outer(mean, u.sum(axis=0))
        return out

    q, _ = np.linalg.qr(np.random.default_rng(0).standard_normal((d, min(width, d))))
    for _ in range(steps):
        q, _ = np.linalg.qr(scatter_times(q))
    small = q.T @ scatter_times(q)  # Rayleigh-Ritz on the subspace
    vals, vecs = np.linalg.eigh((small + small.T) / 2)
    order = np.argsort(vals)[::-1][:2]
    return vals[order], q @ vecs[:, order]
