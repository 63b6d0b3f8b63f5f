"""The steps of nn_vis's processing, vectorised with NumPy: node advection and edge bundling.

Layout: slice ``l`` of the graph lies in the plane ``z = l * layer_distance``; its nodes start
on a square grid ``layer_width`` wide, row by row (nn_vis's ``create_nodes``; an input of 784
pixels is the 28 x 28 image). Nodes then move within their slice towards class-similar density
(nn_vis's node advection): each node's class profile (its per-class importance at unit length,
minus the mean profile of its layer) climbs the gradient of the density of all nodes' profiles
(weighted by their overall importance, 3-D, so neighbouring slices pull too), a tenth of the
bandwidth per iteration (at most half the layer's grid spacing); the bandwidth starts at 0.75
and shrinks by ``node_bandwidth_reduction``. Nodes keep 0.9 of their grid spacing apart and stay
inside the slice; the input slice keeps its layout; a layer whose nodes share one profile
(uniform or class-blind importance) stays on its grid.

Bundling (nn_vis's edge processing, which is kernel-density edge bundling, Hurter et al. 2012,
made class-aware): every edge is a polyline resampled to ``sampling_rate`` points per unit of
length. Each iteration, separately for the edges of each pair of slices: every point carries its
edge's class vector ``v`` (the end nodes' class importance at unit length, interpolated along
the edge for ``edge_importance_type`` 0); the per-class densities ``D_c`` of all points are
estimated with a kernel of the current bandwidth; every inner point moves one bandwidth along
the normalised gradient of ``phi = v . D(x) - s |D(x)|`` (nn_vis's step), towards dense regions
whose class mix resembles its own, where ``s`` (nn_vis's ``importance_similarity``) grows from
0 to about 0.95 as the bandwidth (0.5 at first) shrinks by ``edge_bandwidth_reduction``. Then
every polyline is smoothed ``smoothing_iterations`` times and resampled. Both stop when the
bandwidth falls below two cells of nn_vis's grid (``2 / (3 * sampling_rate)``). End points
never move.

Differences from nn_vis, on purpose:

- Points move across the layer axis only (``x``, ``y``), and only where ``phi > 0``: where the
  class mix differs more than ``s`` allows, nn_vis pushes points away from the density, which
  on trained networks sends them far out of the picture; here they are not attracted. Points
  stay within the slices' square, as nn_vis's stay inside its grid.
- Densities are weighted by edge importance (nn_vis counts every edge alike): the bundles you
  see are made by the edges you see, not by the unimportant majority.
- A smoothing pass moves a point half way to the mean of its neighbours; nn_vis moves it all
  the way, which leaves zig-zags of alternating points in place.
- Densities live on a grid sized to the bandwidth (a third of it per cell) and are smoothed by a
  separable Epanechnikov kernel; nn_vis splats each segment over a fixed fine grid on the GPU.
- Edge importance is never divided by a running maximum (it comes relative within each layer
  pair), no edge is dropped (nn_vis loses some where it splits its buffers), any number of
  classes.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from convlens.core import progress

from ._data import INPUT, NetGraph
from ._density import DensityGrid
from ._options import BundleOptions
from ._polyline import arc_fraction, resample, smooth

_NODE_STEP = 0.1  # nn_vis moves nodes a tenth of the bandwidth per iteration
_MAX_NODE_STEP = 0.5  # ... here at most half their layer's grid spacing
_MIN_SPACING = 0.9  # nodes keep this fraction of their initial grid spacing apart
_NODE_CELLS = 60_000  # node densities need no finer grid than this


def straight(
    nodes: np.ndarray, graph: NetGraph, edges: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Every edge as a straight two-point polyline: ``(points [2E', 3], offsets [E' + 1])``."""
    pos = np.empty((2 * len(edges), 3), np.float32)
    pos[0::2] = nodes[graph.edge_source[edges]]
    pos[1::2] = nodes[graph.edge_target[edges]]
    return pos, np.arange(0, 2 * len(edges) + 1, 2, dtype=np.int64)


