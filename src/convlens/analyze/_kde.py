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
from scipy.ndimage import correlate1d

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


def _kernel(radius_cells: float) -> np.ndarray:
    r = int(np.ceil(radius_cells))
    d = np.arange(-r, r + 1) / max(radius_cells, 1e-9)
    w = np.clip(1.0 - d**2, 0.0, None)
    return (w / w.sum()).astype(np.float32)


class DensityGrid:
    """Weighted densities of a point set on a grid, and their gradients at the points.

    Args:
        points: ``[P, 3]`` positions.
        weights: ``[C, P]`` weight of every point in each of ``C`` channels (classes).
        bandwidth: Kernel radius.
        with_norm: Also keep channel ``C``: the length of the density vector ``|D(x)|``.
        plane: Only the ``x`` and ``y`` components of gradients (``z`` reads 0).
        bounds: ``(lo, hi)`` corners of a box holding every point (default: measured).
        max_cells: Largest grid; wider boxes get coarser cells.
        scale: ``[P]`` factor on every point's weights (default 1).
    """

    def __init__(
        self,
        points: np.ndarray,
        weights: np.ndarray,
        bandwidth: float,
        *,
        with_norm: bool,
        plane: bool = True,
        bounds: tuple[np.ndarray, np.ndarray] | None = None,
        max_cells: int = MAX_CELLS,
        scale: np.ndarray | None = None,
    ) -> None:
        if bounds is None:
            bounds = (points.min(axis=0), points.max(axis=0))
        lo = np.asarray(bounds[0], np.float64) - bandwidth
        hi = np.asarray(bounds[1], np.float64) + bandwidth
        cell = bandwidth / CELLS_PER_BANDWIDTH
        extent = np.maximum(hi - lo, cell)
        cell = max(cell, float((np.prod(extent) / max_cells) ** (1 / 3)))
        self.lo, self.cell = lo, cell
        self.shape = tuple(int(v) for v in np.ceil(extent / cell).astype(np.int64) + 1)
        n = int(np.prod(self.shape))
        self.flat = self.index(points)
        C = weights.shape[0]
        dens = np.empty((n, C), np.float32)
        for c in range(C):
            w = weights[c] if scale is None else weights[c] * scale
            dens[:, c] = np.bincount(self.flat, w, minlength=n)
        grid = dens.reshape(*self.shape, C)
        kernel = _kernel(bandwidth / cell)
        for axis in range(3):
            grid = correlate1d(grid, kernel, axis=axis, mode="constant")
        if with_norm:
            norm = np.sqrt(np.einsum("...c,...c->...", grid, grid))
            grid = np.concatenate([grid, norm[..., None]], axis=-1)
        self.axes = (0, 1) if plane else (0, 1, 2)
        grads = np.gradient(grid, cell, axis=self.axes)
        # [cells, axes + 1, channels]: the gradients and the values, one row per cell
        table = np.stack([*grads, grid], axis=-2).reshape(n, len(self.axes) + 1, grid.shape[-1])
        self.table = np.ascontiguousarray(table)

    def index(self, points: np.ndarray) -> np.ndarray:
        """``[P]`` flat index of every point's nearest cell (clipped into the grid)."""
        ijk = np.rint((points - self.lo) / self.cell).astype(np.int64)
        for a in range(3):
            np.clip(ijk[:, a], 0, self.shape[a] - 1, out=ijk[:, a])
        return (ijk[:, 0] * self.shape[1] + ijk[:, 1]) * self.shape[2] + ijk[:, 2]

    def gradient(self, coef: np.ndarray, norm_coef: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
        """Gradient and value of ``phi = sum_c coef[c, p] * D_c + norm_coef * |D|`` at the points.

        Args:
            coef: ``[C, P]``: per channel and point (the points given to the constructor).
            norm_coef: Weight of ``|D|`` (needs ``with_norm``).

        Returns:
            ``([P, 3] gradient, [P] value)``, read at each point's nearest cell.
        """
        flat = self.flat
        grad = np.zeros((len(flat), 3), np.float32)
        value = np.empty(len(flat), np.float32)
        d = len(self.axes)
        C = coef.shape[0]
        for a in range(0, len(flat), _CHUNK):
            b = a + _CHUNK
            rows = self.table[flat[a:b]]
            out = np.einsum("pdc,cp->pd", rows[..., :C], coef[:, a:b])
            if norm_coef:
                out += norm_coef * rows[..., C]
            grad[a:b, :d] = out[:, :d]
            value[a:b] = out[:, d]
        return grad, value
