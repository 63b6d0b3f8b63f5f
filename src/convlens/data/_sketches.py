"""A procedural, offline stand-in for the TrainVideo paper's hand sketches.

Ten classes in four confusable groups, as in Peters et al. (2019): bear / panda / teddy-bear,
car / suv / van, pigeon / seagull, cloud / sheep. Every image is drawn with Pillow from jittered
strokes (control-point noise, hand wobble, stroke width, darkness, rotation, scale, position,
mirroring, the odd dropped or stray stroke), dark strokes on a white background like a pencil
sketch. Image ``i`` of class ``c`` in a split depends only on ``(seed, split, c, i)``, so asking
for more images per class keeps the first ones.

Each class is a function ``rng -> list[Stroke]`` in a unit frame (x right, y down, the figure
roughly within ``[-1, 1]``); ``render_sketch`` jitters and draws the strokes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from convlens.core import progress

SPLITS = {"train": 0, "test": 1}
TAU = 2 * np.pi


@dataclass
class Stroke:
    """A polyline in the unit frame.

    Attributes:
        points: ``[K, 2]`` control points.
        closed: Join the last point to the first.
        fill: ``None`` for an outline, else the fill's grey level relative to the ink:
            ``"ink"`` fills with the stroke colour, ``"paper"`` with the background.
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


def _u(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi))


