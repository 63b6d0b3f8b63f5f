"""One colour-blind-safe palette for every picture of ConvLens: video, web views, legends.

This module is the single source of the class colours. The web UI's ``web/src/lib/colors.ts``
carries a generated copy (``python -m convlens.render._palette`` prints it; a test checks that
the two agree).

The first ten class colours were chosen by a search over a grid of sRGB colours (lightness 35-74
in CIELAB, so that no colour is lost on a white page, chroma at least 30, so that each reads as a
hue): the set whose smallest CIEDE2000 difference between any two colours is largest as seen
with normal vision *and* as simulated for deuteranopia and protanopia (Machado et al. 2009,
full severity): at least 15 in each (10 reads as "another colour" at a glance). Their order gives
the kinds that look alike distinct colours (:data:`CONFUSABLE_GROUPS`).

Right and wrong answers are never told apart by red versus green: the video marks a mistake by
shape (an open circle instead of a filled one, a dark frame with a cross on a picture), and the
web's right/wrong colouring uses blue versus orange (Okabe & Ito), which every kind of colour
vision tells apart.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ._colorscience import ciede2000, srgb_to_lab

BASE_COLORS = np.array(
    [
        (187, 187, 0),  # olive yellow
        (170, 0, 51),  # crimson
        (102, 68, 136),  # dark purple
        (187, 170, 255),  # lavender
        (204, 85, 0),  # burnt orange
        (187, 119, 170),  # mauve
        (68, 153, 102),  # green
        (153, 34, 255),  # violet
        (0, 119, 102),  # teal
        (238, 153, 170),  # pink
    ],
    dtype=np.uint8,
)

CONFUSABLE_GROUPS = (
    ("bear", "panda", "teddy-bear"),
    ("car", "suv", "van"),
    ("pigeon", "seagull"),
    ("cloud", "sheep"),
)
"""The demo's kinds that look alike (``convlens.data``'s sketches, classes in alphabetical
order). :data:`BASE_COLORS` is ordered so that the kinds of a group get colours at least 31
apart (CIEDE2000) in normal vision and as simulated for deuteranopia and protanopia: the best
of all 10! orders (in the first order, bear and teddy-bear were two purples 16 apart)."""

MISTAKE_COLOR = np.array((34, 34, 34), dtype=np.uint8)
"""Neutral near-black of the frame and cross that mark a picture the network got wrong."""

RIGHT_COLOR = np.array((0, 114, 178), dtype=np.uint8)
"""Blue for "right" where colour alone shows correctness (Okabe-Ito blue)."""

WRONG_COLOR = np.array((213, 94, 0), dtype=np.uint8)
"""Orange for "wrong" where colour alone shows correctness (Okabe-Ito vermillion)."""

TABLE_SIZE = 64
"""How many class colours the web's generated copy holds."""

_MIN_L, _MAX_L = 35.0, 74.0  # lightness range of generated extra colours (never near white)


def relative_luminance(rgb: np.ndarray) -> np.ndarray:
    """WCAG relative luminance in 0..1 of sRGB colours ``[..., 3]`` in 0..255."""
    c = np.asarray(rgb, dtype=np.float64) / 255.0
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return np.asarray(lin @ np.array([0.2126, 0.7152, 0.0722]))


@lru_cache(maxsize=1)
def _candidates() -> tuple[np.ndarray, np.ndarray]:
    """sRGB grid colours that may extend the palette, and their CIELAB values."""
    levels = np.linspace(0, 255, 18).round()
    rgb = np.stack(np.meshgrid(levels, levels, levels, indexing="ij"), -1).reshape(-1, 3)
    lab = srgb_to_lab(rgb)
    chroma = np.hypot(lab[:, 1], lab[:, 2])
    keep = (lab[:, 0] >= _MIN_L) & (lab[:, 0] <= _MAX_L) & (chroma >= 20) & (chroma <= 80)
    return rgb[keep].astype(np.uint8), lab[keep]


@lru_cache(maxsize=1)
def _table(n: int = TABLE_SIZE) -> np.ndarray:
    """The first ``n`` class colours: the fixed ten, then greedy farthest-point extensions."""
    rgb, lab = _candidates()
    chosen = list(BASE_COLORS)
    dist = np.min(ciede2000(lab[:, None, :], srgb_to_lab(BASE_COLORS)[None, :, :]), axis=1)
    while len(chosen) < n:
        i = int(np.argmax(dist))  # farthest (CIEDE2000) from every colour chosen so far
        chosen.append(rgb[i])
        dist = np.minimum(dist, ciede2000(lab, lab[i]))
    return np.array(chosen, dtype=np.uint8)


@lru_cache(maxsize=32)
def _class_colors(n: int) -> np.ndarray:
    if n <= TABLE_SIZE:
        return _table()[:n].copy()
    rgb, lab = _candidates()
    chosen = list(_table())
    dist = np.min(ciede2000(lab[:, None, :], srgb_to_lab(np.array(chosen))[None, :, :]), axis=1)
    while len(chosen) < n:
        i = int(np.argmax(dist))
        chosen.append(rgb[i])
        dist = np.minimum(dist, ciede2000(lab, lab[i]))
    return np.array(chosen, dtype=np.uint8)


def class_colors(n: int) -> np.ndarray:
    """Distinct colours for ``n`` classes, colour-blind safe up to 10 classes.

    The first ten are fixed (see the module's docstring). Beyond ten, each extra colour is the
    one farthest (CIEDE2000) from every colour already chosen, among mid-lightness colours, so
    none is near white. ``class_colors(n)[:m] == class_colors(m)``: a class keeps its colour.
    Past ten classes no palette stays colour-blind safe; the legend names them.

    Args:
        n: Number of classes (at least 1).

    Returns:
        ``[n, 3]`` uint8 sRGB colours.
    """
    if int(n) != n or n < 1:
        raise ValueError(f"class_colors needs a positive number of classes, got {n!r}")
    return _class_colors(int(n)).copy()


BEGIN_MARK = "// BEGIN GENERATED PALETTE (python -m convlens.render._palette)"
END_MARK = "// END GENERATED PALETTE"


def palette_typescript() -> str:
    """The generated block of ``web/src/lib/colors.ts``: class colours and right/wrong."""

    def rgb(c: np.ndarray) -> str:
        return f"[{int(c[0])}, {int(c[1])}, {int(c[2])}]"

    rows = [f"  {rgb(c)}," for c in _table()]
    return "\n".join(
        [
            BEGIN_MARK,
            "// Do not edit: the source is src/convlens/render/_palette.py.",
            "/** The class colours, in class order (the first ten are colour-blind safe). */",
            "export const CLASS_COLORS: RGB[] = [",
            *rows,
            "];",
            "/** Colour that shows a right answer where colour alone shows correctness. */",
            f"export const CORRECT: RGB = {rgb(RIGHT_COLOR)};",
            "/** Colour that shows a wrong answer (never red against green). */",
            f"export const WRONG: RGB = {rgb(WRONG_COLOR)};",
            "/** Neutral ink of the mark (frame, cross) on a picture the network got wrong. */",
            f"export const MISTAKE_INK: RGB = {rgb(MISTAKE_COLOR)};",
            END_MARK,
        ]
    )


if __name__ == "__main__":  # pragma: no cover - prints the block to paste into colors.ts
    print(palette_typescript())


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
    return np.asarray(np.clip(np.rint(mix), 0, 255), np.uint8)
