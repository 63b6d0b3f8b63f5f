"""Static line charts of values in [0, 1] (accuracy) against a fraction: one chart or a grid.

Used for pruning curves: accuracy as units are removed, one line per order, a shaded band for
the spread of the random orders, a dotted reference line for chance. NumPy in, an RGB frame out
(``encode_png`` makes the file). Drawn at ``SUPERSAMPLE`` times the size and scaled down, so
lines are smooth.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from ._layout import Rect
from ._text import ellipsize, font

SUPERSAMPLE = 2
_INK = (30, 30, 30)
_MUTED = (110, 110, 110)
_GRID = (226, 226, 226)


@dataclass(frozen=True)
class Curve:
    """One line of a chart.

    Attributes:
        label: Legend text.
        y: ``[S]`` values in [0, 1] (NaN leaves a gap).
        spread: ``[S]`` half-width of a shaded band around the line (e.g. a standard deviation).
        color: RGB.
        dashed: Draw the line dashed.
    """

    label: str
    y: np.ndarray
    spread: np.ndarray | None = None
    color: tuple[int, int, int] = _INK
    dashed: bool = False


def _check(x: np.ndarray, curves: Sequence[Curve]) -> np.ndarray:
    xs = np.asarray(x, dtype=np.float64)
    if xs.ndim != 1 or xs.size < 2 or not np.all(np.diff(xs) > 0):
        raise ValueError("x must be at least two increasing values")
    for c in curves:
        if np.shape(c.y) != xs.shape or (c.spread is not None and np.shape(c.spread) != xs.shape):
            raise ValueError(f"curve '{c.label}' must have {xs.size} values like x")
    return xs


def _light(color: tuple[int, int, int], amount: float = 0.78) -> tuple[int, int, int]:
    r, g, b = (int(round(v + (255 - v) * amount)) for v in color)
    return (r, g, b)


def _segments(px: np.ndarray, py: np.ndarray) -> list[list[tuple[float, float]]]:
    """Runs of finite points as polylines."""
    runs: list[list[tuple[float, float]]] = []
    current: list[tuple[float, float]] = []
    for a, b in zip(px, py, strict=True):
        if np.isfinite(b):
            current.append((float(a), float(b)))
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


def _dashed(draw: ImageDraw.ImageDraw, pts: list[tuple[float, float]], color, width, dash):
    """A polyline drawn as dashes of ``dash`` pixels."""
    on, left = True, dash
    for (x0, y0), (x1, y1) in zip(pts, pts[1:], strict=False):
        length = float(np.hypot(x1 - x0, y1 - y0))
        pos = 0.0
        while pos < length:
            step = min(left, length - pos)
            if on:
                t0, t1 = pos / length, (pos + step) / length
                seg = [(x0 + (x1 - x0) * t0, y0 + (y1 - y0) * t0)]
                seg.append((x0 + (x1 - x0) * t1, y0 + (y1 - y0) * t1))
                draw.line(seg, fill=color, width=width)
            pos += step
            left -= step
            if left <= 0:
                on, left = not on, dash


def _panel(
    draw: ImageDraw.ImageDraw,
    rect: Rect,
    x: np.ndarray,
    curves: Sequence[Curve],
    s: float,
    *,
    title: str,
    x_label: str,
    reference: float | None,
) -> None:
    """One chart: title, grid, axis labels in percent, bands, lines."""
    small = font(11 * s)
    draw.text((rect.x0, rect.y0), title, font=font(13 * s, True), fill=_INK)
    plot = Rect(
        rect.x0 + round(40 * s),
        rect.y0 + round(24 * s),
        rect.x1 - round(8 * s),
        rect.y1 - round(34 * s),
    )

    def px(v: np.ndarray) -> np.ndarray:
        return plot.x0 + (v - x[0]) / (x[-1] - x[0]) * (plot.w - 1)

    def py(v: np.ndarray) -> np.ndarray:
        return plot.y1 - 1 - np.clip(v, 0, 1) * (plot.h - 1)

    for v in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = float(py(np.array(v)))
        draw.line([(plot.x0, y), (plot.x1 - 1, y)], fill=_GRID if v else (170, 170, 170))
        draw.text((plot.x0 - 5 * s, y), f"{v:.0%}", font=small, fill=_MUTED, anchor="rm")
    for v in (x[0], (x[0] + x[-1]) / 2, x[-1]):
        xx = float(px(np.array(v)))
        draw.line([(xx, plot.y1), (xx, plot.y1 + 4 * s)], fill=(170, 170, 170))
        draw.text((xx, plot.y1 + 6 * s), f"{v:.0%}", font=small, fill=_MUTED, anchor="mt")
    draw.text(((plot.x0 + plot.x1) / 2, rect.y1), x_label, font=small, fill=_MUTED, anchor="md")
    xs = px(x)
    for c in curves:
        if c.spread is None:
            continue
        lo, hi = py(np.asarray(c.y) - c.spread), py(np.asarray(c.y) + c.spread)
        ok = np.isfinite(lo) & np.isfinite(hi)
        if ok.sum() >= 2:
            poly = (
                list(zip(xs[ok], hi[ok], strict=True))
                + list(zip(xs[ok], lo[ok], strict=True))[::-1]
            )
            draw.polygon([(float(a), float(b)) for a, b in poly], fill=_light(c.color))
    if reference is not None:
        y = float(py(np.array(reference)))
        _dashed(draw, [(plot.x0, y), (plot.x1 - 1, y)], (150, 150, 150), max(1, round(s)), 3 * s)
    width = max(1, round(2.2 * s))
    for c in curves:
        for run in _segments(xs, py(np.asarray(c.y, np.float64))):
            if len(run) == 1:
                r = 2 * s
                draw.ellipse(
                    [run[0][0] - r, run[0][1] - r, run[0][0] + r, run[0][1] + r], fill=c.color
                )
            elif c.dashed:
                _dashed(draw, run, c.color, width, 7 * s)
            else:
                draw.line(run, fill=c.color, width=width, joint="curve")


def _legend(draw: ImageDraw.ImageDraw, x0: float, y0: float, x1: float, curves, s: float) -> None:
    f = font(12 * s)
    x = x0
    sw = 22 * s
    for c in curves:
        label = ellipsize(draw, c.label, f, max(x1 - x - sw - 8 * s, 10 * s))
        yc = y0 + 8 * s
        if c.spread is not None:
            draw.rectangle([x, yc - 5 * s, x + sw, yc + 5 * s], fill=_light(c.color))
        if c.dashed:
            _dashed(draw, [(x, yc), (x + sw, yc)], c.color, max(1, round(2.2 * s)), 5 * s)
        else:
            draw.line([(x, yc), (x + sw, yc)], fill=c.color, width=max(1, round(2.2 * s)))
        draw.text((x + sw + 5 * s, yc), label, font=f, fill=_INK, anchor="lm")
        x += sw + 18 * s + draw.textlength(label, font=f)
        if x > x1:
            break


def _finish(img: Image.Image, width: int, height: int) -> np.ndarray:
    return np.asarray(img.resize((width, height), Image.Resampling.LANCZOS).convert("RGB")).copy()


def curve_chart(
    x: np.ndarray,
    curves: Sequence[Curve],
    *,
    title: str,
    x_label: str,
    reference: float | None = None,
    width: int = 900,
    height: int = 560,
) -> np.ndarray:
    """One chart of ``curves`` against ``x`` with a legend on top.

    Args:
        x: ``[S]`` increasing values, shown in percent (fractions 0 to 1).
        curves: The lines; values in [0, 1], shown in percent.
        title: Heading.
        x_label: Text under the x axis.
        reference: A value drawn as a dotted line (e.g. chance accuracy).
        width: Width of the picture in pixels.
        height: Height in pixels.

    Returns:
        ``uint8 [height, width, 3]``.
    """
    xs = _check(x, curves)
    s = float(SUPERSAMPLE)
    img = Image.new("RGB", (int(width * s), int(height * s)), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    pad = 16 * s
    _legend(draw, pad, pad, width * s - pad, curves, s)
    rect = Rect(int(pad), int(pad + 26 * s), int(width * s - pad), int(height * s - pad))
    _panel(draw, rect, xs, curves, s, title=title, x_label=x_label, reference=reference)
    return _finish(img, width, height)


def curve_grid(
    x: np.ndarray,
    panels: Sequence[tuple[str, Sequence[Curve]]],
    *,
    title: str,
    x_label: str,
    reference: float | None = None,
    columns: int | None = None,
    panel_width: int = 280,
    panel_height: int = 210,
    legend: Sequence[Curve] | None = None,
) -> np.ndarray:
    """Small multiples: one chart per ``(title, curves)`` under one legend.

    ``legend`` lists the curves to explain (default: the first panel's).

    Returns:
        ``uint8 [H, W, 3]``.
    """
    if not panels:
        raise ValueError("give at least one panel")
    xs = x
    for _, curves in panels:
        xs = _check(x, curves)
    cols = columns or int(np.ceil(np.sqrt(len(panels))))
    rows = int(np.ceil(len(panels) / cols))
    s = float(SUPERSAMPLE)
    head = 58
    width, height = cols * panel_width + 24, rows * panel_height + head + 12
    img = Image.new("RGB", (int(width * s), int(height * s)), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    draw.text((12 * s, 10 * s), title, font=font(15 * s, True), fill=_INK)
    _legend(draw, 12 * s, 34 * s, (width - 12) * s, panels[0][1] if legend is None else legend, s)
    for i, (name, curves) in enumerate(panels):
        r, c = divmod(i, cols)
        x0, y0 = (12 + c * panel_width) * s, (head + r * panel_height) * s
        rect = Rect(
            int(x0), int(y0), int(x0 + (panel_width - 10) * s), int(y0 + (panel_height - 8) * s)
        )
        _panel(draw, rect, xs, curves, s, title=name, x_label=x_label, reference=reference)
    return _finish(img, width, height)
