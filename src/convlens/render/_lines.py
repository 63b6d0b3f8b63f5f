"""Many thin, translucent, anti-aliased polylines in NumPy, blended without sorting.

Every segment is cut into pieces no longer than a pixel; each piece adds its optical depth
``-ln(1 - alpha) * length`` and its colour weighted by that depth to the pixel it falls in
(``np.bincount``, in chunks). A line of width ``w`` pixels is a box filter over that (a thin
line one pixel long has depth ``-ln(1 - alpha)``: it covers ``alpha`` of the pixel). The
picture is weighted-blended order-independent transparency: coverage ``1 - exp(-depth)`` in the
depth-weighted mean colour over the background. Drawn at a multiple of the size and averaged
down, lines are smooth.
"""

from __future__ import annotations

import numpy as np

_CHUNK = 2_000_000


def _box(a: np.ndarray, size: int) -> np.ndarray:
    """Sum of ``a`` (``[H, W, ...]``) over a ``size`` × ``size`` window centred on each pixel."""
    if size <= 1:
        return a
    lo, hi = size // 2, size - size // 2
    out = a
    for axis in (0, 1):
        pad = [(0, 0)] * out.ndim
        pad[axis] = (lo + 1, hi)
        c = np.cumsum(np.pad(out, pad), axis=axis)
        n = out.shape[axis]
        out = np.take(c, np.arange(size, size + n), axis=axis) - np.take(c, np.arange(n), axis=axis)
    return out


def line_layers(
    xy: np.ndarray,
    offsets: np.ndarray,
    colors: np.ndarray,
    alpha: np.ndarray,
    shape: tuple[int, int],
    width: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Optical depth ``[H, W]`` and depth-weighted colour sums ``[H, W, 3]`` of polylines.

    Args:
        xy: ``[S, 2]`` pixel coordinates (x right, y down) of the polylines' points.
        offsets: ``[E + 1]``: polyline ``e`` is ``xy[offsets[e]:offsets[e + 1]]``.
        colors: ``[S, 3]`` colour of every point (0..255); pieces between points blend them.
        alpha: ``[E]`` opacity of every polyline (0 hides it).
        shape: ``(H, W)`` of the picture.
        width: Line width in pixels.
    """
    H, W = shape
    depth = np.zeros(H * W)
    rgb = np.zeros((3, H * W))
    counts = np.diff(offsets)
    e = np.repeat(np.arange(len(counts)), counts)
    seg = np.ones(len(xy), bool)
    seg[-1:] = False
    seg[offsets[1:] - 1] = False
    tau = -np.log1p(-np.clip(np.asarray(alpha, np.float64), 0.0, 0.999))
    seg &= tau[e] > 0
    i0 = np.flatnonzero(seg)
    if len(i0):
        p0, p1 = xy[i0].astype(np.float64), xy[i0 + 1].astype(np.float64)
        length = np.hypot(*(p1 - p0).T)
        pieces = np.maximum(np.ceil(length), 1).astype(np.int64)
        ends = np.cumsum(pieces)
        starts = ends - pieces
        c0, c1 = colors[i0].astype(np.float64), colors[i0 + 1].astype(np.float64)
        # whole segments per chunk, so that each chunk has about _CHUNK pieces
        bounds = np.searchsorted(ends, np.arange(0, ends[-1], _CHUNK), side="right")
        bounds = np.unique(np.concatenate([[0], bounds, [len(i0)]]))
        for a, b in zip(bounds, bounds[1:], strict=False):
            n = pieces[a:b]
            k = np.repeat(np.arange(a, b), n)
            f = (np.arange(starts[a], ends[b - 1]) - starts[k] + 0.5) / pieces[k]
            p = p0[k] + (p1[k] - p0[k]) * f[:, None]
            px = np.rint(p).astype(np.int64)
            inside = (px[:, 0] >= 0) & (px[:, 0] < W) & (px[:, 1] >= 0) & (px[:, 1] < H)
            flat = px[inside, 1] * W + px[inside, 0]
            w = (tau[e[i0[k]]] * length[k] / pieces[k])[inside]
            depth += np.bincount(flat, w, H * W)
            ff = f[inside, None]
            col = c0[k[inside]] * (1 - ff) + c1[k[inside]] * ff
            for ch in range(3):
                rgb[ch] += np.bincount(flat, w * col[:, ch], H * W)
    size = max(int(round(width)), 1)
    depth_img = _box(depth.reshape(H, W), size) / size
    rgb_img = _box(np.moveaxis(rgb.reshape(3, H, W), 0, -1), size) / size
    return depth_img, rgb_img


def composite(
    depth: np.ndarray, rgb: np.ndarray, background: tuple[int, int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """The blended picture ``[H, W, 3]`` (float 0..255) and its coverage ``[H, W]`` (0..1)."""
    cover = 1.0 - np.exp(-depth)
    mean = np.divide(rgb, depth[..., None], out=np.zeros_like(rgb), where=depth[..., None] > 0)
    bg = np.asarray(background, np.float64)
    return bg * (1 - cover[..., None]) + mean * cover[..., None], cover


def downsample(a: np.ndarray, factor: int) -> np.ndarray:
    """Mean over ``factor`` × ``factor`` blocks (the size must divide)."""
    if factor == 1:
        return a
    h, w = a.shape[0] // factor, a.shape[1] // factor
    return a[: h * factor, : w * factor].reshape(h, factor, w, factor, *a.shape[2:]).mean((1, 3))
