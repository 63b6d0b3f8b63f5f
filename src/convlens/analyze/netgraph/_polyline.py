"""Vectorised pieces of kernel-density edge bundling: polylines in flat arrays, and the
gradient of class-weighted densities on a grid.

A set of polylines is two arrays: ``pos`` ``[S, 3]`` (every polyline's points, one after the
other) and ``offsets`` ``[E + 1]`` (polyline ``e`` is ``pos[offsets[e]:offsets[e + 1]]``, at
least two points). Every operation works on all polylines at once; nothing loops over edges.

Densities are estimated on a regular grid: points are splatted into their nearest cell, the
grid is smoothed with a separable Epanechnikov kernel of the bandwidth (``1 - (d / h)^2`` per
axis), and gradients are central differences, read back at each point's cell.
"""

from __future__ import annotations

import numpy as np

CELLS_PER_BANDWIDTH = 3
"""Grid cells per kernel bandwidth (the kernel spans ``2 * 3 + 1`` cells per axis)."""
MAX_CELLS = 4_000_000
"""Largest grid (cells); wide layouts get coarser cells rather than more memory."""
_CHUNK = 32_768


def arc_fraction(offsets: np.ndarray) -> np.ndarray:
    """``[S]`` float32: each point's index along its polyline, from 0 (start) to 1 (end)."""
    counts = np.diff(offsets)
    k = np.arange(offsets[-1]) - np.repeat(offsets[:-1], counts)
    return (k / np.repeat(counts - 1, counts)).astype(np.float32)


def lengths(pos: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """``[E]`` float64: the length of every polyline."""
    seg = np.linalg.norm(np.diff(pos.astype(np.float64), axis=0), axis=1)
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    return cum[offsets[1:] - 1] - cum[offsets[:-1]]


def resample(pos: np.ndarray, offsets: np.ndarray, step: float) -> tuple[np.ndarray, np.ndarray]:
    """Every polyline with points evenly spaced along it, at most ``step`` apart.

    The first and last point of each polyline stay exactly where they are.

    Returns:
        ``(pos, offsets)`` of the resampled polylines (``pos`` in the input's dtype).
    """
    d = np.diff(pos, axis=0)
    seg = np.sqrt(np.einsum("ij,ij->i", d, d)).astype(np.float64)
    seg[offsets[1:-1] - 1] = 1e-9  # the jump to the next polyline: keeps ``cum`` increasing
    cum = np.empty(len(pos))
    cum[0] = 0.0
    np.cumsum(seg, out=cum[1:])
    begin = cum[offsets[:-1]]
    length = cum[offsets[1:] - 1] - begin
    m = np.maximum(np.ceil(length / step - 1e-9), 1).astype(np.int64) + 1
    new_off = np.zeros(len(m) + 1, np.int64)
    np.cumsum(m, out=new_off[1:])
    k = np.arange(new_off[-1]) - np.repeat(new_off[:-1], m)
    target = np.repeat(begin, m) + np.repeat(length / (m - 1), m) * k
    out = np.empty((len(target), pos.shape[1]), pos.dtype)
    for axis in range(pos.shape[1]):
        out[:, axis] = np.interp(target, cum, pos[:, axis])
    out[new_off[:-1]] = pos[offsets[:-1]]
    out[new_off[1:] - 1] = pos[offsets[1:] - 1]
    return out, new_off


def smooth(pos: np.ndarray, offsets: np.ndarray, iterations: int) -> np.ndarray:
    """Laplacian smoothing: every inner point moves half way to the mean of its neighbours.

    Repeated ``iterations`` times, all points at once; the first and last point of each
    polyline stay fixed. (nn_vis moves points all the way to their neighbours' mean, which
    leaves zig-zags of alternating points in place; half way removes them.)
    """
    first, last = offsets[:-1], offsets[1:] - 1
    ends = np.concatenate([pos[first], pos[last]])
    out = pos.copy()
    buf = np.empty_like(out[1:-1])
    for _ in range(iterations):
        np.add(out[:-2], out[2:], out=buf)
        buf *= 0.25
        out[1:-1] *= 0.5
        out[1:-1] += buf
        out[first] = ends[: len(first)]
        out[last] = ends[len(first) :]
    return out
