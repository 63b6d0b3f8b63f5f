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
        scatter = np.zeros((d, d), dtype=np.float64)
        for x in epochs:
            xc = x.astype(np.float64) - mean
            scatter += xc.T @ xc
        vals, vecs = np.linalg.eigh(scatter)
        order = np.argsort(vals)[::-1][:2]
        axes = vecs[:, order]
        if axes.shape[1] < 2:  # a single feature: the second axis is empty
            axes = np.hstack([axes, np.zeros((d, 2 - axes.shape[1]))])
        biggest = np.argmax(np.abs(axes), axis=0)
        signs = np.sign(axes[biggest, np.arange(2)])
        signs[signs == 0] = 1.0
        self.mean_ = mean
        self.components_ = (axes * signs).T  # [2, D], as scikit-learn's PCA
        self.explained_variance_ = vals[order] / max(count - 1, 1)

    def _embed_epoch(self, x: np.ndarray, index: int, previous: np.ndarray | None) -> np.ndarray:
        return ((x.astype(np.float64) - self.mean_) @ self.components_.T).astype(np.float32)

    def _extra_params(self) -> dict[str, Any]:
        return {"explained_variance": [float(v) for v in self.explained_variance_]}
