"""The ten kinds of sketch, each a function ``rng -> list[Stroke]`` in ``_pen``'s unit frame.

Four confusable groups, as in Peters et al. (2019): bear / panda / teddy-bear, car / suv /
van, pigeon / seagull, cloud / sheep. ``CLASSES`` names them; ``_sketches`` draws them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._pen import Stroke, arc, bumpy, dot, ellipse, line, u

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
    rx, ry = r * u(rng, 1.0, 1.12), r * u(rng, 0.88, 1.0)
    strokes = [ellipse(hx, hy, rx, ry, n=22, essential=True)]
    ear_r = r * u(rng, 0.28, 0.38)
    spread = u(rng, 0.75, 1.0)  # angle of the ears from the top, radians
    for side in (-1, 1):
        ang = -np.pi / 2 + side * spread
        ex, ey = hx + rx * 0.95 * np.cos(ang), hy + ry * 0.95 * np.sin(ang)
        if ears_filled:
            strokes.append(ellipse(ex, ey, ear_r, ear_r, n=12, fill="ink"))
        else:
            # The part of the ear circle outside the head.
            strokes.append(Stroke(arc(ex, ey, ear_r, ear_r, ang - 2.1, ang + 2.1, 12)))
            if inner_ears:
                strokes.append(ellipse(ex, ey, ear_r * 0.5, ear_r * 0.5, n=10))
    eye_dx, eye_y = r * u(rng, 0.3, 0.42), hy - r * u(rng, 0.05, 0.2)
    for side in (-1, 1):
        ex = hx + side * eye_dx
        if eye_patches == "filled":
            rot = side * u(rng, 0.3, 0.8)
            strokes.append(
                ellipse(ex, eye_y + r * 0.05, r * 0.24, r * 0.16, n=12, rot=rot, fill="ink")
            )
            strokes.append(dot(ex + side * r * 0.03, eye_y, r * 0.055, fill="paper"))
        elif eye_patches == "outline":
            rot = side * u(rng, 0.3, 0.8)
            strokes.append(ellipse(ex, eye_y + r * 0.05, r * 0.24, r * 0.16, n=12, rot=rot))
            strokes.append(dot(ex, eye_y, r * 0.07))
        elif button_eyes:
            strokes.append(ellipse(ex, eye_y, r * 0.09, r * 0.09, n=8))
            strokes.append(dot(ex, eye_y, r * 0.04))
        else:
            strokes.append(dot(ex, eye_y, r * u(rng, 0.05, 0.08)))
    ny = hy + r * u(rng, 0.2, 0.32)
    if snout:
        strokes.append(ellipse(hx, ny + r * 0.1, r * u(rng, 0.3, 0.4), r * u(rng, 0.22, 0.3)))
    strokes.append(ellipse(hx, ny, r * 0.12, r * 0.08, n=10, fill="ink", smooth=False))
    mouth_y = ny + r * u(rng, 0.2, 0.28)
    strokes.append(line((hx, ny), (hx, mouth_y)))
    strokes.append(Stroke(arc(hx - r * 0.1, mouth_y - r * 0.02, r * 0.1, r * 0.08, 0.2, 2.9, 7)))
    strokes.append(Stroke(arc(hx + r * 0.1, mouth_y - r * 0.02, r * 0.1, r * 0.08, 0.24, 2.94, 7)))
    return strokes


def _bear_body(rng: np.random.Generator, hy: float, r: float, *, paws: bool) -> list[Stroke]:
    """A sitting body below a head at ``(0, hy)`` of radius ``r``."""
    by, brx, bry = hy + r * 1.75, r * u(rng, 0.95, 1.15), r * u(rng, 0.9, 1.05)
    strokes = [Stroke(arc(0, by, brx, bry, -np.pi * 0.28, np.pi * 1.28, 18))]
    for side in (-1, 1):  # arms and feet
        strokes.append(
            ellipse(side * brx * 0.95, by - bry * 0.1, r * 0.25, r * 0.45, n=12, rot=side * 0.5)
        )
        fx, fy = side * brx * 0.55, by + bry * 0.85
        strokes.append(ellipse(fx, fy, r * 0.33, r * 0.25, n=12))
        if paws:
            strokes.append(ellipse(fx, fy, r * 0.14, r * 0.1, n=8))
    return strokes


def bear(rng: np.random.Generator) -> list[Stroke]:
    """Round head, round ears, snout and nose; a third of them sit on a round body."""
    if rng.random() < 0.35:
        hy, r = -0.45, 0.42
        return _bear_head(rng, 0, hy, r) + _bear_body(rng, hy, r, paws=False)
    return _bear_head(rng, 0, 0, 0.6, inner_ears=rng.random() < 0.25)


def panda(rng: np.random.Generator) -> list[Stroke]:
    """A bear head with dark (or ringed) eye patches, usually dark ears, rarely a snout."""
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
    """A bear with inner ears and button eyes, mostly on a body with paw pads; a bow
    tie under the chin or a stitched belly."""
    with_body = rng.random() < 0.7
    hy, r = (-0.45, 0.42) if with_body else (-0.05, 0.55)
    strokes = _bear_head(
        rng, 0, hy, r, inner_ears=rng.random() < 0.85, button_eyes=rng.random() < 0.5
    )
    bow = not with_body or rng.random() < 0.55
    if with_body:
        strokes += _bear_body(rng, hy, r, paws=True)
        by = hy + r * 1.75
        if not bow or rng.random() < 0.5:  # stitched belly: a dashed seam or a patch
            if rng.random() < 0.5:
                for y in np.linspace(by - r * 0.6, by + r * 0.6, 5):
                    strokes.append(line((0, y), (0, y + r * 0.14)))
            else:
                strokes.append(ellipse(0, by + r * 0.1, r * 0.5, r * 0.45, n=14))
    if bow:  # a bow tie under the chin
        bx, by_, w, h = 0.0, hy + r * 0.98, r * u(rng, 0.35, 0.5), r * u(rng, 0.2, 0.3)
        strokes.append(line((bx, by_), (bx - w, by_ - h), (bx - w, by_ + h), closed=True))
        strokes.append(line((bx, by_), (bx + w, by_ - h), (bx + w, by_ + h), closed=True))
        strokes.append(dot(bx, by_, r * 0.08))
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
        strokes.append(ellipse(wx, ground - wheel_r, wheel_r, wheel_r, n=16, essential=True))
        if rng.random() < 0.7:
            strokes.append(ellipse(wx, ground - wheel_r, wheel_r * 0.4, wheel_r * 0.4, n=8))
    return strokes


def car(rng: np.random.Generator) -> list[Stroke]:
    """Low body with a boot and a short cabin, two windows, two wheels."""
    g, wr = 0.3, u(rng, 0.14, 0.18)
    L = u(rng, 0.85, 0.95)
    low, belt = g - wr * 0.9, g - u(rng, 0.38, 0.45)  # bottom and window line of the body
    roof = belt - u(rng, 0.22, 0.3)
    r0, r1 = -u(rng, 0.35, 0.45), u(rng, 0.15, 0.25)  # roof ends
    outline = [
        (-L, low), (-L, belt + 0.03), (r0 - 0.2, belt), (r0, roof), (r1, roof),
        (r1 + 0.3, belt), (L, belt + 0.08), (L, low),
    ]  # fmt: skip
    mid = (r0 + r1) / 2
    windows = [
        [
            (r0 - 0.14, belt),
            (r0 + 0.03, roof + 0.05),
            (mid - 0.03, roof + 0.05),
            (mid - 0.03, belt),
        ],
        [
            (mid + 0.03, belt),
            (mid + 0.03, roof + 0.05),
            (r1 - 0.02, roof + 0.05),
            (r1 + 0.22, belt),
        ],
    ]
    if rng.random() < 0.3:
        windows = windows[:1] if rng.random() < 0.5 else []
    strokes = _vehicle(rng, outline, windows, [-L * 0.6, L * 0.6], g, wr)
    if rng.random() < 0.5:
        strokes.append(line((mid, belt), (mid, low - 0.02)))  # door
    return strokes


def suv(rng: np.random.Generator) -> list[Stroke]:
    """Tall boxy body, roof to the back, big wheels; sometimes a roof rack or spare wheel."""
    g, wr = 0.35, u(rng, 0.17, 0.21)
    L = u(rng, 0.8, 0.9)
    low, belt = g - wr * 1.1, g - u(rng, 0.52, 0.6)
    roof = belt - u(rng, 0.28, 0.36)
    r1 = u(rng, 0.25, 0.35)
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
        strokes.append(line((-L + 0.1, y), (r1 - 0.1, y)))
        strokes.append(line((-L + 0.2, y), (-L + 0.2, roof)))
        strokes.append(line((r1 - 0.2, y), (r1 - 0.2, roof)))
    if rng.random() < 0.3:  # spare wheel on the back
        strokes.append(Stroke(arc(-L, (low + belt) / 2, 0.08, 0.16, np.pi / 2, 3 * np.pi / 2, 9)))
    return strokes


def van(rng: np.random.Generator) -> list[Stroke]:
    """A long tall box with a short bonnet, small wheels, a row of windows, sliding door."""
    g, wr = 0.32, u(rng, 0.13, 0.16)
    L = u(rng, 0.95, 1.0)
    low, roof = g - wr * 0.9, g - u(rng, 0.85, 0.98)
    hood = g - u(rng, 0.42, 0.5)
    w0 = L - u(rng, 0.3, 0.4)  # where the windscreen starts
    outline = [
        (-L, low), (-L, roof), (w0 - 0.05, roof), (w0 + 0.15, hood), (L, hood + 0.05), (L, low),
    ]  # fmt: skip
    wy0, wy1 = roof + 0.07, roof + u(rng, 0.25, 0.3)
    windows = [[(w0 - 0.1, wy1), (w0 - 0.1, wy0), (w0, wy0), (w0 + 0.1, wy1)]]
    n_side = int(rng.integers(0, 4))
    xs = np.linspace(-L + 0.1, w0 - 0.2, max(n_side, 1) + 1)
    for a, b in list(zip(xs[:-1], xs[1:], strict=True))[:n_side]:
        windows.append([(a + 0.03, wy1), (a + 0.03, wy0), (b - 0.03, wy0), (b - 0.03, wy1)])
    strokes = _vehicle(rng, outline, windows, [-L * 0.65, L * 0.6], g, wr)
    if rng.random() < 0.6:  # sliding door
        d = u(rng, -0.2, 0.2)
        strokes.append(line((d, wy0 - 0.02), (d, low - 0.02)))
        strokes.append(line((d + 0.35, wy0 - 0.02), (d + 0.35, low - 0.02)))
    return strokes


# ---------------------------------------------------------------------------------------------
# Birds, facing right


def _bird_head(
    rng: np.random.Generator, hx: float, hy: float, r: float, beak: float
) -> list[Stroke]:
    tip = (hx + r + beak, hy + r * u(rng, 0.05, 0.35))
    return [
        ellipse(hx, hy, r, r * 0.95, n=14, essential=True),
        line((hx + r * 0.9, hy - r * 0.25), tip, (hx + r * 0.85, hy + r * 0.35)),
        dot(hx + r * 0.35, hy - r * 0.2, r * 0.14),
    ]


def _legs(x: float, y0: float, length: float) -> list[Stroke]:
    strokes = []
    for dx in (-0.07, 0.07):
        foot = (x + dx - 0.02, y0 + length)
        strokes.append(line((x + dx, y0), foot))
        strokes.append(line((foot[0] - 0.07, foot[1]), (foot[0] + 0.08, foot[1] + 0.01)))
    return strokes


def _standing_bird(
    rng: np.random.Generator, *, plump: float, leg: float, beak: float, pecking: bool = False
) -> list[Stroke]:
    bx, by, brx, bry = -0.05, 0.05, 0.5, 0.3 * plump
    head_r = 0.16 * u(rng, 0.9, 1.1)
    if pecking:  # body tipped forward, head down at the front
        tilt = u(rng, 0.15, 0.35)
        hx, hy = bx + brx * 1.0 + head_r * 0.3, by + bry * 0.25
    else:
        tilt = -u(rng, 0.15, 0.35)
        hx, hy = bx + brx * 0.8, by - bry - head_r * 0.6
    strokes = [ellipse(bx, by, brx, bry, n=22, rot=tilt, essential=True)]
    strokes += _bird_head(rng, hx, hy, head_r, beak)
    # tail wedge at the back
    tx, ty = bx - brx * 0.9, by + bry * 0.35 - (0.25 if pecking else 0.0)
    strokes.append(
        line((tx, ty - 0.06), (tx - 0.3, ty + 0.12), (tx - 0.22, ty + 0.22), (tx, ty + 0.1))
    )
    # folded wing
    strokes.append(Stroke(arc(bx - 0.1, by - 0.02, brx * 0.6, bry * 0.55, -2.6, 0.4, 10, tilt)))
    strokes += _legs(bx + 0.05, by + bry * 0.9, leg)
    return strokes


def pigeon(rng: np.random.Generator) -> list[Stroke]:
    """A plump standing (or pecking) bird with a small head, short beak and short legs."""
    pecking = rng.random() < 0.3
    strokes = _standing_bird(
        rng, plump=u(rng, 1.0, 1.25), leg=u(rng, 0.1, 0.18), beak=0.08, pecking=pecking
    )
    if not pecking and rng.random() < 0.5:  # the pigeon's shiny neck: a collar line
        strokes.append(Stroke(arc(0.3, -0.3, 0.15, 0.1, 0.3, 2.6, 7)))
    return strokes


def seagull(rng: np.random.Generator) -> list[Stroke]:
    """Mostly the flying 'M' of two bent wings; sometimes a slim standing gull with long
    legs, a long beak and a dark wing tip."""
    if rng.random() < 0.25:
        # standing gull: slim body, long legs, long beak, dark wing tip
        strokes = _standing_bird(rng, plump=u(rng, 0.75, 0.95), leg=u(rng, 0.22, 0.32), beak=0.2)
        strokes.append(line((-0.45, 0.0), (-0.8, 0.08), (-0.5, 0.12), closed=True, fill="ink"))
        return strokes
    # flying: the 'M' of two bent wings over a small body
    span, lift, dip = u(rng, 0.85, 1.0), u(rng, 0.3, 0.5), u(rng, 0.0, 0.15)
    ctl = np.array(
        [(-span, 0.15), (-span * 0.5, -lift), (0, dip), (span * 0.5, -lift), (span, 0.15)]
    )
    wing_l = np.concatenate(
        [arc(-span * 0.5, 0.15 - lift * 0.2, span * 0.5, lift + 0.15, np.pi, 1.5 * np.pi, 8),
         arc(-span * 0.25, dip - 0.1, span * 0.25, lift * 0.9, 1.5 * np.pi, 2 * np.pi, 6)]
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
            tip = [(s * span, 0.15), (s * span * 0.78, -0.02), (s * span * 0.85, 0.05)]
            strokes.append(line(*tip, closed=True, fill="ink"))
    if rng.random() < 0.6:  # small body and head between the wings
        strokes.append(ellipse(0, dip + 0.12, 0.2, 0.08, n=12))
        strokes.append(dot(0.22, dip + 0.08, 0.06))
    return strokes


# ---------------------------------------------------------------------------------------------
# Bumpy outlines


def cloud(rng: np.random.Generator) -> list[Stroke]:
    """A bumpy outline, often with a flat bottom; sometimes a curl, rain or a second cloud."""
    flat = rng.random() < 0.5
    rx, ry = u(rng, 0.75, 0.95), u(rng, 0.35, 0.5)
    pts = bumpy(rng, 0, 0, rx, ry, int(rng.integers(5, 9)), u(rng, 0.5, 0.9), flat)
    strokes = [Stroke(pts, closed=True, essential=True)]
    if rng.random() < 0.35:  # an inner curl
        strokes.append(Stroke(arc(u(rng, -0.3, 0.3), -0.05, 0.15, 0.12, 3.6, 6.0, 7)))
    if rng.random() < 0.25:  # rain or a second small cloud
        if rng.random() < 0.5:
            for x in np.linspace(-0.4, 0.4, int(rng.integers(3, 6))):
                strokes.append(line((x, ry + 0.15), (x - 0.06, ry + 0.35)))
        else:
            strokes.append(Stroke(bumpy(rng, 0.55, -0.55, 0.3, 0.13, 4, 0.8, True), closed=True))
    return strokes


def sheep(rng: np.random.Generator) -> list[Stroke]:
    """A bumpy woolly body on four (or two) stick legs with a dark or outlined head."""
    rx, ry = u(rng, 0.6, 0.72), u(rng, 0.38, 0.45)
    cx, cy = -0.1, -0.05
    pts = bumpy(rng, cx, cy, rx, ry, int(rng.integers(9, 14)), u(rng, 0.5, 0.9), False)
    strokes = [Stroke(pts, closed=True, essential=True)]
    # head at the front, a little low, dark or outlined
    hx, hy = cx + rx * u(rng, 0.85, 1.0), cy - ry * u(rng, 0.1, 0.5)
    dark = rng.random() < 0.5
    strokes.append(ellipse(hx, hy, 0.14, 0.2, n=12, rot=-0.5, fill="ink" if dark else None))
    strokes.append(ellipse(hx - 0.06, hy - 0.15, 0.1, 0.04, n=8, rot=0.4, fill="ink"))  # ear
    if not dark:
        strokes.append(dot(hx + 0.03, hy - 0.04, 0.03))
    # legs: four short posts (or the two nearest)
    n_legs = 4 if rng.random() < 0.7 else 2
    leg = u(rng, 0.2, 0.32)
    xs = np.linspace(cx - rx * 0.6, cx + rx * 0.6, n_legs) + rng.normal(0, 0.03, n_legs)
    for x in xs:
        top = cy + ry * 0.9
        strokes.append(line((x, top), (x, top + leg), essential=True))
        if dark and rng.random() < 0.5:
            strokes.append(dot(x, top + leg, 0.035))
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
