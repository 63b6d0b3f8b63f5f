"""How faithful and how steady a sequence of 2-D layouts is."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from convlens.core import UserInputError

from ._validate import check_epochs, check_positive_int

# Up to this many points, the neighbourhood scores are exact (scikit-learn's trustworthiness holds
# N x N matrices: 0.6 GB at 5,000 points). Above, they are estimated on a fixed random sample of
# ``_SAMPLE`` points whose neighbours are sought among all points, in blocks of ``_BLOCK`` rows,
# so memory stays linear in N (standard error about 0.001 on trustworthiness).
_EXACT_UP_TO = 5_000
_SAMPLE = 1_000
_BLOCK = 32


def _neighbours(x: np.ndarray, k: int) -> np.ndarray:
    """Indices of each point's ``k`` nearest other points."""
    from sklearn.neighbors import NearestNeighbors

    idx = NearestNeighbors(n_neighbors=k + 1).fit(x).kneighbors(x, return_distance=False)
    rows = np.arange(len(x))[:, None]
    # Drop the point itself wherever it landed (ties with duplicates); otherwise the last column.
    is_self = idx == rows
    keep = ~is_self
    keep[~is_self.any(axis=1), -1] = False
    return idx[keep].reshape(len(x), k)


def knn_preservation(x: np.ndarray, y: np.ndarray, n_neighbors: int) -> float:
    """Mean fraction of each point's ``k`` high-D neighbours among its ``k`` 2-D neighbours."""
    both = np.sort(np.hstack([_neighbours(x, n_neighbors), _neighbours(y, n_neighbors)]), axis=1)
    shared = (both[:, 1:] == both[:, :-1]).sum(axis=1)  # each set has no repeats
    return float(shared.mean() / n_neighbors)


def _normalised(y: np.ndarray) -> np.ndarray:
    yc = y.astype(np.float64) - y.mean(axis=0, dtype=np.float64)
    radius = np.sqrt((yc**2).sum(axis=1).mean())
    return yc / radius if radius > 0 else yc


def displacement(Y: np.ndarray) -> float:
    """Mean point distance between consecutive normalised layouts (0 for a single epoch)."""
    if len(Y) < 2:
        return 0.0
    steps = [
        np.linalg.norm(_normalised(Y[e + 1]) - _normalised(Y[e]), axis=1).mean()
        for e in range(len(Y) - 1)
    ]
    return float(np.mean(steps))


def embedding_quality(
    X: Sequence[np.ndarray] | np.ndarray, Y: np.ndarray, n_neighbors: int = 10
) -> dict[str, float]:
    """Score layouts ``Y`` of the epochs ``X``.

    Args:
        X: ``E`` arrays ``[N, D]`` (or one ``[E, N, D]`` array), the data that was embedded.
        Y: ``[E, N, 2]`` layouts, e.g. an embedder's ``embedding_``.
        n_neighbors: Neighbourhood size ``k`` for the two neighbourhood scores.

    Returns:
        ``trustworthiness``: mean over epochs of scikit-learn's trustworthiness (1 is best);
        ``knn_preservation``: mean fraction of each point's ``k`` high-D neighbours that are
        among its ``k`` 2-D neighbours (1 is best); ``displacement``: mean over consecutive
        epochs of the mean point distance after centring each layout and scaling it to unit RMS
        radius (lower is steadier; 0 for one epoch). Above 5,000 points the two neighbourhood
        scores are estimated on the same 1,000 points drawn at random (fixed seed), so memory
        stays linear in the number of points.
    """
    k = check_positive_int(n_neighbors, "n_neighbors")
    epochs = check_epochs(X, min_points=2 * k + 1)
    layouts = check_epochs(list(np.asarray(Y)) if np.ndim(Y) == 3 else Y, min_points=2 * k + 1)
    if len(layouts) != len(epochs):
        raise UserInputError(f"X has {len(epochs)} epochs but Y has {len(layouts)}")
    if layouts[0].shape[0] != epochs[0].shape[0]:
        raise UserInputError(
            f"X has {epochs[0].shape[0]} points per epoch but Y has {layouts[0].shape[0]}"
        )
    n = epochs[0].shape[0]
    if n > _EXACT_UP_TO:
        rows = np.sort(np.random.default_rng(0).choice(n, _SAMPLE, replace=False))
        scores = [sampled_scores(x, y, k, rows) for x, y in zip(epochs, layouts, strict=True)]
        tw = [t for t, _ in scores]
        kp = [p for _, p in scores]
    else:
        from sklearn.manifold import trustworthiness

        tw = [trustworthiness(x, y, n_neighbors=k) for x, y in zip(epochs, layouts, strict=True)]
        kp = [knn_preservation(x, y, k) for x, y in zip(epochs, layouts, strict=True)]
    return {
        "trustworthiness": float(np.mean(tw)),
        "knn_preservation": float(np.mean(kp)),
        "displacement": displacement(np.stack(layouts)),
    }


def sampled_scores(x: np.ndarray, y: np.ndarray, k: int, rows: np.ndarray) -> tuple[float, float]:
    """Trustworthiness and k-NN preservation estimated from the points ``rows``.

    Each sampled point's neighbours and ranks are taken among all points, as in the exact scores,
    so with ``rows`` = every point the result equals scikit-learn's trustworthiness (up to ties)
    and ``knn_preservation``. Memory: ``_BLOCK`` rows of distances at a time.
    """
    n = x.shape[0]
    x = np.asarray(x, dtype=np.float32)
    y = np.asarray(y, dtype=np.float64)
    sq_x = np.einsum("ij,ij->i", x, x, dtype=np.float64)
    sq_y = np.einsum("ij,ij->i", y, y)
    penalty = 0.0
    shared = 0
    for start in range(0, rows.size, _BLOCK):
        some = rows[start : start + _BLOCK]
        own = np.arange(some.size)
        dx = sq_x[some, None] - 2.0 * (x[some] @ x.T).astype(np.float64) + sq_x[None, :]
        dx[own, some] = np.inf
        dy = sq_y[some, None] - 2.0 * (y[some] @ y.T) + sq_y[None, :]
        dy[own, some] = np.inf
        near_x = np.argpartition(dx, k - 1, axis=1)[:, :k]
        near_y = np.argpartition(dy, k - 1, axis=1)[:, :k]
        both = np.sort(np.hstack([near_x, near_y]), axis=1)
        shared += int((both[:, 1:] == both[:, :-1]).sum())
        # rank of each 2-D neighbour among the point's high-D neighbours (1 = nearest)
        cut = np.take_along_axis(dx, near_y, axis=1)
        ranks = (dx[:, None, :] < cut[:, :, None]).sum(axis=2) + 1
        penalty += float(np.maximum(ranks - k, 0).sum())
    scale = 2.0 / (n * k * (2.0 * n - 3.0 * k - 1.0))
    trust = 1.0 - penalty * (n / rows.size) * scale
    return float(trust), float(shared / (rows.size * k))
