"""Static pictures of a network graph laid out in 3-D: NumPy in, an RGB frame out.

The layout is turned (``azimuth`` about the vertical axis, ``elevation`` towards the viewer)
and projected orthographically, the layer axis running left to right. Edges are translucent
polylines blended in any order (see ``_lines``), their opacity following nn_vis's rendering
parameters: ``edge_opacity * clip(base_opacity + importance_opacity * importance, 0, 1)``,
hidden below ``importance_threshold``. Nodes are discs on top, least important first. The
picture is drawn at ``supersample`` times its size and averaged down, so lines are smooth.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from ._lines import composite, downsample, line_layers
from ._text import ellipsize, font

_INK = (30, 30, 30)
_MUTED = (110, 110, 110)
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
        supersample: Drawing scale before averaging down (anti-aliasing).
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


def _frame(style: GraphStyle, bounds: np.ndarray, top: int, s: int) -> tuple[float, np.ndarray]:
    """Scale and offset that fit ``bounds`` into the picture below ``top`` pixels."""
    pad = 14
    w, h = (style.width - 2 * pad) * s, (style.height - top - 2 * pad) * s
    span = np.maximum(bounds[1] - bounds[0], 1e-9)
    scale = float(min(w / span[0], h / span[1]))
    centre = (bounds[0] + bounds[1]) / 2
    origin = np.array([style.width * s / 2, (top + pad) * s + h / 2]) - centre * scale
    return scale, origin


def _heading(img: Image.Image, drawing: GraphDrawing, width: int) -> None:
    draw = ImageDraw.Draw(img)
    draw.text(
        (12, 8),
        ellipsize(draw, drawing.title, font(15, True), width - 24),
        fill=_INK,
        font=font(15, True),
    )
    x = 12
    f = font(12)
    for name, color in drawing.legend:
        label = ellipsize(draw, name, f, 140 if len(drawing.legend) > 1 else width - 60)
        draw.ellipse([x, 34, x + 10, 44], fill=tuple(int(c) for c in color))
        draw.text((x + 14, 39), label, font=f, fill=_INK, anchor="lm")
        x += 30 + int(draw.textlength(label, font=f))
        if x > width - 60:
            break


def _slices(
    img: Image.Image, drawing: GraphDrawing, style: GraphStyle, scale: float, origin: np.ndarray
) -> None:
    """Faint outlines of the layers under the edges' ink, each labelled below."""
    if not drawing.slices:
        return
    s = style.supersample
    layer = Image.new("RGBA", img.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    f = font(11 * s)
    for (label, _), sq in zip(drawing.slices, _corners(drawing), strict=True):
        pts = project(sq, style) * scale + origin
        draw.line([(float(x), float(y)) for x, y in pts], fill=(150, 150, 150, 90), width=s)
        low = pts[np.argmax(pts[:, 1])]
        draw.text(
            (float(low[0]), float(low[1]) + 4 * s), label, font=f, fill=(*_MUTED, 255), anchor="mt"
        )
    img.alpha_composite(layer)


def _render(
    drawing: GraphDrawing, style: GraphStyle, bounds: np.ndarray, top: int
) -> tuple[np.ndarray, np.ndarray]:
    """Picture ``[H, W, 3]`` uint8 (without heading) and edge coverage ``[H, W]``."""
    s = style.supersample
    H, W = style.height * s, style.width * s
    scale, origin = _frame(style, bounds, top, s)
    xy = project(drawing.sample_position, style) * scale + origin
    alpha = edge_alpha(drawing.edge_importance, style)
    depth, rgb = line_layers(
        xy,
        np.asarray(drawing.sample_offsets),
        np.asarray(drawing.sample_color),
        alpha,
        (H, W),
        style.line_width * s,
    )
    pic, cover = composite(depth, rgb, style.background)
    img = Image.fromarray(np.clip(pic, 0, 255).astype(np.uint8)).convert("RGBA")
    _slices(img, drawing, style, scale, origin)
    imp = np.asarray(drawing.node_importance, np.float64)
    nodes = project(drawing.node_position, style) * scale + origin
    r = max(style.node_size * scale / 2, 1.2 * s)
    layer = Image.new("RGBA", img.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    for i in np.argsort(imp, kind="stable"):
        if imp[i] < style.importance_threshold:
            continue
        a = int(round(255 * min(1.0, 0.35 + 0.65 * imp[i])))
        (x, y), c = nodes[i], drawing.node_color[i]
        draw.ellipse([x - r, y - r, x + r, y + r], fill=(int(c[0]), int(c[1]), int(c[2]), a))
    img = Image.alpha_composite(img, layer).convert("RGB")
    small = np.asarray(img.resize((style.width, style.height), Image.Resampling.BOX))
    return small.copy(), downsample(cover, s)


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
    pic, _ = _render(drawing, style, bounds_of([drawing], style) if bounds is None else bounds, top)
    img = Image.fromarray(pic)
    _heading(img, drawing, style.width)
    return np.asarray(img).copy()


def graph_ink(
    drawing: GraphDrawing, style: GraphStyle | None = None, bounds: np.ndarray | None = None
) -> float:
    """The ink of a graph's edges as drawn: summed coverage of every pixel, in pixels.

    Overlapping translucent edges share ink, so bundling lowers it; compare two drawings of
    the same graph in the same ``bounds``.
    """
    style = style or GraphStyle()
    _, cover = _render(drawing, style, bounds_of([drawing], style) if bounds is None else bounds, 0)
    return float(cover.sum())


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
        pic, _ = _render(d, style, bounds, 30)
        img = Image.fromarray(pic)
        draw = ImageDraw.Draw(img)
        draw.text(
            (style.width / 2, 10),
            ellipsize(draw, d.title, font(14, True), style.width - 20),
            font=font(14, True),
            fill=_INK,
            anchor="mt",
        )
        panels.append(np.asarray(img))
    head = Image.new("RGB", (style.width * len(drawings), 52), style.background)
    _heading(
        head,
        GraphDrawing(
            np.zeros((0, 3)),
            np.zeros((0, 3)),
            np.zeros(0),
            np.zeros((0, 3)),
            np.zeros(1, np.int64),
            np.zeros((0, 3)),
            np.zeros(0),
            title,
            drawings[0].legend,
        ),
        head.width,
    )
    return np.concatenate([np.asarray(head), np.concatenate(panels, axis=1)], axis=0)


def mix_class_colors(weights: np.ndarray, colors: np.ndarray, sharpness: float = 4.0) -> np.ndarray:
    """A colour per row of class weights: the class colours mixed by ``weights ** sharpness``.

    A row dominated by one class gets that class's colour; an even row, a blend.

    Args:
        weights: ``[M, K]`` non-negative.
        colors: ``[K, 3]`` uint8.
        sharpness: How strongly the largest weight wins.

    Returns:
        ``[M, 3]`` uint8 (grey for rows of zeros).
    """
    w = np.clip(np.asarray(weights, np.float64), 0, None)
    top = w.max(axis=1, keepdims=True) if w.size else np.zeros((len(w), 1))
    p = np.divide(w, top, out=np.zeros_like(w), where=top > 0) ** sharpness
    total = p.sum(axis=1, keepdims=True)
    mix = np.divide(
        p @ np.asarray(colors, np.float64), total, out=np.full((len(w), 3), 150.0), where=total > 0
    )
    return np.clip(np.rint(mix), 0, 255).astype(np.uint8)
