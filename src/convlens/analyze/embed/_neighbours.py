"""k nearest neighbours of every point: exact for small sets, approximate (faiss HNSW) above.

Exact search (``knn``) costs one distance per pair of points, so it grows with the square of the
probe set: 0.6 s per epoch at 10,000 points but about 40 s at 50,000. Above
``APPROXIMATE_ABOVE`` points the neighbours come from faiss's HNSW index (Malkov & Yashunin's
hierarchical navigable small-world graph, Meta's maintained C++ implementation; no numba, no
JIT), whose cost grows as ``N log N`` and whose memory is a few dozen links per point. umap-learn
makes the same trade with pynndescent above 4,096 points.

The index is built on one thread, so the graph (and so the neighbours) is the same from run to
run; searching it is done per point and uses every thread without changing the answer.
"""

from __future__ import annotations

import numpy as np

from ._fuzzy_graph import knn

# Above this many points, neighbours are approximate (faiss HNSW); at or below, exact.
APPROXIMATE_ABOVE = 10_000

# HNSW settings: links per point, and the candidate-list sizes while building and searching.
# At 50,000 points in 50-D they find 96 % of the exact 15 neighbours in 5 s on a busy 2-core
# machine (16 links, 40, 48: 98.6 % in 6.5 s; 8, 32, 32: 92 % in 4.5 s) (see bench/RESULTS.md).
_HNSW_LINKS = 12
_HNSW_EF_CONSTRUCTION = 32
_HNSW_EF_SEARCH = 32


def nearest_neighbours(
    x: np.ndarray, n_neighbors: int, approximate_above: int | None = None
) -> tuple[np.ndarray, np.ndarray, str]:
    """The ``n_neighbors`` nearest rows of each row of ``x`` (Euclidean), the row itself first.

    Args:
        x: Points ``[N, D]``.
        n_neighbors: Neighbours per point, the point itself included (umap's ``k``).
        approximate_above: Search approximately above this many points (``None``:
            ``APPROXIMATE_ABOVE``).

    Returns:
        ``(indices [N, k] int64, distances [N, k] float32, method)``, nearest first; ``method``
        is ``"exact"`` or ``"hnsw"``.
    """
    limit = APPROXIMATE_ABOVE if approximate_above is None else approximate_above
    if x.shape[0] <= max(limit, n_neighbors):
        idx, dist = knn(x, n_neighbors)
        return idx, dist, "exact"
    idx, dist = hnsw_knn(x, n_neighbors)
    return idx, dist, "hnsw"


def hnsw_knn(x: np.ndarray, n_neighbors: int) -> tuple[np.ndarray, np.ndarray]:
    """Approximate k nearest neighbours through a faiss HNSW index (see the module docstring).

    Returns:
        ``(indices [N, k] int64, distances [N, k] float32)``, nearest first, the point itself
        first.
    """
    import faiss

    x = np.ascontiguousarray(x, dtype=np.float32)
    n, dim = x.shape
    k = n_neighbors
    threads = faiss.omp_get_max_threads()
    index = faiss.IndexHNSWFlat(dim, _HNSW_LINKS)
    index.hnsw.efConstruction = _HNSW_EF_CONSTRUCTION
    faiss.omp_set_num_threads(1)  # a parallel build links points in a racy order
    try:
        index.add(x)
    finally:
        faiss.omp_set_num_threads(threads)
    index.hnsw.efSearch = max(_HNSW_EF_SEARCH, k)
    d2, idx = index.search(x, k)
    idx = idx.astype(np.int64, copy=False)
    dist = np.sqrt(np.maximum(d2, 0.0)).astype(np.float32)
    _put_self_first(idx, dist)
    missing = np.flatnonzero((idx < 0).any(axis=1))
    if missing.size:  # the graph search came back short: search those points exactly
        idx[missing], dist[missing] = _exact_rows(x, missing, k)
    return idx, dist


def _put_self_first(idx: np.ndarray, dist: np.ndarray) -> None:
    """In place: each row starts with its own point at distance 0, the rest keep their order."""
    n, k = idx.shape
    rows = np.arange(n)
    is_self = idx == rows[:, None]
    if is_self[:, 0].all():
        dist[:, 0] = 0.0
        return
    # Where the point is missing, it replaces the farthest; then it moves to the front.
    absent = ~is_self.any(axis=1)
    idx[absent, -1] = rows[absent]
    is_self[absent, -1] = True
    col = np.argmax(is_self, axis=1)
    order = np.argsort(np.arange(k)[None, :] != col[:, None], axis=1, kind="stable")
    idx[:] = np.take_along_axis(idx, order, axis=1)
    dist[:] = np.take_along_axis(dist, order, axis=1)
    dist[:, 0] = 0.0


def _exact_rows(x: np.ndarray, rows: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact neighbours of a few rows among all points, the row itself first, 64 rows at a time."""
    sq = np.einsum("ij,ij->i", x, x)
    idx = np.empty((rows.size, k), dtype=np.int64)
    dist = np.empty((rows.size, k), dtype=np.float32)
    for start in range(0, rows.size, 64):
        some = rows[start : start + 64]
        d2 = sq[some, None] - 2.0 * (x[some] @ x.T) + sq[None, :]
        d2[np.arange(some.size), some] = -1.0  # the point itself comes first
        part = np.argpartition(d2, k - 1, axis=1)[:, :k]
        exact = np.sqrt(((x[part] - x[some, None, :]) ** 2).sum(axis=2))
        key = np.where(part == some[:, None], -1.0, exact)
        order = np.argsort(key, axis=1, kind="stable")
        idx[start : start + 64] = np.take_along_axis(part, order, axis=1)
        dist[start : start + 64] = np.take_along_axis(exact, order, axis=1)
    return idx, dist
