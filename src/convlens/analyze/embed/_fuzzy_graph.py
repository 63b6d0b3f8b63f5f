"""UMAP's fuzzy neighbour graph and curve parameters, in NumPy/SciPy (no numba, no umap import).

These follow umap-learn's ``umap_.py`` (``smooth_knn_dist``, ``compute_membership_strengths``,
``fuzzy_simplicial_set`` with ``set_op_mix_ratio=1`` and ``local_connectivity=1``, and
``find_ab_params``) step by step, vectorised over points instead of compiled per point, so that
the default embedding path starts in milliseconds rather than after numba's JIT.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import scipy.sparse

_SMOOTH_K_TOLERANCE = 1e-5
_MIN_K_DIST_SCALE = 1e-3


@functools.lru_cache(maxsize=32)
def find_ab_params(spread: float, min_dist: float) -> tuple[float, float]:
    """Fit ``a, b`` of the low-dimensional similarity ``1 / (1 + a d^(2b))`` exactly as umap does.

    Args:
        spread: The scale of embedded points (umap's ``spread``).
        min_dist: How tightly points may pack (umap's ``min_dist``).

    Returns:
        The fitted ``(a, b)``.
    """

    from scipy.optimize import curve_fit

    def curve(x: np.ndarray, a: float, b: float) -> np.ndarray:
        return 1.0 / (1.0 + a * x ** (2 * b))

    xv = np.linspace(0, spread * 3, 300)
    yv = np.zeros(xv.shape)
    yv[xv < min_dist] = 1.0
    yv[xv >= min_dist] = np.exp(-(xv[xv >= min_dist] - min_dist) / spread)
    params, _ = curve_fit(curve, xv, yv)
    return float(params[0]), float(params[1])


def knn(x: np.ndarray, n_neighbors: int, chunk: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """Exact Euclidean k nearest neighbours of every row, the row itself first (umap's k).

    Brute force through one matrix product per block of rows, which beats tree and graph indexes
    up to a few thousand points (tens of dimensions after PCA); its cost grows with the square of
    the number of points, so larger sets go to ``_neighbours.ivf_knn`` instead.

    Returns:
        ``(indices [N, k] int64, distances [N, k] float32)``, nearest first.
    """
    x = np.ascontiguousarray(x, dtype=np.float32)
    n = x.shape[0]
    k = n_neighbors
    sq = np.einsum("ij,ij->i", x, x)
    idx = np.empty((n, k), dtype=np.int64)
    dist = np.empty((n, k), dtype=np.float32)
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        rows = np.arange(start, stop)
        d2 = x[start:stop] @ x.T
        d2 *= -2.0
        d2 += sq[start:stop, None]
        d2 += sq[None, :]
        d2[rows - start, rows] = -1.0  # the point itself always comes first
        part = np.argpartition(d2, k - 1, axis=1)[:, :k]
        # The product form loses precision for close points; recompute the k chosen exactly.
        diff = x[part] - x[start:stop, None, :]
        exact = np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))
        order = np.argsort(exact, axis=1, kind="stable")
        idx[start:stop] = np.take_along_axis(part, order, axis=1)
        dist[start:stop] = np.take_along_axis(exact, order, axis=1)
        own = idx[start:stop] == rows[:, None]
        if not own[:, 0].all():  # a duplicate tied with the point itself: put the point first
            bad = np.flatnonzero(~own[:, 0])
            col = np.argmax(own[bad], axis=1)
            block = idx[start:stop]
            block[bad, col] = block[bad, 0]
            block[bad, 0] = rows[bad]
    return idx, dist


def smooth_knn_dist(
    distances: np.ndarray, k: int, n_iter: int = 64
) -> tuple[np.ndarray, np.ndarray]:
    """Per-point bandwidth ``sigma`` and nearest distance ``rho`` (umap's ``smooth_knn_dist``).

    A bisection over all points at once; each point stops once within umap's tolerance.
    """
    distances = distances.astype(np.float64)
    n = distances.shape[0]
    target = np.log2(k)
    nonzero = distances > 0.0
    has_nonzero = nonzero.any(axis=1)
    first = np.argmax(nonzero, axis=1)
    rho = np.where(has_nonzero, distances[np.arange(n), first], 0.0)

    d = np.maximum(distances[:, 1:] - rho[:, None], 0.0)  # at or below rho counts 1, as exp(0)
    lo = np.zeros(n)
    hi = np.full(n, np.inf)
    mid = np.ones(n)
    active = np.ones(n, dtype=bool)
    for _ in range(n_iter):
        psum = np.exp(-d / mid[:, None]).sum(axis=1)
        active &= np.abs(psum - target) >= _SMOOTH_K_TOLERANCE
        if not active.any():
            break
        too_big = active & (psum > target)
        too_small = active & ~too_big
        hi = np.where(too_big, mid, hi)
        lo = np.where(too_small, mid, lo)
        new_mid = np.where(np.isinf(hi), mid * 2.0, (lo + hi) / 2.0)
        mid = np.where(active, new_mid, mid)

    floor = np.where(
        rho > 0.0, _MIN_K_DIST_SCALE * distances.mean(axis=1), _MIN_K_DIST_SCALE * distances.mean()
    )
    sigma = np.maximum(mid, floor)
    return sigma, rho


def fuzzy_graph(idx: np.ndarray, dist: np.ndarray) -> scipy.sparse.csr_matrix:
    """UMAP's symmetric fuzzy simplicial set (fuzzy union of the directed kNN graph).

    Args:
        idx: Neighbour indices ``[N, k]`` from ``knn``, the point itself first.
        dist: The matching distances.

    Returns:
        A symmetric sparse ``[N, N]`` matrix of membership strengths in ``(0, 1]``.
    """
    import scipy.sparse

    n, k = idx.shape
    sigma, rho = smooth_knn_dist(dist, k)
    excess = np.maximum(dist.astype(np.float64) - rho[:, None], 0.0)
    safe_sigma = np.where(sigma > 0, sigma, 1.0)[:, None]
    vals = np.where((excess <= 0.0) | (sigma[:, None] <= 0), 1.0, np.exp(-excess / safe_sigma))
    vals[idx == np.arange(n)[:, None]] = 0.0
    rows = np.repeat(np.arange(n), k)
    p = scipy.sparse.csr_matrix((vals.ravel(), (rows, idx.ravel())), shape=(n, n))
    p.eliminate_zeros()
    pt = p.T.tocsr()
    graph = (p + pt - p.multiply(pt)).tocsr()
    graph.eliminate_zeros()
    return graph


def edge_list(
    graph: scipy.sparse.csr_matrix, n_iter: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Undirected edges of a symmetric graph, each once, weights scaled so the largest is 1.

    Edges too weak to be sampled even once in ``n_iter`` optimisation steps are dropped, as umap
    does.

    Returns:
        ``(head int32, tail int32, weight float32)``.
    """
    import scipy.sparse

    upper = scipy.sparse.triu(graph, k=1).tocoo()
    w = upper.data.astype(np.float64)
    if w.size == 0:
        return (np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0, np.float32))
    w = w / w.max()
    keep = w >= 1.0 / max(n_iter, 1)
    return (
        upper.row[keep].astype(np.int32),
        upper.col[keep].astype(np.int32),
        w[keep].astype(np.float32),
    )