def _arc(
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


def _ellipse(cx: float, cy: float, rx: float, ry: float, n: int = 20, rot: float = 0.0, **kw):
    return Stroke(_arc(cx, cy, rx, ry, 0, TAU, n + 1, rot)[:-1], closed=True, **kw)


def _dot(cx: float, cy: float, r: float, fill: str = "ink") -> Stroke:
    return Stroke(_arc(cx, cy, r, r, 0, TAU, 9)[:-1], closed=True, fill=fill, smooth=False)


def _line(*pts: tuple[float, float], **kw) -> Stroke:
    return Stroke(np.array(pts, dtype=float), **kw)


def _bumpy(
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
        angles = np.linspace(0, TAU, n_bumps + 1) + _u(rng, 0, TAU)
    angles = angles + rng.normal(0, 0.12 * TAU / n_bumps, len(angles)) * [0, *[1] * (n_bumps - 1), 0]
    anchors = np.stack([cx + rx * np.cos(angles), cy + ry * np.sin(angles)], axis=1)
    pieces = []
    t = np.linspace(np.pi, 0, 7)
    for p, q in zip(anchors[:-1], anchors[1:], strict=True):
        m = (p + q) / 2
        half = (p - q) / 2  # cos(pi) = -1 puts t=pi at p
        normal = m - (cx, cy)
        normal = normal / (np.linalg.norm(normal) + 1e-9)
        b = np.linalg.norm(q - p) / 2 * bulge * _u(rng, 0.75, 1.25)
        seg = m - np.cos(t)[:, None] * half + np.sin(t)[:, None] * b * normal
        pieces.append(seg[:-1])
    pts = np.concatenate(pieces)
    return pts


# ---------------------------------------------------------------------------------------------
# Bears: round heads with ears


def _bear_head(
    rng: np.random.Generator,
    hx: float,
    hy: float,
    r: float,
    *,
    ears_filled: bool = False,
    inner_ears: bool = False,
    snout: bool = True,
    eye_patches: str | None = None,
    button_eyes: bool = False,
) -> list[Stroke]:
    rx, ry = r * _u(rng, 1.0, 1.12), r * _u(rng, 0.88, 1.0)
    strokes = [_ellipse(hx, hy, rx, ry, n=22, essential=True)]
    ear_r = r * _u(rng, 0.28, 0.38)
    spread = _u(rng, 0.75, 1.0)  # angle of the ears from the top, radians
    for side in (-1, 1):
        ang = -np.pi / 2 + side * spread
        ex, ey = hx + rx * 0.95 * np.cos(ang), hy + ry * 0.95 * np.sin(ang)
        if ears_filled:
            strokes.append(_ellipse(ex, ey, ear_r, ear_r, n=12, fill="ink"))
        else:
            # The part of the ear circle outside the head.
            strokes.append(Stroke(_arc(ex, ey, ear_r, ear_r, ang - 2.1, ang + 2.1, 12)))
            if inner_ears:
                strokes.append(_ellipse(ex, ey, ear_r * 0.5, ear_r * 0.5, n=10))
    eye_dx, eye_y = r * _u(rng, 0.3, 0.42), hy - r * _u(rng, 0.05, 0.2)
    for side in (-1, 1):
        ex = hx + side * eye_dx
        if eye_patches == "filled":
            rot = side * _u(rng, 0.3, 0.8)
            strokes.append(
                _ellipse(ex, eye_y + r * 0.05, r * 0.24, r * 0.16, n=12, rot=rot, fill="ink")
            )
            strokes.append(_dot(ex + side * r * 0.03, eye_y, r * 0.055, fill="paper"))
        elif eye_patches == "outline":
            rot = side * _u(rng, 0.3, 0.8)
            strokes.append(_ellipse(ex, eye_y + r * 0.05, r * 0.24, r * 0.16, n=12, rot=rot))
            strokes.append(_dot(ex, eye_y, r * 0.07))
        elif button_eyes:
            strokes.append(_ellipse(ex, eye_y, r * 0.09, r * 0.09, n=8))
            strokes.append(_dot(ex, eye_y, r * 0.04))
        else:
            strokes.append(_dot(ex, eye_y, r * _u(rng, 0.05, 0.08)))
    ny = hy + r * _u(rng, 0.2, 0.32)
    if snout:
        strokes.append(_ellipse(hx, ny + r * 0.1, r * _u(rng, 0.3, 0.4), r * _u(rng, 0.22, 0.3)))
    strokes.append(_ellipse(hx, ny, r * 0.12, r * 0.08, n=10, fill="ink", smooth=False))
    mouth_y = ny + r * _u(rng, 0.2, 0.28)
    strokes.append(_line((hx, ny), (hx, mouth_y)))
    strokes.append(Stroke(_arc(hx - r * 0.1, mouth_y - r * 0.02, r * 0.1, r * 0.08, 0.2, 2.9, 7)))
    strokes.append(Stroke(_arc(hx + r * 0.1, mouth_y - r * 0.02, r * 0.1, r * 0.08, 0.24, 2.94, 7)))
    return strokes


def _bear_body(rng: np.random.Generator, hy: float, r: float, *, paws: bool) -> list[Stroke]:
    """A sitting body below a head at ``(0, hy)`` of radius ``r``."""
    by, brx, bry = hy + r * 1.75, r * _u(rng, 0.95, 1.15), r * _u(rng, 0.9, 1.05)
    strokes = [Stroke(_arc(0, by, brx, bry, -np.pi * 0.28, np.pi * 1.28, 18))]
    for side in (-1, 1):  # arms and feet
        strokes.append(
            _ellipse(side * brx * 0.95, by - bry * 0.1, r * 0.25, r * 0.45, n=12, rot=side * 0.5)
        )
        fx, fy = side * brx * 0.55, by + bry * 0.85
        strokes.append(_ellipse(fx, fy, r * 0.33, r * 0.25, n=12))
        if paws:
            strokes.append(_ellipse(fx, fy, r * 0.14, r * 0.1, n=8))
    return strokes


def bear(rng: np.random.Generator) -> list[Stroke]:
    if rng.random() < 0.35:
        hy, r = -0.45, 0.42
        return _bear_head(rng, 0, hy, r) + _bear_body(rng, hy, r, paws=False)
    return _bear_head(rng, 0, 0, 0.6, inner_ears=rng.random() < 0.25)


def panda(rng: np.random.Generator) -> list[Stroke]:
    patches = "filled" if rng.random() < 0.7 else "outline"
    ears = rng.random() < 0.7
    if rng.random() < 0.35:
        hy, r = -0.45, 0.42
        strokes = _bear_head(rng, 0, hy, r, ears_filled=ears, snout=False, eye_patches=patches)
        body = _bear_body(rng, hy, r, paws=False)
        for s in body[1::2] if rng.random() < 0.6 else []:  # dark arms
            s.fill = "ink"
        return strokes + body
    return _bear_head(
        rng, 0, 0, 0.6, ears_filled=ears, snout=rng.random() < 0.3, eye_patches=patches
    )


def teddy_bear(rng: np.random.Generator) -> list[Stroke]:
    with_body = rng.random() < 0.7
    hy, r = (-0.45, 0.42) if with_body else (-0.05, 0.55)
    strokes = _bear_head(rng, 0, hy, r, inner_ears=rng.random() < 0.85, button_eyes=rng.random() < 0.5)
    bow = not with_body or rng.random() < 0.55
    if with_body:
        strokes += _bear_body(rng, hy, r, paws=True)
        by = hy + r * 1.75
        if not bow or rng.random() < 0.5:  # stitched belly: a dashed seam or a patch
            if rng.random() < 0.5:
                for y in np.linspace(by - r * 0.6, by + r * 0.6, 5):
                    strokes.append(_line((0, y), (0, y + r * 0.14)))
            else:
                strokes.append(_ellipse(0, by + r * 0.1, r * 0.5, r * 0.45, n=14))
    if bow:  # a bow tie under the chin
        bx, by_, w, h = 0.0, hy + r * 0.98, r * _u(rng, 0.35, 0.5), r * _u(rng, 0.2, 0.3)
        strokes.append(_line((bx, by_), (bx - w, by_ - h), (bx - w, by_ + h), closed=True))
        strokes.append(_line((bx, by_), (bx + w, by_ - h), (bx + w, by_ + h), closed=True))
        strokes.append(_dot(bx, by_, r * 0.08))
    return strokes


# ---------------------------------------------------------------------------------------------
# Vehicles: boxy outlines on wheels, facing right


def _vehicle(
    rng: np.random.Generator,
    outline: list[tuple[float, float]],
    windows: list[list[tuple[float, float]]],
    wheels: list[float],
    ground: float,
    wheel_r: float,
) -> list[Stroke]:
    strokes = [Stroke(np.array(outline, dtype=float), closed=True, essential=True)]
    strokes += [Stroke(np.array(w, dtype=float), closed=True) for w in windows]
    for wx in wheels:
        strokes.append(_ellipse(wx, ground - wheel_r, wheel_r, wheel_r, n=16, essential=True))
        if rng.random() < 0.7:
            strokes.append(_ellipse(wx, ground - wheel_r, wheel_r * 0.4, wheel_r * 0.4, n=8))
    return strokes


def car(rng: np.random.Generator) -> list[Stroke]:
    g, wr = 0.3, _u(rng, 0.14, 0.18)
    L = _u(rng, 0.85, 0.95)
    low, belt = g - wr * 0.9, g - _u(rng, 0.38, 0.45)  # bottom and window line of the body
    roof = belt - _u(rng, 0.22, 0.3)
    r0, r1 = -_u(rng, 0.35, 0.45), _u(rng, 0.15, 0.25)  # roof ends
    outline = [
        (-L, low), (-L, belt + 0.03), (r0 - 0.2, belt), (r0, roof), (r1, roof),
        (r1 + 0.3, belt), (L, belt + 0.08), (L, low),
    ]  # fmt: skip
    mid = (r0 + r1) / 2
    windows = [
        [(r0 - 0.14, belt), (r0 + 0.03, roof + 0.05), (mid - 0.03, roof + 0.05), (mid - 0.03, belt)],
        [(mid + 0.03, belt), (mid + 0.03, roof + 0.05), (r1 - 0.02, roof + 0.05), (r1 + 0.22, belt)],
    ]
    if rng.random() < 0.3:
        windows = windows[:1] if rng.random() < 0.5 else []
    strokes = _vehicle(rng, outline, windows, [-L * 0.6, L * 0.6], g, wr)
    if rng.random() < 0.5:
        strokes.append(_line((mid, belt), (mid, low - 0.02)))  # door
    return strokes


def suv(rng: np.random.Generator) -> list[Stroke]:
    g, wr = 0.35, _u(rng, 0.17, 0.21)
    L = _u(rng, 0.8, 0.9)
    low, belt = g - wr * 1.1, g - _u(rng, 0.52, 0.6)
    roof = belt - _u(rng, 0.28, 0.36)
    r1 = _u(rng, 0.25, 0.35)
    outline = [
        (-L, low), (-L, roof + 0.04), (-L + 0.05, roof), (r1, roof), (r1 + 0.22, belt),
        (L, belt + 0.05), (L, low),
    ]  # fmt: skip
    n_win = int(rng.integers(2, 4))
    xs = np.linspace(-L + 0.1, r1 + 0.05, n_win + 1)
    windows = [
        [(a + 0.03, belt), (a + 0.03, roof + 0.06), (b - 0.03, roof + 0.06), (b - 0.03, belt)]
        for a, b in zip(xs[:-1], xs[1:], strict=True)
    ]
    windows[-1][2] = (r1 - 0.02, roof + 0.06)
    windows[-1][3] = (r1 + 0.15, belt)
    strokes = _vehicle(rng, outline, windows, [-L * 0.58, L * 0.58], g, wr)
    if rng.random() < 0.45:  # roof rack
        y = roof - 0.07
        strokes.append(_line((-L + 0.1, y), (r1 - 0.1, y)))
        strokes.append(_line((-L + 0.2, y), (-L + 0.2, roof)))
        strokes.append(_line((r1 - 0.2, y), (r1 - 0.2, roof)))
    if rng.random() < 0.3:  # spare wheel on the back
        strokes.append(Stroke(_arc(-L, (low + belt) / 2, 0.08, 0.16, np.pi / 2, 3 * np.pi / 2, 9)))
    return strokes


def van(rng: np.random.Generator) -> list[Stroke]:
    g, wr = 0.32, _u(rng, 0.13, 0.16)
    L = _u(rng, 0.95, 1.0)
    low, roof = g - wr * 0.9, g - _u(rng, 0.85, 0.98)
    hood = g - _u(rng, 0.42, 0.5)
    w0 = L - _u(rng, 0.3, 0.4)  # where the windscreen starts
    outline = [
        (-L, low), (-L, roof), (w0 - 0.05, roof), (w0 + 0.15, hood), (L, hood + 0.05), (L, low),
    ]  # fmt: skip
    wy0, wy1 = roof + 0.07, roof + _u(rng, 0.25, 0.3)
    windows = [[(w0 - 0.1, wy1), (w0 - 0.1, wy0), (w0, wy0), (w0 + 0.1, wy1)]]
    n_side = int(rng.integers(0, 4))
    xs = np.linspace(-L + 0.1, w0 - 0.2, max(n_side, 1) + 1)
    for a, b in list(zip(xs[:-1], xs[1:], strict=True))[:n_side]:
        windows.append([(a + 0.03, wy1), (a + 0.03, wy0), (b - 0.03, wy0), (b - 0.03, wy1)])
    strokes = _vehicle(rng, outline, windows, [-L * 0.65, L * 0.6], g, wr)
    if rng.random() < 0.6:  # sliding door
        d = _u(rng, -0.2, 0.2)
        strokes.append(_line((d, wy0 - 0.02), (d, low - 0.02)))
        strokes.append(_line((d + 0.35, wy0 - 0.02), (d + 0.35, low - 0.02)))
    return strokes


# ---------------------------------------------------------------------------------------------
# Birds, facing right


def _bird_head(rng: np.random.Generator, hx: float, hy: float, r: float, beak: float) -> list[Stroke]:
    tip = (hx + r + beak, hy + r * _u(rng, 0.05, 0.35))
    return [
        _ellipse(hx, hy, r, r * 0.95, n=14, essential=True),
        _line((hx + r * 0.9, hy - r * 0.25), tip, (hx + r * 0.85, hy + r * 0.35)),
        _dot(hx + r * 0.35, hy - r * 0.2, r * 0.14),
    ]


def _legs(x: float, y0: float, length: float) -> list[Stroke]:
    strokes = []
    for dx in (-0.07, 0.07):
        foot = (x + dx - 0.02, y0 + length)
        strokes.append(_line((x + dx, y0), foot))
        strokes.append(_line((foot[0] - 0.07, foot[1]), (foot[0] + 0.08, foot[1] + 0.01)))
    return strokes


def _standing_bird(
    rng: np.random.Generator, *, plump: float, leg: float, beak: float, pecking: bool = False
) -> list[Stroke]:
    bx, by, brx, bry = -0.05, 0.05, 0.5, 0.3 * plump
    head_r = 0.16 * _u(rng, 0.9, 1.1)
    if pecking:  # body tipped forward, head down at the front
        tilt = _u(rng, 0.15, 0.35)
        hx, hy = bx + brx * 1.0 + head_r * 0.3, by + bry * 0.25
    else:
        tilt = -_u(rng, 0.15, 0.35)
        hx, hy = bx + brx * 0.8, by - bry - head_r * 0.6
    strokes = [_ellipse(bx, by, brx, bry, n=22, rot=tilt, essential=True)]
    strokes += _bird_head(rng, hx, hy, head_r, beak)
    # tail wedge at the back
    tx, ty = bx - brx * 0.9, by + bry * 0.35 - (0.25 if pecking else 0.0)
    strokes.append(
        _line((tx, ty - 0.06), (tx - 0.3, ty + 0.12), (tx - 0.22, ty + 0.22), (tx, ty + 0.1))
    )
    # folded wing
    strokes.append(Stroke(_arc(bx - 0.1, by - 0.02, brx * 0.6, bry * 0.55, -2.6, 0.4, 10, tilt)))
    strokes += _legs(bx + 0.05, by + bry * 0.9, leg)
    return strokes


def pigeon(rng: np.random.Generator) -> list[Stroke]:
    pecking = rng.random() < 0.3
    strokes = _standing_bird(
        rng, plump=_u(rng, 1.1, 1.35), leg=_u(rng, 0.1, 0.18), beak=0.08, pecking=pecking
    )
    if not pecking and rng.random() < 0.5:  # the pigeon's shiny neck: a collar line
        strokes.append(Stroke(_arc(0.3, -0.3, 0.15, 0.1, 0.3, 2.6, 7)))
    return strokes


def seagull(rng: np.random.Generator) -> list[Stroke]:
    if rng.random() < 0.25:
        # standing gull: slim body, long legs, long beak, dark wing tip
        strokes = _standing_bird(rng, plump=_u(rng, 0.75, 0.95), leg=_u(rng, 0.22, 0.32), beak=0.2)
        strokes.append(_line((-0.45, 0.0), (-0.8, 0.08), (-0.5, 0.12), closed=True, fill="ink"))
        return strokes
    # flying: the 'M' of two bent wings over a small body
    span, lift, dip = _u(rng, 0.85, 1.0), _u(rng, 0.3, 0.5), _u(rng, 0.0, 0.15)
    ctl = np.array([(-span, 0.15), (-span * 0.5, -lift), (0, dip), (span * 0.5, -lift), (span, 0.15)])
    wing_l = np.concatenate(
        [_arc(-span * 0.5, 0.15 - lift * 0.2, span * 0.5, lift + 0.15, np.pi, 1.5 * np.pi, 8),
         _arc(-span * 0.25, dip - 0.1, span * 0.25, lift * 0.9, 1.5 * np.pi, 2 * np.pi, 6)]
    )  # fmt: skip
    wing_r = wing_l * [-1, 1]
    strokes = [
        Stroke(wing_l, essential=True),
        Stroke(wing_r[::-1], essential=True),
    ]
    if rng.random() < 0.5:  # a second line under each wing gives it thickness
        strokes.append(Stroke(ctl[:3] + [0.0, 0.1]))
        strokes.append(Stroke(ctl[2:] + [0.0, 0.1]))
    if rng.random() < 0.5:  # dark wing tips
        for s in (-1, 1):
            strokes.append(_line((s * span, 0.15), (s * span * 0.78, -0.02), (s * span * 0.85, 0.05),
                                 closed=True, fill="ink"))  # fmt: skip
    if rng.random() < 0.6:  # small body and head between the wings
        strokes.append(_ellipse(0, dip + 0.12, 0.2, 0.08, n=12))
        strokes.append(_dot(0.22, dip + 0.08, 0.06))
    return strokes


# ---------------------------------------------------------------------------------------------
# Bumpy outlines


def cloud(rng: np.random.Generator) -> list[Stroke]:
    flat = rng.random() < 0.5
    rx, ry = _u(rng, 0.75, 0.95), _u(rng, 0.35, 0.5)
    pts = _bumpy(rng, 0, 0, rx, ry, int(rng.integers(5, 9)), _u(rng, 0.5, 0.9), flat)
    strokes = [Stroke(pts, closed=True, essential=True)]
    if rng.random() < 0.35:  # an inner curl
        strokes.append(Stroke(_arc(_u(rng, -0.3, 0.3), -0.05, 0.15, 0.12, 3.6, 6.0, 7)))
    if rng.random() < 0.25:  # rain or a second small cloud
        if rng.random() < 0.5:
            for x in np.linspace(-0.4, 0.4, int(rng.integers(3, 6))):
                strokes.append(_line((x, ry + 0.15), (x - 0.06, ry + 0.35)))
        else:
            strokes.append(Stroke(_bumpy(rng, 0.55, -0.55, 0.3, 0.13, 4, 0.8, True), closed=True))
    return strokes


def sheep(rng: np.random.Generator) -> list[Stroke]:
    rx, ry = _u(rng, 0.6, 0.72), _u(rng, 0.38, 0.45)
    cx, cy = -0.1, -0.05
    pts = _bumpy(rng, cx, cy, rx, ry, int(rng.integers(9, 14)), _u(rng, 0.5, 0.9), False)
    strokes = [Stroke(pts, closed=True, essential=True)]
    # head at the front, a little low, dark or outlined
    hx, hy = cx + rx * _u(rng, 0.85, 1.0), cy - ry * _u(rng, 0.1, 0.5)
    dark = rng.random() < 0.5
    strokes.append(_ellipse(hx, hy, 0.14, 0.2, n=12, rot=-0.5, fill="ink" if dark else None))
    strokes.append(_ellipse(hx - 0.06, hy - 0.15, 0.1, 0.04, n=8, rot=0.4, fill="ink"))  # ear
    if not dark:
        strokes.append(_dot(hx + 0.03, hy - 0.04, 0.03))
    # legs: four short posts (or the two nearest)
    n_legs = 4 if rng.random() < 0.7 else 2
    leg = _u(rng, 0.2, 0.32)
    xs = np.linspace(cx - rx * 0.6, cx + rx * 0.6, n_legs) + rng.normal(0, 0.03, n_legs)
    for x in xs:
        top = cy + ry * 0.9
        strokes.append(_line((x, top), (x, top + leg), essential=True))
        if dark and rng.random() < 0.5:
            strokes.append(_dot(x, top + leg, 0.035))
    return strokes


CLASSES: dict[str, Callable[[np.random.Generator], list[Stroke]]] = {
    "bear": bear,
    "car": car,
    "cloud": cloud,
    "panda": panda,
    "pigeon": pigeon,
    "seagull": seagull,
    "sheep": sheep,
    "suv": suv,
    "teddy-bear": teddy_bear,
    "van": van,
}


# ---------------------------------------------------------------------------------------------
# Rendering


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


def render_sketch(name: str, rng: np.random.Generator, size: int) -> np.ndarray:
    """Draw one sketch of class ``name`` as a ``uint8 [size, size]`` image (ink dark on white)."""
    strokes = CLASSES[name](rng)
    cp_noise = _u(rng, 0.008, 0.025)
    amp = _u(rng, 0.004, 0.016)
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
    extent = _u(rng, 0.72, 0.92) * canvas
    scale = extent / max(float((hi - lo).max()), 1e-6)
    margin = canvas - (hi - lo) * scale
    offset = margin * rng.uniform(0.3, 0.7, 2) - lo * scale

    img = Image.new("L", (canvas, canvas), 255)
    draw = ImageDraw.Draw(img)
    ink = int(rng.integers(0, 70))
    width = max(1, round(_u(rng, 1.8, 3.4) * canvas / 128))
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


def make_sketches(
    split: str, per_class: int, size: int, seed: int, class_names: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Draw ``per_class`` sketches of every class, class by class.

    Returns:
        ``uint8 [N, size, size, 1]`` images, ``int64 [N]`` labels and sources
        ``"sketches:<split>:<class>:<i>"``.
    """
    n = per_class * len(class_names)
    images = np.empty((n, size, size, 1), dtype=np.uint8)
    labels = np.repeat(np.arange(len(class_names), dtype=np.int64), per_class)
    sources = []
    jobs = [(c, name, i) for c, name in enumerate(class_names) for i in range(per_class)]
    for k, (c, name, i) in enumerate(progress(jobs, desc=f"drawing {split} sketches", unit="img")):
        rng = np.random.default_rng([seed, SPLITS[split], c, i])
        images[k, :, :, 0] = render_sketch(name, rng, size)
        sources.append(f"sketches:{split}:{name}:{i}")
    return images, labels, tuple(sources)
