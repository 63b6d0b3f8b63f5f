"""Class-weighted densities of a point set on a grid, and their gradients at the points.

Points are splatted into their nearest cell, the grid is smoothed with a separable Epanechnikov
kernel of the bandwidth (``1 - (d / h)^2`` per axis), and gradients are central differences,
read back at each point's cell.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import correlate1d

from ._polyline import _CHUNK, CELLS_PER_BANDWIDTH, MAX_CELLS


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
