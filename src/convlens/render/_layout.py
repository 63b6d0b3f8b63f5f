"""Where everything sits on the frame, and the fixed data-to-pixel view of each panel."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Rect:
    """A pixel rectangle, ``x0``/``y0`` inclusive, ``x1``/``y1`` exclusive."""

    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def w(self) -> int:
        return self.x1 - self.x0

    @property
    def h(self) -> int:
        return self.y1 - self.y0

    def inset(self, d: int) -> Rect:
        return Rect(self.x0 + d, self.y0 + d, self.x1 - d, self.y1 - d)

    def box(self) -> tuple[int, int, int, int]:
        """``(x0, y0, x1, y1)`` as Pillow wants it for a crop."""
        return (self.x0, self.y0, self.x1, self.y1)


@dataclass(frozen=True)
class PanelSlot:
    """One layer column: its title and plot, and the training-set title and plot if shown."""

    title: Rect
    plot: Rect
    train_title: Rect | None
    train_plot: Rect | None


@dataclass(frozen=True)
class Layout:
    """All regions of a frame, in pixels."""

    scale: float
    title: Rect
    subtitle: Rect
    epoch: Rect
    progress: Rect
    sidebar: Rect
    footer: Rect
    panels: list[PanelSlot]


def make_layout(width: int, height: int, n_panels: int, show_train: bool) -> Layout:
    """Lay out a frame: header on top, layers side by side, legend and chart on the right."""
    s = min(width / 1280, height / 720)
    m = round(20 * s)
    side_w = round(min(280 * s, width * 0.3))
    side_x0 = width - m - side_w
    header_h = round(86 * s)
    title = Rect(m, round(10 * s), side_x0 - m, round(46 * s))
    subtitle = Rect(m, round(48 * s), side_x0 - m, header_h)
    epoch = Rect(side_x0, round(6 * s), width - m, header_h)
    progress = Rect(m, header_h + round(4 * s), width - m, header_h + round(8 * s))
    top = progress.y1 + round(14 * s)
    footer = Rect(m, height - m - round(22 * s), side_x0 - m, height - m + round(4 * s))
    sidebar = Rect(side_x0, top, width - m, height - m)
    area = Rect(m, top, side_x0 - round(28 * s), footer.y0 - round(8 * s))
    gap = round(16 * s)
    col_w = (area.w - gap * (n_panels - 1)) // n_panels
    title_h = round(24 * s)
    slots = []
    for i in range(n_panels):
        x0 = area.x0 + i * (col_w + gap)
        x1 = x0 + col_w
        t = Rect(x0, area.y0, x1, area.y0 + title_h)
        if show_train:
            probe_h = round((area.h - 2 * title_h) * 0.64)
            plot = Rect(x0, t.y1, x1, t.y1 + probe_h)
            tt = Rect(x0, plot.y1 + round(6 * s), x1, plot.y1 + round(6 * s) + title_h)
            slots.append(PanelSlot(t, plot, tt, Rect(x0, tt.y1, x1, area.y1)))
        else:
            slots.append(PanelSlot(t, Rect(x0, t.y1, x1, area.y1), None, None))
    return Layout(s, title, subtitle, epoch, progress, sidebar, footer, slots)


def orientation(*clouds: np.ndarray | None, wide: bool = True) -> np.ndarray:
    """A fixed rotation ``[2, 2]`` (apply as ``xy @ R``) that lays the clouds' long axis along a
    panel's long side (``wide``: x), the same for every epoch, so motion keeps its meaning.

    A rotation changes no distance: the map means what it meant, it only fills the panel.
    """
    pts = np.concatenate([c.reshape(-1, 2) for c in clouds if c is not None and c.size])
    pts = pts - pts.mean(axis=0)
    _, vecs = np.linalg.eigh(np.cov(pts.T) if len(pts) > 1 else np.eye(2))
    major, minor = vecs[:, 1], vecs[:, 0]
    R = np.stack([major, minor], axis=1) if wide else np.stack([minor, major], axis=1)
    if np.linalg.det(R) < 0:  # a rotation, never a mirror image
        R[:, 1] = -R[:, 1]
    return np.asarray(R)


def view_bounds(*clouds: np.ndarray | None, q: float = 0.01, margin: float = 0.03) -> np.ndarray:
    """Fixed data bounds ``[[xmin, ymin], [xmax, ymax]]`` over every epoch of every cloud.

    Robust quantiles (``q`` and ``1 - q``) ignore a few far outliers, so one stray point does not
    shrink everything; the margin keeps points off the frame edge.
    """
    pts = np.concatenate([c.reshape(-1, 2) for c in clouds if c is not None and c.size])
    lo = np.quantile(pts, q, axis=0)
    hi = np.quantile(pts, 1 - q, axis=0)
    span = hi - lo
    span = np.where(span > 1e-12, span, np.maximum(np.abs(lo), 1.0))
    return np.stack([lo - margin * span, hi + margin * span])


def to_pixels(
    xy: np.ndarray, bounds: np.ndarray, rect: Rect, pad: int, max_stretch: float = 1.0
) -> np.ndarray:
    """Map data points ``[..., 2]`` into ``rect`` (y up), clamped ``pad`` inside.

    One axis may be stretched up to ``max_stretch`` times the other (1 = equal aspect), so that
    a cloud fills a panel of another shape without distorting it much.

    Returns float32 pixel centres; points outside ``bounds`` sit on the edge of the view.
    """
    inner = rect.inset(pad)
    lo, hi = bounds
    span = hi - lo
    kx, ky = (inner.w - 1) / span[0], (inner.h - 1) / span[1]
    k = min(kx, ky)
    kx, ky = min(kx, k * max_stretch), min(ky, k * max_stretch)
    cx = (inner.x0 + inner.x1 - 1) / 2
    cy = (inner.y0 + inner.y1 - 1) / 2
    mid = (lo + hi) / 2
    px = cx + (xy[..., 0] - mid[0]) * kx
    py = cy - (xy[..., 1] - mid[1]) * ky
    px = np.clip(px, inner.x0, inner.x1 - 1)
    py = np.clip(py, inner.y0, inner.y1 - 1)
    return np.stack([px, py], axis=-1).astype(np.float32)
