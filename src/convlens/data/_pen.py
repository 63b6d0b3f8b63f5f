"""The pen of the sketches dataset: strokes in a unit frame, jittered and drawn like by hand.

A ``Stroke`` is a polyline in a frame with x to the right, y down and the figure roughly within
``[-1, 1]``. ``render_strokes`` adds control-point noise, resamples each line with a slow
wobble, lets the pen overshoot or stop short of closing a loop, drops the odd non-essential
stroke, adds the odd stray mark, then rotates, stretches, mirrors and fits the whole figure into
the image at a random scale and position, and draws dark ink on white paper with Pillow at twice
the size before a box downsample (anti-aliasing).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

TAU = 2 * np.pi


@dataclass
class Stroke:
    """A polyline in the unit frame.

    Attributes:
        points: ``[K, 2]`` control points.
        closed: Join the last point to the first.
        fill: ``None`` for an outline; ``"ink"`` fills the shape with the stroke colour,
            ``"paper"`` with the background (and draws no outline).
        essential: Never dropped at random (the outline that makes the class).
        smooth: Resample and wobble like a hand-drawn curve; ``False`` for tiny dots.
    """

    points: np.ndarray
    closed: bool = False
    fill: str | None = None
    essential: bool = False
    smooth: bool = True


# ---------------------------------------------------------------------------------------------
# Shape helpers (unit frame)


def u(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi))


def arc(
    cx: float,
    cy: float,
    rx: float,
    ry: float,
    a0: float = 0.0,
    a1: float = TAU,
    n: int = 16,
    rot: float = 0.0,
) -> np.ndarray:
    """Points of an elliptic arc from angle ``a0`` to ``a1`` (radians, 0 = right, y down)."""
    t = np.linspace(a0, a1, n)
    x, y = rx * np.cos(t), ry * np.sin(t)
    c, s = np.cos(rot), np.sin(rot)
    return np.stack([cx + c * x - s * y, cy + s * x + c * y], axis=1)


def ellipse(cx: float, cy: float, rx: float, ry: float, n: int = 20, rot: float = 0.0, **kw):
    return Stroke(arc(cx, cy, rx, ry, 0, TAU, n + 1, rot)[:-1], closed=True, **kw)


def dot(cx: float, cy: float, r: float, fill: str = "ink") -> Stroke:
    return Stroke(arc(cx, cy, r, r, 0, TAU, 9)[:-1], closed=True, fill=fill, smooth=False)


def line(*pts: tuple[float, float], **kw) -> Stroke:
    return Stroke(np.array(pts, dtype=float), **kw)


def bumpy(
    rng: np.random.Generator,
    cx: float,
    cy: float,
    rx: float,
    ry: float,
    n_bumps: int,
    bulge: float,
    flat_bottom: bool,
) -> np.ndarray:
    """A closed scalloped outline (clouds, wool) around an ellipse."""
    if flat_bottom:
        # Bumps over the top from lower-left to lower-right, then a straight bottom.
        angles = np.linspace(np.pi * 0.92, TAU + np.pi * 0.08, n_bumps + 1)
    else:
        angles = np.linspace(0, TAU, n_bumps + 1) + u(rng, 0, TAU)
    jitter = rng.normal(0, 0.12 * TAU / n_bumps, len(angles))
    jitter[[0, -1]] = 0.0  # the ends stay put so the outline closes
    angles = angles + jitter
    anchors = np.stack([cx + rx * np.cos(angles), cy + ry * np.sin(angles)], axis=1)
    pieces = []
    t = np.linspace(np.pi, 0, 7)
    for p, q in zip(anchors[:-1], anchors[1:], strict=True):
        m = (p + q) / 2
        half = (p - q) / 2  # cos(pi) = -1 puts t=pi at p
        normal = m - (cx, cy)
        normal = normal / (np.linalg.norm(normal) + 1e-9)
        b = np.linalg.norm(q - p) / 2 * bulge * u(rng, 0.75, 1.25)
        seg = m - np.cos(t)[:, None] * half + np.sin(t)[:, None] * b * normal
        pieces.append(seg[:-1])
    return np.concatenate(pieces)


def _hand(points: np.ndarray, closed: bool, rng: np.random.Generator, amp: float) -> np.ndarray:
    """Resample a polyline every ~0.03 units and add a slow wobble, like a hand-drawn line."""
    if closed:
        points = np.vstack([points, points[:1]])
    seg = np.hypot(*np.diff(points, axis=0).T)
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    n = max(2, int(cum[-1] / 0.03) + 1)
    s = np.linspace(0.0, cum[-1], n)
    out = np.empty((n, 2))
    out[:, 0] = np.interp(s, cum, points[:, 0])
    out[:, 1] = np.interp(s, cum, points[:, 1])
    freq, phase = rng.uniform(1.0, 3.5, 2), rng.uniform(0, TAU, 2)
    out += amp * np.sin(freq[None, :] * TAU * s[:, None] + phase[None, :])
    if closed and rng.random() < 0.6:  # overshoot or gap where the pen lifts
        k = int(rng.integers(1, 4))
        out = out[:-k] if rng.random() < 0.5 else np.vstack([out, out[1 : 1 + k] + amp])
    return out


def render_strokes(strokes: list[Stroke], rng: np.random.Generator, size: int) -> np.ndarray:
    """Jitter and draw ``strokes`` as a ``uint8 [size, size]`` image, dark ink on white."""
    cp_noise = u(rng, 0.008, 0.025)
    amp = u(rng, 0.004, 0.016)
    kept = [s for s in strokes if s.essential or rng.random() > 0.06]
    polylines = []
    for s in kept:
        pts = s.points + rng.normal(0, cp_noise, s.points.shape) * (1.0 if s.smooth else 0.3)
        polylines.append(_hand(pts, s.closed, rng, amp) if s.smooth else pts)
    if rng.random() < 0.2:  # a stray mark
        p0 = rng.uniform(-0.9, 0.9, 2)
        polylines.append(_hand(np.stack([p0, p0 + rng.normal(0, 0.12, 2)]), False, rng, amp))
        kept.append(Stroke(polylines[-1]))
    # one affine for the whole figure: stretch, rotate, mirror; then fit the bounding box
    angle = rng.normal(0, 0.14)
    c, s_ = np.cos(angle), np.sin(angle)
    stretch = np.exp(rng.normal(0, 0.07))
    m = np.array([[c * stretch, -s_], [s_ * stretch, c]])
    if rng.random() < 0.5:
        m[:, 0] *= -1
    polylines = [p @ m.T for p in polylines]
    allpts = np.concatenate(polylines)
    lo, hi = allpts.min(axis=0), allpts.max(axis=0)
    canvas = 2 * size
    extent = u(rng, 0.72, 0.92) * canvas
    scale = extent / max(float((hi - lo).max()), 1e-6)
    margin = canvas - (hi - lo) * scale
    offset = margin * rng.uniform(0.3, 0.7, 2) - lo * scale

    img = Image.new("L", (canvas, canvas), 255)
    draw = ImageDraw.Draw(img)
    ink = int(rng.integers(0, 70))
    width = max(1, round(u(rng, 1.8, 3.4) * canvas / 128))
    for stroke, pts in zip(kept, polylines, strict=True):
        xy = [tuple(p) for p in (pts * scale + offset).tolist()]
        if stroke.fill is not None:
            draw.polygon(xy, fill=ink if stroke.fill == "ink" else 255)
            if stroke.fill == "paper":
                continue
        if stroke.closed and not stroke.smooth:  # smooth strokes were closed by _hand
            xy = [*xy, xy[0]]
        draw.line(xy, fill=ink, width=width, joint="curve")
    img = img.resize((size, size), Image.Resampling.BOX)
    return np.asarray(img, dtype=np.uint8)
