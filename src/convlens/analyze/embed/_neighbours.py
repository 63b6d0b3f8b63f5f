"""k nearest neighbours of every point: exact for small sets, approximate (faiss IVF) above.

Exact search (``knn``) costs one distance per pair of points, so it grows with the square of the
probe set: about 1 s per epoch at 10,000 points but 40 s at 50,000. Above ``APPROXIMATE_ABOVE``
points the neighbours come from faiss (Meta's maintained similarity-search library; compiled, no
numba, no JIT) through an inverted-file index: k-means cuts the points into ``4 sqrt(N)`` cells
and each point is compared only with the points of its ``_PROBES`` nearest cells, so the cost
grows as ``N sqrt(N)`` with a small constant and memory stays linear. umap-learn makes the same
trade with pynndescent above 4,096 points.

Every step is deterministic for a given seed whatever the number of threads (k-means from a
seeded sample, each cell's centroid summed by one thread, each point searched on its own), so
all threads are used. faiss's HNSW index was measured too: as accurate but 2.5 x slower here,
because building its graph in parallel would make the neighbours differ from run to run.
"""

from __future__ import annotations

import numpy as np

from ._fuzzy_graph import knn

# Above this many points, neighbours are approximate (faiss IVF); at or below, exact. The same
# threshold as umap-learn; at 5,000 points x 10 epochs the fit was 1.8 x faster than exact, with
# the same trustworthiness (bench/RESULTS.md).
APPROXIMATE_ABOVE = 4_096

# Cells probed per point. At 50,000 points in 50-D, with 894 cells: 97 % of the exact 15
# neighbours found in 3.1 s on a busy 2-core machine (8 cells: 92 %; HNSW with 12 links and
# ef 32/32: 96 % in 7.6 s). See bench/RESULTS.md.
_PROBES = 12
_CELLS_PER_SQRT_N = 4
_KMEANS_ITERATIONS = 10
_KMEANS_POINTS_PER_CELL = 20


def nearest_neighbours(
    x: np.ndarray, n_neighbors: int, approximate_above: int | None = None, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, str]:
    """The ``n_neighbors`` nearest rows of each row of ``x`` (Euclidean), the row itself first.

    Args:
        x: Points ``[N, D]``.
        n_neighbors: Neighbours per point, the point itself included (umap's ``k``).
        approximate_above: Search approximately above this many points (``None``:
            ``APPROXIMATE_ABOVE``).
        seed: Seed of the approximate index's k-means.

    Returns:
        ``(indices [N, k] int64, distances [N, k] float32, method)``, nearest first; ``method``
        is ``"exact"`` or ``"ivf"``.
    """
    limit = APPROXIMATE_ABOVE if approximate_above is None else approximate_above
    if x.shape[0] <= max(limit, n_neighbors):
        idx, dist = knn(x, n_neighbors)
        return idx, dist, "exact"
    idx, dist = ivf_knn(x, n_neighbors, seed)
    return idx, dist, "ivf"


def ivf_knn(x: np.ndarray, n_neighbors: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Approximate k nearest neighbours through a faiss IVF index (see the module docstring).

    Returns:
        ``(indices [N, k] int64, distances [N, k] float32)``, nearest first, the point itself
        first.
    """
    import faiss

    x = np.ascontiguousarray(x, dtype=np.float32)
    n, dim = x.shape
    k = n_neighbors
    cells = max(1, min(int(_CELLS_PER_SQRT_N * np.sqrt(n)), n // 40))
    quantizer = faiss.IndexFlatL2(dim)
    index = faiss.IndexIVFFlat(quantizer, dim, cells)
    index.cp.seed = int(seed) % (2**31 - 1)
    index.cp.niter = _KMEANS_ITERATIONS
    index.cp.max_points_per_centroid = _KMEANS_POINTS_PER_CELL
    index.cp.min_points_per_centroid = 1
    index.train(x)
    index.add(x)
    index.nprobe = min(_PROBES, cells)
    d2, idx = index.search(x, k)
    idx = idx.astype(np.int64, copy=False)
    dist = np.sqrt(np.maximum(d2, 0.0)).astype(np.float32)
    _put_self_first(idx, dist)
    missing = np.flatnonzero((idx < 0).any(axis=1))
    if missing.size:  # the probed cells held fewer than k points: search those points exactly
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