def unit_rows(imp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows of ``imp`` at unit length (zero rows become uniform), twice for start and end."""
    n = np.linalg.norm(imp, axis=1, keepdims=True)
    k = imp.shape[1]
    unit = np.where(n > 0, imp / np.where(n > 0, n, 1), 1 / np.sqrt(k)).astype(np.float32)
    return unit, unit


class PointClasses:
    """Class vectors of every point of the polylines of ``edges``, made on demand.

    The vector of a point at fraction ``t`` along edge ``e`` is ``a[e] + t * d[e]`` (for
    ``edge_importance_type`` 0, ``a`` the start node's unit class vector and ``d`` the end's
    minus it; for 1, 2, 3 a constant per edge). The ``[K, S]`` result lives in one buffer that
    is reused while the number of points allows: large arrays made afresh every iteration cost
    more in page faults than in arithmetic.
    """

    def __init__(
        self,
        graph: NetGraph,
        edges: np.ndarray,
        options: BundleOptions,
        start: np.ndarray,
        end: np.ndarray,
    ) -> None:
        a = start[graph.edge_source[edges]]
        b = end[graph.edge_target[edges]]
        kind = options.edge_importance_type
        self.d: np.ndarray | None = None
        if kind == 0:
            self.d = np.ascontiguousarray((b - a).T)
        elif kind == 2:
            raw = graph.node_importance
            sa, sb = raw[graph.edge_source[edges]], raw[graph.edge_target[edges]]
            den = np.linalg.norm(sa, axis=1) + np.linalg.norm(sb, axis=1)
            a = np.where(den[:, None] > 0, (sa + sb) / np.where(den > 0, den, 1)[:, None], a)
        elif kind == 3:
            a = b
        self.a = np.ascontiguousarray(a.T, dtype=np.float32)
        # flat buffers viewed as a contiguous [K, S]: ``np.take`` into a column slice of a wider
        # [K, cap] array is not contiguous, so numpy gathered into a fresh temporary and copied
        # it back on every call (a profile of the MLP bench showed that gather taking twice as long)
        self._buf = np.empty(0, np.float32)
        self._tmp = np.empty_like(self._buf)

    def __call__(self, offsets: np.ndarray) -> np.ndarray:
        """``[K, S]`` float32 for polylines with these ``offsets`` (valid until the next call)."""
        counts = np.diff(offsets)
        n = int(offsets[-1])
        k = self.a.shape[0]
        if self._buf.size < k * n:
            self._buf = np.empty(k * (int(n * 1.25) + 16), np.float32)
            self._tmp = np.empty_like(self._buf)
        e = np.repeat(np.arange(len(counts)), counts)
        out = self._buf[: k * n].reshape(k, n)
        np.take(self.a, e, axis=1, out=out, mode="clip")
        if self.d is not None:
            tmp = self._tmp[: k * n].reshape(k, n)
            np.take(self.d, e, axis=1, out=tmp, mode="clip")
            tmp *= arc_fraction(offsets)
            out += tmp
        return out


def class_coef(
    graph: NetGraph,
    edges: np.ndarray,
    offsets: np.ndarray,
    options: BundleOptions,
    start: np.ndarray,
    end: np.ndarray,
) -> np.ndarray:
    """``[K, S]`` float32 (class-major): the class vector of every point of the polylines."""
    return PointClasses(graph, edges, options, start, end)(offsets).copy()


def grid_positions(graph: NetGraph, options: BundleOptions, rng: np.random.Generator) -> np.ndarray:
    """nn_vis's start: each slice's nodes row by row on a square grid, centred, ``z`` per slice.

    Returns ``[N, 3]`` float32, with a jitter of 1 % of the spacing from ``rng``.
    """
    out = []
    for depth, layer in enumerate(graph.layers):
        n = layer.n_units
        side = int(np.ceil(np.sqrt(n)))
        spacing = options.layer_width / side
        i = np.arange(n)
        x = (i % side - (side - 1) / 2) * spacing
        y = -(i // side - (side - 1) / 2) * spacing  # row 0 at the top, like an image
        xy = np.stack([x, y], 1) + rng.normal(0, 0.01 * spacing, (n, 2))
        np.clip(xy, -options.layer_width / 2, options.layer_width / 2, out=xy)
        out.append(np.column_stack([xy, np.full(n, depth * options.layer_distance)]))
    return np.concatenate(out).astype(np.float32) if out else np.zeros((0, 3), np.float32)


def _separate(
    pos: np.ndarray,
    layer: np.ndarray,
    min_dist: np.ndarray,
    fixed: np.ndarray,
    rng: np.random.Generator,
) -> None:
    """Push apart (in place, within slices) nodes closer than their layer's ``min_dist``."""
    if len(pos) < 2:
        return
    # each slice on its own, at its own distance: all slices' nodes share one square, and one
    # query over them at the largest distance finds ~N^2 pairs for an ImageNet-scale graph
    members = [np.flatnonzero(layer == k) for k in range(int(layer.max()) + 1)]
    members = [m for m in members if len(m) > 1 and not fixed[m].all()]
    for _ in range(3):
        found = [
            m[
                cKDTree(pos[m, :2] + 0).query_pairs(
                    float(min_dist[layer[m[0]]]), output_type="ndarray"
                )
            ]
            for m in members
        ]
        pairs = np.concatenate(found) if found else np.zeros((0, 2), np.int64)
        if len(pairs) == 0:
            return
        i, j = pairs[:, 0], pairs[:, 1]
        d = pos[i, :2] - pos[j, :2]
        dist = np.linalg.norm(d, axis=1)
        need = min_dist[layer[i]]
        close = dist < need
        if not close.any():
            return
        i, j, d, dist, need = i[close], j[close], d[close], dist[close], need[close]
        zero = dist < 1e-9
        d[zero] = rng.normal(size=(int(zero.sum()), 2))
        dist = np.linalg.norm(d, axis=1)
        push = (d / dist[:, None]) * ((need - np.minimum(dist, need)) / 2)[:, None]
        shift = np.zeros((len(pos), 2))
        np.add.at(shift, i, push)
        np.add.at(shift, j, -push)
        shift[fixed] = 0.0
        pos[:, :2] += shift.astype(pos.dtype)


def advect_nodes(
    graph: NetGraph, nodes: np.ndarray, opts: BundleOptions, rng: np.random.Generator
) -> tuple[np.ndarray, int]:
    """Move nodes within their slices towards class-similar density (see the module docstring).

    Returns:
        The new ``[N, 3]`` positions and the number of iterations.
    """
    pos = nodes.astype(np.float32).copy()
    if graph.n_nodes == 0:
        return pos, 0
    layer = graph.node_layer()
    unit, _ = unit_rows(graph.node_importance)
    profile = unit.copy()
    for i in range(len(graph.layers)):
        rows = layer == i
        profile[rows] -= unit[rows].mean(axis=0)
    weights = profile * graph.node_overall[:, None]
    fixed = np.zeros(graph.n_nodes, bool)
    if graph.layers and graph.layers[0].kind == INPUT:
        fixed[layer == 0] = True  # the input keeps the image's layout
    half = opts.layer_width / 2
    spacing = opts.layer_width / np.ceil(np.sqrt(np.maximum(graph.layer_sizes(), 1)))
    min_dist = _MIN_SPACING * spacing
    max_step = (_MAX_NODE_STEP * spacing)[layer]
    schedule = opts.schedule(opts.node_bandwidth, opts.node_bandwidth_reduction)
    box = (np.array([-half, -half, 0.0]), np.array([half, half, float(pos[:, 2].max())]))
    if not np.abs(profile[~fixed]).max(initial=0.0) > 1e-6:  # one profile: nothing pulls
        return pos, 0
    for bandwidth in progress(schedule, desc="placing nodes", unit="iteration", leave=False):
        grid = DensityGrid(
            pos, weights.T, float(bandwidth), with_norm=False, bounds=box, max_cells=_NODE_CELLS
        )
        g, _ = grid.gradient(profile.T)
        size = np.linalg.norm(g, axis=1)
        move = (size > 1e-6 * max(float(size.max()), 1e-30)) & ~fixed
        length = np.minimum(_NODE_STEP * bandwidth, max_step[move])
        pos[move] += g[move] / size[move, None] * length[:, None]
        np.clip(pos[:, :2], -half, half, out=pos[:, :2])
        _separate(pos, layer, min_dist, fixed, rng)
        np.clip(pos[:, :2], -half, half, out=pos[:, :2])
    return pos, len(schedule)


def _groups(graph: NetGraph, edges: np.ndarray) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Edges sorted so that each (source slice, target slice, kind) is one block; the blocks."""
    layer = graph.node_layer()
    key = (
        layer[graph.edge_source[edges]].astype(np.int64) * len(graph.layers)
        + layer[graph.edge_target[edges]]
    ) * 2 + graph.edge_kind[edges]
    order = np.argsort(key, kind="stable")
    ks = key[order]
    cut = np.flatnonzero(np.diff(ks)) + 1
    bounds = np.concatenate([[0], cut, [len(ks)]])
    return edges[order], [(int(a), int(b)) for a, b in zip(bounds, bounds[1:], strict=False)]


def bundle_edges(
    graph: NetGraph, nodes: np.ndarray, edges: np.ndarray, opts: BundleOptions
) -> tuple[np.ndarray, np.ndarray, int]:
    """Bundle the ``edges`` of ``graph`` between ``nodes`` (see the module docstring).

    Returns:
        ``(sample_position [S, 3], sample_offsets [E' + 1], iterations)``; the polylines are
        in the order of ``edges``.
    """
    sorted_edges, blocks = _groups(graph, edges)
    pos, off = straight(nodes, graph, sorted_edges)
    if len(edges) == 0:
        return pos, off, 0
    step = opts.sample_length
    pos, off = resample(pos, off, step)
    start, end = unit_rows(graph.node_importance)
    classes = PointClasses(graph, sorted_edges, opts, start, end)
    importance = graph.edge_importance[sorted_edges]
    z = nodes[:, 2].astype(np.float64)
    z_src, z_dst = z[graph.edge_source[sorted_edges]], z[graph.edge_target[sorted_edges]]
    zs, zt = np.minimum(z_src, z_dst), np.maximum(z_src, z_dst)
    schedule = opts.schedule(opts.edge_bandwidth, opts.edge_bandwidth_reduction)
    limit, b0 = opts.bandwidth_limit, opts.edge_bandwidth
    half = opts.layer_width / 2
    for i, bandwidth in enumerate(
        progress(schedule, desc="bundling edges", unit="iteration", leave=False)
    ):
        if i > 0:
            pos, off = resample(pos, off, step)
        sim = np.sqrt(max(0.9 * (1 - (bandwidth - limit) / (b0 - limit)), 0.0)) if i else 0.0
        coef = classes(off)
        weight = np.repeat(importance, np.diff(off))
        move = np.empty_like(pos)
        for a, b in blocks:
            lo, hi = off[a], off[b]
            box = (np.array([-half, -half, zs[a]]), np.array([half, half, zt[a]]))
            grid = DensityGrid(
                pos[lo:hi],
                coef[:, lo:hi],
                float(bandwidth),
                with_norm=True,
                bounds=box,
                scale=weight[lo:hi],
            )
            g, phi = grid.gradient(coef[:, lo:hi], -sim)
            size = np.sqrt(np.einsum("ij,ij->i", g, g))
            scale = np.divide(bandwidth, size, out=np.zeros_like(size), where=size > 0)
            scale[phi <= 0] = 0.0
            np.multiply(g, scale[:, None], out=move[lo:hi])
        move[off[:-1]] = 0.0
        move[off[1:] - 1] = 0.0
        pos = pos + move
        np.clip(pos[:, :2], -half, half, out=pos[:, :2])
        if opts.smoothing and opts.smoothing_iterations:
            pos = smooth(pos, off, opts.smoothing_iterations)
    pos, off = resample(pos, off, step)
    # back to the order of ``edges``
    inverse = np.empty(len(sorted_edges), np.int64)
    inverse[np.searchsorted(edges, sorted_edges)] = np.arange(len(sorted_edges))
    counts = np.diff(off)[inverse]
    new_off = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    take = np.repeat(off[:-1][inverse] - new_off[:-1], counts) + np.arange(new_off[-1])
    return pos[take].astype(np.float32), new_off, len(schedule)
