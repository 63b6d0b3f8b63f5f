"""Static line charts of values in [0, 1] (accuracy) against a fraction: one chart or a grid.

Used for pruning curves: accuracy as units are removed, one line per order, a shaded band for
the spread of the random orders, a dotted reference line for chance. NumPy in, an RGB frame out
(``encode_png`` makes the file). Drawn with matplotlib (``_figure``), once per picture.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import PercentFormatter

from ._figure import GRID, INK, MUTED, figure, px, rgb

_INK = (30, 30, 30)
_REFERENCE = "#969696"


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


def _color(c: tuple[int, int, int], alpha: float = 1.0) -> tuple[float, float, float, float]:
    return (c[0] / 255, c[1] / 255, c[2] / 255, alpha)


def _panel(
    ax: Axes,
    x: np.ndarray,
    curves: Sequence[Curve],
    *,
    title: str,
    x_label: str,
    y_label: str,
    reference: float | None,
    font: float,
) -> None:
    """One chart: title, grid, axes named and in percent, bands, lines, the reference."""
    ax.set_title(title, loc="left", fontsize=font * 1.1, fontweight="bold", color=INK, pad=font)
    for c in curves:
        y = np.asarray(c.y, np.float64)
        if c.spread is not None:
            s = np.asarray(c.spread, np.float64)
            ax.fill_between(x, y - s, y + s, color=_color(c.color, 0.22), linewidth=0)
        ax.plot(
            x,
            y,
            color=_color(c.color),
            linewidth=font * 0.2,
            linestyle=(0, (4, 2)) if c.dashed else "-",
            marker="o" if np.isfinite(y).sum() == 1 else None,
            markersize=font * 0.4,
        )
    if reference is not None:
        ax.axhline(reference, color=_REFERENCE, linewidth=font * 0.09, linestyle=(0, (2, 2)))
        ax.annotate(
            "chance",
            (x[0], reference),
            xytext=(2, 2),
            textcoords="offset points",
            ha="left",
            va="bottom",
            fontsize=font * 0.85,
            color=MUTED,
        )
    ax.set_xlim(x[0], x[-1])
    ax.set_ylim(-0.02, 1.02)
    ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
    ax.set_xticks([x[0], (x[0] + x[-1]) / 2, x[-1]])
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel(x_label, fontsize=font, color=MUTED)
    ax.set_ylabel(y_label, fontsize=font, color=MUTED)
    ax.tick_params(labelsize=font * 0.9, colors=MUTED, length=font * 0.3)
    ax.grid(axis="y", color=GRID, linewidth=font * 0.08)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color("#aaaaaa")


def _legend(fig: Figure, curves: Sequence[Curve], top: float, font: float) -> None:
    """The curves' legend in one row (more when it does not fit), left-aligned at ``top``."""
    handles: list[Line2D | Patch | tuple[Patch, Line2D]] = []
    for c in curves:
        line = Line2D(
            [], [], color=_color(c.color), linewidth=font * 0.2, linestyle="--" if c.dashed else "-"
        )
        band = Patch(facecolor=_color(c.color, 0.22), linewidth=0)
        handles.append((band, line) if c.spread is not None else line)
    width_px = fig.get_figwidth() * 100
    per_row = max(1, min(len(curves), int(width_px // 260)))
    fig.legend(  # type: ignore[call-overload]  # a (band, line) tuple is a legend handle
        handles,
        [c.label for c in curves],
        loc="upper left",
        bbox_to_anchor=(0.0, top),
        ncol=per_row,
        frameon=False,
        fontsize=font,
        handlelength=2.2,
        columnspacing=1.6,
        borderaxespad=0.6,
    )


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
        curves: The lines; values in [0, 1], shown in percent (the y axis: accuracy).
        title: Heading.
        x_label: Text under the x axis.
        reference: A value drawn as a dotted line labelled "chance" (e.g. chance accuracy).
        width: Width of the picture in pixels.
        height: Height in pixels.

    Returns:
        ``uint8 [height, width, 3]``.
    """
    xs = _check(x, curves)
    fig = figure(width, height)
    font = px(12 if width >= 500 else 9)
    legend_rows = int(np.ceil(len(curves) / max(1, min(len(curves), width // 260))))
    scale = 1.0 if width >= 500 else 0.75
    top = min(0.5 * height, (22 * legend_rows + 40) * scale)  # legend, then the title
    left, bottom, right = 70 * scale, 46 * scale, 20 * scale
    ax = fig.add_axes(
        (left / width, bottom / height, 1 - (left + right) / width, 1 - (top + bottom) / height)
    )
    _panel(
        ax,
        xs,
        curves,
        title=title,
        x_label=x_label,
        y_label="accuracy",
        reference=reference,
        font=font,
    )
    _legend(fig, curves, 1.0, font)
    return rgb(fig, width, height)


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
    xs = np.asarray(x, np.float64)
    for _, curves in panels:
        xs = _check(x, curves)
    explained = panels[0][1] if legend is None else legend
    cols = columns or int(np.ceil(np.sqrt(len(panels))))
    rows = int(np.ceil(len(panels) / cols))
    font = px(10)
    width = cols * panel_width + 24
    per_row = max(1, min(len(explained), width // 260))
    head = 40 + 20 * int(np.ceil(len(explained) / per_row))
    height = rows * panel_height + head + 12
    fig = figure(width, height)
    fig.text(
        12 / width, 1 - 8 / height, title, fontsize=px(15), fontweight="bold", color=INK, va="top"
    )
    _legend(fig, explained, 1 - 24 / height, font)
    grid = fig.add_gridspec(
        rows,
        cols,
        left=50 / width,
        right=1 - 12 / width,
        top=1 - (head + 4) / height,
        bottom=40 / height,
        hspace=0.75,
        wspace=0.3,
    )
    for i, (name, curves) in enumerate(panels):
        r, c = divmod(i, cols)
        ax = fig.add_subplot(grid[r, c])
        _panel(
            ax,
            xs,
            curves,
            title=name,
            x_label=x_label if r == rows - 1 or i + cols >= len(panels) else "",
            y_label="accuracy" if c == 0 else "",
            reference=reference,
            font=font,
        )
    return rgb(fig, width, height)
