"""Fast drawing with NumPy: anti-aliased disc sprites splatted in one vectorised step,
thumbnail tiles pasted by slicing, and greedy placement of thumbnails that never overlap."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from ._palette import MISTAKE_COLOR


def ease(u: np.ndarray | float) -> np.ndarray | float:
    """Cubic ease-in-out on [0, 1]: starts and ends at rest, ``ease(0.5) == 0.5``."""
    u = np.clip(u, 0.0, 1.0)
    return np.where(u < 0.5, 4 * u**3, 1 - (-2 * u + 2) ** 3 / 2)


@dataclass(frozen=True)
class Sprite:
    """A small anti-aliased shape in one colour per class, laid out for fast splatting.

    Attributes:
        dy: ``[K]`` row offsets of the covered pixels from the centre.
        dx: ``[K]`` column offsets.
        alpha: ``[3K]`` coverage in 0..255, repeated for the three channels.
        colors: ``[C, 3K]`` colour of each covered pixel (R, G, B interleaved), per class.
    """

    dy: np.ndarray
    dx: np.ndarray
    alpha: np.ndarray
    colors: np.ndarray

    @property
    def reach(self) -> int:
        """How far the sprite extends from its centre, in pixels."""
        return int(max(np.abs(self.dy).max(), np.abs(self.dx).max()))


def _sprite(dy: np.ndarray, dx: np.ndarray, cover: np.ndarray, colors: np.ndarray) -> Sprite:
    """Pack covered pixels (``cover`` in 0..1) with ``[C, K, 3]`` colours into a ``Sprite``."""
    return Sprite(
        dy=dy.astype(np.int64),
        dx=dx.astype(np.int64),
        alpha=np.repeat(np.round(cover * 255), 3).astype(np.uint16),
        colors=np.round(colors).reshape(len(colors), -1).astype(np.uint16),
    )


def _grid(radius: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    R = int(np.ceil(radius + 0.5))
    dy, dx = np.mgrid[-R : R + 1, -R : R + 1]
    return dy.ravel(), dx.ravel(), np.hypot(dy, dx).ravel()


def disc_sprite(
    radius: float, colors: np.ndarray, rim: float = 0.62, opacity: float = 1.0
) -> Sprite:
    """A filled disc per colour with a darker 1-pixel rim, so overlapping points stay apart.

    Args:
        radius: Radius in pixels.
        colors: ``[C, 3]`` uint8 fill colours.
        rim: Brightness factor of the rim (1 = no rim).
        opacity: Overall opacity in 0..1.
    """
    dy, dx, d = _grid(radius)
    cover = np.clip(radius + 0.5 - d, 0.0, 1.0) * opacity
    keep = cover > 0.02
    dy, dx, d, cover = dy[keep], dx[keep], d[keep], cover[keep]
    fill = np.asarray(colors, np.float64)[:, None, :]
    w = np.clip(d - (radius - 1.5), 0.0, 1.0)[None, :, None] if radius > 1.5 else 1.0
    col = np.broadcast_to(fill * (1 - w) + fill * rim * w, (len(fill), len(d), 3))
    return _sprite(dy, dx, cover, col)


def ring_sprite(inner: float, outer: float, colors: np.ndarray = MISTAKE_COLOR) -> Sprite:
    """An anti-aliased ring between radii ``inner`` and ``outer``: one colour (``[3]``) or one
    per class (``[C, 3]``)."""
    dy, dx, d = _grid(outer)
    cover = np.clip(outer + 0.5 - d, 0.0, 1.0) * np.clip(d - inner + 0.5, 0.0, 1.0)
    keep = cover > 0.02
    c = np.asarray(colors, np.float64).reshape(-1, 3)
    col = np.broadcast_to(c[:, None, :], (len(c), int(keep.sum()), 3))
    return _sprite(dy[keep], dx[keep], cover[keep], col)


def open_circle_sprite(radius: float, colors: np.ndarray, inside: tuple[int, int, int]) -> Sprite:
    """The mark of a wrong answer: an open circle in the class colour around a hole of
    ``inside`` (the panel's background), the same size as a filled point."""
    dy, dx, d = _grid(radius)
    cover = np.clip(radius + 0.5 - d, 0.0, 1.0)
    keep = cover > 0.02
    dy, dx, d, cover = dy[keep], dx[keep], d[keep], cover[keep]
    ring = np.clip(d - (radius - 2.0) + 0.5, 0.0, 1.0)[None, :, None]  # 2-pixel stroke
    fill = np.asarray(colors, np.float64)[:, None, :]
    col = fill * ring + np.asarray(inside, np.float64) * (1 - ring)
    return _sprite(dy, dx, cover, col)


_RGB = np.arange(3)


def splat(
    canvas: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    sprite: Sprite,
    cls: np.ndarray | None = None,
) -> None:
    """Alpha-blend ``sprite`` onto ``canvas`` (uint8 ``[H, W, 3]``, C-contiguous) at every point.

    All points are drawn in one vectorised step over single bytes (fast fancy indexing);
    where sprites overlap, the later point wins. Centres must keep the sprite inside the canvas
    (callers clamp them).

    Args:
        canvas: Frame to draw on, modified in place.
        x: ``[N]`` integer column of each centre.
        y: ``[N]`` integer row of each centre.
        sprite: What to draw.
        cls: ``[N]`` colour index into ``sprite.colors`` (default 0 for all).
    """
    n = len(x)
    if n == 0:
        return
    W = canvas.shape[1]
    flat = canvas.reshape(-1)
    off = (((sprite.dy * W + sprite.dx) * 3)[:, None] + _RGB).ravel()
    idx = (((np.asarray(y, np.int64) * W + x) * 3)[:, None] + off).ravel()
    col = sprite.colors[np.zeros(n, np.int64) if cls is None else cls]
    a = sprite.alpha
    v = flat[idx].reshape(n, -1).astype(np.uint16) * (255 - a) + col * a + 128
    v = (v + (v >> 8)) >> 8  # exact rounded division by 255
    flat[idx] = v.astype(np.uint8).ravel()


def place_thumbnails(
    xy: np.ndarray, size: float, max_count: int, order: np.ndarray | None = None
) -> np.ndarray:
    """Choose points whose thumbnails (squares of side ``size`` centred on them) never overlap.

    Greedy: walk the points in ``order`` and keep one when no kept square overlaps it, until
    ``max_count`` are kept. A grid of cells of side ``size`` holds at most one kept point per
    cell, so each test looks at nine cells only.

    Args:
        xy: ``[N, 2]`` pixel centres.
        size: Side of a thumbnail plus the gap wanted between two.
        max_count: At most this many are kept.
        order: Priority order of the point indices (default ``0..N-1``).

    Returns:
        Indices of the kept points, in the order they were kept.
    """
    order = np.arange(len(xy)) if order is None else np.asarray(order)
    if max_count <= 0 or len(order) == 0:
        return np.zeros(0, np.int64)
    xs = xy[:, 0].tolist()
    ys = xy[:, 1].tolist()
    cells: dict[tuple[int, int], int] = {}
    kept: list[int] = []
    for i in order.tolist():
        x, y = xs[i], ys[i]
        cx, cy = int(x // size), int(y // size)
        free = True
        for ox in (-1, 0, 1):
            for oy in (-1, 0, 1):
                j = cells.get((cx + ox, cy + oy))
                if j is not None and abs(xs[j] - x) < size and abs(ys[j] - y) < size:
                    free = False
                    break
            if not free:
                break
        if free:
            cells[(cx, cy)] = i
            kept.append(i)
            if len(kept) >= max_count:
                break
    return np.array(kept, dtype=np.int64)


INK = np.array((25, 25, 25), np.float64)


class Thumbnails:
    """Probe images as small framed tiles, framed in a class colour, made on demand.

    Grey images are drawn as dark ink on white (the ink is whichever of dark or light is not the
    background), thin strokes darkened so that they survive shrinking; colour images keep their
    colours. Every tile has a frame in the class colour; a mistake adds a dark frame outside it
    and a cross in its corner (shape, not colour, says "wrong").
    """

    FRAME = 3

    def __init__(self, images: np.ndarray, size: int, colors: np.ndarray) -> None:
        self.size = size
        self.colors = colors.astype(np.float64)
        inner = max(size - 2 * self.FRAME, 1)
        self._gray = images.ndim == 3
        resized = []
        for img in images:
            im = Image.fromarray(img)
            if im.size != (inner, inner):
                im = im.resize((inner, inner), Image.Resampling.LANCZOS)
            resized.append(np.asarray(im))
        self._images = np.stack(resized)
        if self._gray:
            border = np.concatenate(
                [images[:, 0, :], images[:, -1, :], images[:, :, 0], images[:, :, -1]], axis=1
            )
            light_bg = border.mean(axis=1) >= 128
            v = self._images.astype(np.float64) / 255.0
            ink = np.where(light_bg[:, None, None], 1.0 - v, v)
            self._ink = np.clip(ink * 1.6, 0.0, 1.0) ** 0.7  # darker, bolder strokes
        self._cache: dict[tuple[int, int, bool], np.ndarray] = {}

    def tile(self, i: int, cls: int, wrong: bool) -> np.ndarray:
        """The uint8 tile of image ``i`` framed in the colour of ``cls``; ``size + 4`` wide if
        wrong (a dark outer frame and a cross in the top-right corner)."""
        key = (i, cls, wrong)
        got = self._cache.get(key)
        if got is not None:
            return got
        color = self.colors[cls]
        if self._gray:
            ink = self._ink[i][..., None]
            img = 255.0 - ink * (255.0 - INK)
        else:
            img = self._images[i].astype(np.float64)
        f = self.FRAME
        tile = np.empty((self.size, self.size, 3))
        tile[:] = color
        tile[f : f + img.shape[0], f : f + img.shape[1]] = img
        if wrong:
            g = 2
            tile = np.pad(tile, ((g, g), (g, g), (0, 0)))
            tile[:g], tile[-g:], tile[:, :g], tile[:, -g:] = (MISTAKE_COLOR,) * 4
            _cross_badge(tile, max(self.size // 4, 9))
        out = np.round(tile).astype(np.uint8)
        self._cache[key] = out
        return out


def _cross_badge(tile: np.ndarray, n: int) -> None:
    """A white cross on a dark square in the top-right corner of ``tile`` (float, in place)."""
    x0 = tile.shape[1] - n
    tile[:n, x0:] = MISTAKE_COLOR
    k = np.arange(2, n - 2)
    for w in (0, 1):
        tile[k, x0 + np.clip(k + w, 0, n - 1)] = 255.0
        tile[k, x0 + np.clip(n - 1 - k - w, 0, n - 1)] = 255.0
