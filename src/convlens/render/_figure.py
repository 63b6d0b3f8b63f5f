"""matplotlib for the pictures drawn once (pruning curves, the network graph).

A ``Figure`` with its own Agg canvas, never pyplot: no global state, no display, safe beside
other threads drawing their own figures. Sizes are given in pixels; one point is ``72 / DPI``
of them, so ``px(11)`` is the font size of 11-pixel text.
"""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

DPI = 100
FONT = "DejaVu Sans"  # matplotlib's own font, shipped with it: the same picture everywhere
INK = "#1e1e1e"
MUTED = "#6e6e6e"
GRID = "#e2e2e2"


def px(pixels: float, scale: float = 1.0) -> float:
    """``pixels`` (at ``scale`` times the size) in points."""
    return pixels * scale * 72.0 / DPI


def figure(width: int, height: int, scale: int = 1, *, transparent: bool = False) -> Figure:
    """An empty figure of ``width`` × ``height`` pixels (times ``scale``), white or clear."""
    fig = Figure(figsize=(width / DPI, height / DPI), dpi=DPI * scale)
    FigureCanvasAgg(fig)
    fig.patch.set_facecolor((1, 1, 1, 0) if transparent else "white")
    return fig


def rgba(fig: Figure, width: int, height: int, scale: int = 1) -> np.ndarray:
    """The drawn figure as ``uint8 [height * scale, width * scale, 4]`` (exactly that size)."""
    canvas = fig.canvas
    if not isinstance(canvas, FigureCanvasAgg):
        canvas = FigureCanvasAgg(fig)
    canvas.draw()  # type: ignore[no-untyped-call]
    buf = np.asarray(canvas.buffer_rgba())  # type: ignore[no-untyped-call]
    H, W = height * scale, width * scale
    out = np.zeros((H, W, 4), np.uint8)
    h, w = min(H, buf.shape[0]), min(W, buf.shape[1])
    out[:h, :w] = buf[:h, :w]
    return out


def rgb(fig: Figure, width: int, height: int) -> np.ndarray:
    """The drawn figure as ``uint8 [height, width, 3]`` on white."""
    return np.ascontiguousarray(rgba(fig, width, height)[..., :3])
