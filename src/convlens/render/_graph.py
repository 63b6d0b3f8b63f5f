"""Static pictures of a network graph laid out in 3-D: NumPy in, an RGB frame out.

The layout is turned (``azimuth`` about the vertical axis, ``elevation`` towards the viewer)
and projected orthographically, the layer axis running left to right. Edges are translucent
polylines blended in any order (see ``_lines``), their opacity following nn_vis's rendering
parameters: ``edge_opacity * clip(base_opacity + importance_opacity * importance, 0, 1)``,
hidden below ``importance_threshold``. Nodes are discs on top, least important first. Drawn
with matplotlib (``_figure``: Agg, no pyplot) at ``supersample`` times the size and averaged
down. Translucent edges blend by Agg's "over": where ``n`` edges of opacity ``a`` cross, the
coverage is ``1 - (1 - a) ** n`` whatever their order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ._figure import DPI, INK, MUTED, figure, px, rgba
from ._text import labels_with_room

Color = tuple[int, int, int]


@dataclass(frozen=True)
class GraphStyle:
    """How a graph picture looks (the rendering parameters of nn_vis, and the view).

    Attributes:
        width: Width of the picture (of each panel, side by side) in pixels.
        height: Height in pixels.
        azimuth: Turn about the vertical axis, in degrees (0 looks along the slices).
        elevation: Tilt towards the viewer, in degrees.
        edge_opacity: Opacity of the most important edge.
        base_opacity: nn_vis's base opacity, added to every edge's.
        importance_opacity: nn_vis's rate at which importance raises opacity.
        importance_threshold: Edges and nodes less important than this are not drawn.
        node_size: Node diameter in layout units (a slice is ``layer_width`` wide).
        line_width: Edge width in pixels.
        supersample: Drawing scale before averaging down (on top of Agg's anti-aliasing).
        background: RGB.
    """

    width: int = 1200
    height: int = 720
    azimuth: float = 25.0
    elevation: float = 15.0
    edge_opacity: float = 0.5
    base_opacity: float = 0.0
    importance_opacity: float = 1.1
    importance_threshold: float = 0.1
    node_size: float = 0.02
    line_width: float = 1.0
    supersample: int = 2
    background: Color = (255, 255, 255)

    def __post_init__(self) -> None:
        if self.width < 64 or self.height < 64:
            raise ValueError(f"a graph picture needs at least 64 x 64 pixels, got {self.width}")
        if not 1 <= self.supersample <= 4:
            raise ValueError("supersample must be 1 to 4")


GATE, SHORTCUT = 2, 1  # edge kinds (analyze.netgraph: 0 a weighted connection)
_SHORTCUT_INK = np.array([0.13, 0.13, 0.13])  # near-black: no class colour is this dark
SHORTCUT_LEGEND = "shortcut (dotted): the block's input is added to its output"
GATE_LEGEND = "gate (dashed): scales a layer's maps"


@dataclass(frozen=True)
class GraphDrawing:
    """What to draw: nodes, polylines and their colours and importance.

    Attributes:
        node_position: ``[N, 3]`` layout coordinates (``z`` along the layers).
        node_color: ``[N, 3]`` uint8.
        node_importance: ``[N]`` in 0..1 (opacity).
        sample_position: ``[S, 3]`` the polylines' points.
        sample_offsets: ``[E + 1]``: edge ``e`` is ``sample_position[offsets[e]:offsets[e+1]]``.
        sample_color: ``[S, 3]`` uint8 colour at every point.
        edge_importance: ``[E]`` in 0..1 (opacity).
        title: Heading over the picture.
        legend: ``(name, colour)`` pairs shown under the heading.
        slices: ``(label, z)`` of every layer: a faint square outline at ``z``, labelled.
        slice_width: Width of those squares in layout units.
        edge_kind: ``[E]`` uint8 per polyline, or ``None`` (all ordinary): 1 a shortcut (a
            residual join: drawn dotted in near-black, never faint), 2 a gate (dashed).
    """

    node_position: np.ndarray
    node_color: np.ndarray
    node_importance: np.ndarray
    sample_position: np.ndarray
    sample_offsets: np.ndarray
    sample_color: np.ndarray
    edge_importance: np.ndarray
    title: str = ""
    legend: tuple[tuple[str, Color], ...] = ()
    slices: tuple[tuple[str, float], ...] = ()
    slice_width: float = 1.0
    edge_kind: np.ndarray | None = None

    def __post_init__(self) -> None:
        n, s = len(self.node_position), len(self.sample_position)
        e = len(self.sample_offsets) - 1
        if np.shape(self.node_position) != (n, 3) or len(self.node_color) != n:
            raise ValueError("node_position must be [N, 3] with a colour per node")
        if len(self.node_importance) != n or np.shape(self.sample_position) != (s, 3):
            raise ValueError("node_importance needs one value per node; samples must be [S, 3]")
        if e < 0 or len(self.sample_color) != s or len(self.edge_importance) != e:
            raise ValueError("give a colour per sample and an importance per polyline")
        if e and (self.sample_offsets[0] != 0 or self.sample_offsets[-1] != s):
            raise ValueError("sample_offsets must run from 0 to the number of samples")
        if e and np.any(np.diff(self.sample_offsets) < 2):
            raise ValueError("every polyline needs at least two points")
        if self.edge_kind is not None and len(self.edge_kind) != e:
            raise ValueError("edge_kind needs one value per polyline")


def project(points: np.ndarray, style: GraphStyle) -> np.ndarray:
    """``[P, 2]`` screen coordinates (right, down) of layout points, before scaling."""
    p = np.asarray(points, np.float64).reshape(-1, 3)
    a, e = np.radians(style.azimuth), np.radians(style.elevation)
    u = p[:, 2] * np.cos(a) + p[:, 0] * np.sin(a)
    w = -p[:, 2] * np.sin(a) + p[:, 0] * np.cos(a)
    v = p[:, 1] * np.cos(e) - w * np.sin(e)
    return np.stack([u, -v], axis=1)


def _corners(drawing: GraphDrawing) -> np.ndarray:
    """``[L, 5, 3]``: the closed outline of every slice."""
    h = drawing.slice_width / 2
    sq = np.array([[-h, -h], [h, -h], [h, h], [-h, h], [-h, -h]])
    out = np.zeros((len(drawing.slices), 5, 3))
    for i, (_, z) in enumerate(drawing.slices):
        out[i, :, :2], out[i, :, 2] = sq, z
    return out


def bounds_of(drawings: Sequence[GraphDrawing], style: GraphStyle) -> np.ndarray:
    """``[[x0, y0], [x1, y1]]``: the projected extent of all ``drawings`` (a shared frame)."""
    pts = [project(d.node_position, style) for d in drawings]
    pts += [project(d.sample_position, style) for d in drawings]
    pts += [project(_corners(d).reshape(-1, 3), style) for d in drawings]
    allp = np.concatenate([p for p in pts if len(p)] or [np.zeros((1, 2))])
    return np.stack([allp.min(axis=0), allp.max(axis=0)])


def edge_alpha(importance: np.ndarray, style: GraphStyle) -> np.ndarray:
    """Opacity of every edge from its importance (nn_vis's parameters)."""
    imp = np.asarray(importance, np.float64)
    a = np.clip(style.base_opacity + style.importance_opacity * imp, 0, 1) * style.edge_opacity
    return np.where(imp >= style.importance_threshold, a, 0.0)


def _frame(style: GraphStyle, bounds: np.ndarray, top: int) -> tuple[float, np.ndarray]:
    """Scale and offset (pixels) that fit ``bounds`` into the picture below ``top`` pixels."""
    pad = 14
    w, h = style.width - 2 * pad, style.height - top - 2 * pad
    span = np.maximum(bounds[1] - bounds[0], 1e-9)
    scale = float(min(w / span[0], h / span[1]))
    centre = (bounds[0] + bounds[1]) / 2
    origin = np.array([style.width / 2, top + pad + h / 2]) - centre * scale
    return scale, origin


def _canvas(style: GraphStyle, *, transparent: bool) -> tuple[Figure, Axes]:
    """Axes over the whole figure in pixel units (y down) with ``bounds`` fitted below ``top``."""
    fig = figure(style.width, style.height, style.supersample, transparent=transparent)
    if not transparent:
        fig.patch.set_facecolor(_rgb(style.background))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    ax.set_xlim(0, style.width)
    ax.set_ylim(style.height, 0)
    return fig, ax


def _edges(
    ax: Axes, drawing: GraphDrawing, style: GraphStyle, scale: float, origin: np.ndarray
) -> None:
    """Every visible polyline, a segment at a time (colours blend along it), one collection."""
    alpha = edge_alpha(drawing.edge_importance, style)
    off = np.asarray(drawing.sample_offsets)
    kind = (
        np.zeros(len(off) - 1, np.uint8)
        if drawing.edge_kind is None
        else np.asarray(drawing.edge_kind, np.uint8)
    )
    alpha = np.where(kind == SHORTCUT, np.maximum(alpha, 0.65), alpha)  # never faint
    if len(off) < 2 or not np.any(alpha > 0):
        return
    xy = project(drawing.sample_position, style) * scale + origin
    edge = np.repeat(np.arange(len(off) - 1), np.diff(off))
    seg = np.ones(len(xy), bool)
    seg[off[1:] - 1] = False
    seg &= alpha[edge] > 0
    col = np.asarray(drawing.sample_color, np.float64)
    for k, dashes in ((0, "solid"), (GATE, (0, (4, 3))), (SHORTCUT, (0, (1, 2)))):
        i = np.flatnonzero(seg & (kind[edge] == k))
        if not len(i):
            continue
        colors = np.empty((len(i), 4))
        colors[:, :3] = _SHORTCUT_INK if k == SHORTCUT else (col[i] + col[i + 1]) / 510
        colors[:, 3] = alpha[edge[i]]
        lines = LineCollection(
            cast("Sequence[np.ndarray]", np.stack([xy[i], xy[i + 1]], axis=1)),
            colors=colors,
            linewidths=px(style.line_width) * (1.5 if k == SHORTCUT else 1.0),
            linestyles=dashes,
            capstyle="butt",
            antialiaseds=True,
        )
        ax.add_collection(lines)


def _slices(
    ax: Axes, drawing: GraphDrawing, style: GraphStyle, scale: float, origin: np.ndarray
) -> None:
    """Faint outlines of the layers under the edges, labelled below where the label has room."""
    lows = []
    for sq in _corners(drawing):
        pts = project(sq, style) * scale + origin
        ax.plot(pts[:, 0], pts[:, 1], color=(0.59, 0.59, 0.59, 0.35), linewidth=px(1), zorder=0)
        lows.append(pts[np.argmax(pts[:, 1])])
    names = [label for label, _ in drawing.slices]
    for i in labels_with_room(np.array(lows).reshape(-1, 2), names):
        ax.annotate(
            names[i],
            (float(lows[i][0]), float(lows[i][1])),
            xytext=(0, -px(4)),
            textcoords="offset points",
            ha="center",
            va="top",
            fontsize=px(11),
            color=MUTED,
        )


def _nodes(
    ax: Axes, drawing: GraphDrawing, style: GraphStyle, scale: float, origin: np.ndarray
) -> None:
    """Discs on top of the edges, least important first; opacity from importance."""
    imp = np.asarray(drawing.node_importance, np.float64)
    order = [int(i) for i in np.argsort(imp, kind="stable") if imp[i] >= style.importance_threshold]
    if not order:
        return
    xy = project(drawing.node_position, style)[order] * scale + origin
    colors = np.empty((len(order), 4))
    colors[:, :3] = np.asarray(drawing.node_color, np.float64)[order] / 255
    colors[:, 3] = np.minimum(1.0, 0.35 + 0.65 * imp[order])
    diameter = 2 * max(style.node_size * scale / 2, 1.2)
    ax.scatter(xy[:, 0], xy[:, 1], s=px(diameter) ** 2, c=colors, linewidths=0, zorder=3)


def _legend_rows(drawing: GraphDrawing, width: int) -> list[tuple[str, Color]]:
    """The legend entries that fit one row of ``width`` pixels, long names shortened."""
    one = len(drawing.legend) == 1
    keep = drawing.legend[: max(1, (width - 24) // 120)]
    return [(n if one or len(n) <= 15 else n[:14] + "…", c) for n, c in keep]


def _heading(fig: Figure, title: str, legend: Sequence[tuple[str, Color]]) -> None:
    """The title and the class colours under it, in the top 52 pixels."""
    w, h = fig.get_figwidth() * DPI, fig.get_figheight() * DPI
    fig.text(12 / w, 1 - 8 / h, title, fontsize=px(15), fontweight="bold", color=INK, va="top")
    if not legend:
        return
    handles = [
        Line2D([], [], marker="o", linestyle="", markersize=px(10), color=_rgb(c), label=name)
        for name, c in legend
    ]
    fig.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(4 / w, 1 - 26 / h),
        ncol=len(handles),
        frameon=False,
        fontsize=px(12),
        handletextpad=0.2,
        columnspacing=1.2,
        borderaxespad=0,
    )


def _rgb(c: Sequence[int] | np.ndarray) -> tuple[float, float, float]:
    return (int(c[0]) / 255, int(c[1]) / 255, int(c[2]) / 255)


def _picture(
    drawing: GraphDrawing, style: GraphStyle, bounds: np.ndarray, top: int
) -> tuple[Figure, Axes]:
    """Slices, edges and nodes of ``drawing`` fitted below ``top`` pixels (no heading)."""
    fig, ax = _canvas(style, transparent=False)
    scale, origin = _frame(style, bounds, top)
    _slices(ax, drawing, style, scale, origin)
    _edges(ax, drawing, style, scale, origin)
    _nodes(ax, drawing, style, scale, origin)
    return fig, ax


def _finish(fig: Figure, style: GraphStyle) -> np.ndarray:
    """``uint8 [height, width, 3]``: drawn at ``supersample`` times the size, averaged down."""
    s = style.supersample
    big = rgba(fig, style.width, style.height, s)[..., :3]
    small = big.reshape(style.height, s, style.width, s, 3).mean(axis=(1, 3))
    return np.asarray(np.rint(small), np.uint8)


def draw_graph(
    drawing: GraphDrawing, style: GraphStyle | None = None, bounds: np.ndarray | None = None
) -> np.ndarray:
    """One picture of a graph with its heading and legend.

    Args:
        drawing: What to draw.
        style: How (default :class:`GraphStyle`).
        bounds: Projected extent to frame (default: the drawing's own, see :func:`bounds_of`).

    Returns:
        ``uint8 [height, width, 3]``.
    """
    style = style or GraphStyle()
    top = 52 if (drawing.title or drawing.legend) else 0
    box = bounds_of([drawing], style) if bounds is None else bounds
    fig, _ = _picture(drawing, style, box, top)
    _heading(fig, drawing.title, _legend_rows(drawing, style.width))
    _line_note(fig, drawing)
    return _finish(fig, style)


def _line_note(fig: Figure, drawing: GraphDrawing) -> None:
    """What the dotted and dashed lines mean, bottom left, for the kinds the drawing has."""
    kinds = set() if drawing.edge_kind is None else set(np.unique(drawing.edge_kind).tolist())
    notes = [t for k, t in ((SHORTCUT, SHORTCUT_LEGEND), (GATE, GATE_LEGEND)) if k in kinds]
    if notes:
        h = fig.get_figheight() * DPI
        text = "    ".join(notes)
        fig.text(12 / (fig.get_figwidth() * DPI), 8 / h, text, fontsize=px(11), color=INK)


def graph_ink(
    drawing: GraphDrawing, style: GraphStyle | None = None, bounds: np.ndarray | None = None
) -> float:
    """The ink of a graph's edges as drawn: summed coverage of every pixel, in pixels.

    Overlapping translucent edges share ink, so bundling lowers it; compare two drawings of
    the same graph in the same ``bounds``.
    """
    style = style or GraphStyle()
    box = bounds_of([drawing], style) if bounds is None else bounds
    fig, ax = _canvas(style, transparent=True)
    scale, origin = _frame(style, box, 0)
    _edges(ax, drawing, style, scale, origin)
    s = style.supersample
    alpha = rgba(fig, style.width, style.height, s)[..., 3] / 255.0
    return float(alpha.sum() / (s * s))


def graph_panels(
    drawings: Sequence[GraphDrawing], style: GraphStyle | None = None, *, title: str = ""
) -> np.ndarray:
    """Graphs side by side, in one frame and scale so that their spread compares.

    Each drawing's ``title`` heads its panel; the first drawing's legend is shown once.

    Returns:
        ``uint8 [height + heading, width * len(drawings), 3]``.
    """
    if not drawings:
        raise ValueError("give at least one drawing")
    style = style or GraphStyle()
    bounds = bounds_of(drawings, style)
    panels = []
    for d in drawings:
        fig, ax = _picture(d, style, bounds, 30)
        ax.text(
            style.width / 2,
            10,
            d.title,
            fontsize=px(14),
            fontweight="bold",
            color=INK,
            ha="center",
            va="top",
        )
        panels.append(_finish(fig, style))
    width = style.width * len(drawings)
    fig = figure(width, 52)
    fig.patch.set_facecolor(_rgb(style.background))
    _heading(fig, title, _legend_rows(drawings[0], width))
    head = rgba(fig, width, 52)[..., :3]
    return np.concatenate([head, np.concatenate(panels, axis=1)], axis=0)
