"""How well classes separate in a layer's own space: k-nearest-neighbour class purity."""

from __future__ import annotations

import numpy as np


def class_separation(
    features: np.ndarray, labels: np.ndarray, n_classes: int, k: int = 10
) -> tuple[np.ndarray, np.ndarray]:
    """Per-class purity and pairwise mixing of ``features`` ``[N, D]`` with classes ``labels``.

    For each point, its ``k`` nearest other points (Euclidean, in the layer's own space, after
    scaling every feature to unit variance so that no single unit dominates) vote: purity is the
    share of those neighbours of the point's own class, averaged over the class; mixing
    ``[i, j]`` is the share of class ``i``'s neighbours that belong to class ``j``, made symmetric
    (``(m_ij + m_ji) / 2``) so that it reads "how tangled are i and j".

    Returns:
        ``purity`` ``[C]`` (NaN for a class with no point) and ``mixing`` ``[C, C]`` (zero
        diagonal), both in 0..1.
    """
    X = np.asarray(features, np.float64).reshape(len(features), -1)
    y = np.asarray(labels, np.int64)
    if len(X) != len(y):
        raise ValueError(f"{len(X)} feature rows but {len(y)} labels")
    n = len(X)
    purity = np.full(n_classes, np.nan)
    mixing = np.zeros((n_classes, n_classes))
    if n < 2:
        return purity, mixing
    k = int(min(max(k, 1), n - 1))
    X = X - X.mean(axis=0)
    std = X.std(axis=0)
    X = X[:, std > 1e-12] / std[std > 1e-12]
    sq = (X**2).sum(axis=1)
    d = sq[:, None] + sq[None, :] - 2 * X @ X.T
    np.fill_diagonal(d, np.inf)
    nn = np.argpartition(d, k - 1, axis=1)[:, :k]
    votes = np.zeros((n, n_classes))
    np.add.at(votes, (np.repeat(np.arange(n), k), y[nn].ravel()), 1.0 / k)
    share = np.zeros((n_classes, n_classes))  # share[i, j]: mean vote of class i's points for j
    for c in range(n_classes):
        mine = y == c
        if mine.any():
            share[c] = votes[mine].mean(axis=0)
            purity[c] = share[c, c]
    mixing = (share + share.T) / 2
    np.fill_diagonal(mixing, 0.0)
    return purity, mixing
