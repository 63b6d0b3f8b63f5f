"""Colour-blind-safe class colours, and the one colour that means "wrong"."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

# Okabe & Ito (2008) without vermillion, then Paul Tol's "muted" wine and olive, and the
# Okabe-Ito yellow darkened so that it still reads on white. No class colour is red: red is kept
# for the mark of a mistake, so "red" on screen has one meaning.
BASE_COLORS = np.array(
    [
        (0, 114, 178),  # blue
        (230, 159, 0),  # orange
        (0, 158, 115),  # bluish green
        (204, 121, 167),  # reddish purple
        (86, 180, 233),  # sky blue
        (51, 34, 136),  # indigo (Tol)
        (40, 40, 40),  # near black
        (136, 34, 85),  # wine (Tol)
        (153, 153, 51),  # olive (Tol)
        (222, 205, 40),  # yellow, darkened
    ],
    dtype=np.uint8,
)

MISTAKE_COLOR = np.array((228, 0, 28), dtype=np.uint8)
"""Red of the ring that marks a probe image the network got wrong."""

_MIN_L, _MAX_L = 28.0, 78.0  # lightness range of generated extra colours (never near white)


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """CIELAB (D65) of sRGB colours given as ``[..., 3]`` values in 0..255."""
    c = np.asarray(rgb, dtype=np.float64) / 255.0
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    m = np.array(
        [
            [0.4124564, 0.3575761, 0.1804375],
            [0.2126729, 0.7151522, 0.0721750],
            [0.0193339, 0.1191920, 0.9503041],
        ]
    )
    xyz = lin @ m.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    L = 116 * f[..., 1] - 16
    a = 500 * (f[..., 0] - f[..., 1])
    b = 200 * (f[..., 1] - f[..., 2])
    return np.stack([L, a, b], axis=-1)


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
    keep = (lab[:, 0] >= _MIN_L) & (lab[:, 0] <= _MAX_L) & (chroma >= 20) & (chroma <= 70)
    # keep well away from the mistake red, so a ring never looks like a class colour
    keep &= np.linalg.norm(lab - srgb_to_lab(MISTAKE_COLOR), axis=1) > 35
    return rgb[keep].astype(np.uint8), lab[keep]


@lru_cache(maxsize=32)
def _class_colors(n: int) -> np.ndarray:
    if n <= len(BASE_COLORS):
        return BASE_COLORS[:n].copy()
    rgb, lab = _candidates()
    chosen = list(BASE_COLORS)
    dist = np.min(
        np.linalg.norm(lab[:, None, :] - srgb_to_lab(BASE_COLORS)[None, :, :], axis=2), axis=1
    )
    while len(chosen) < n:
        i = int(np.argmax(dist))  # farthest from every colour chosen so far
        chosen.append(rgb[i])
        dist = np.minimum(dist, np.linalg.norm(lab - lab[i], axis=1))
    return np.array(chosen, dtype=np.uint8)


def class_colors(n: int) -> np.ndarray:
    """Distinct colours for ``n`` classes, safe for colour-blind viewers up to 10 classes.

    The first ten are fixed (Okabe-Ito and Paul Tol's palettes, no red, none light). Beyond ten,
    each extra colour is the one farthest, in CIELAB, from every colour already chosen, picked
    among mid-lightness colours: so no colour is ever near white and none is near the red that
    marks mistakes. Past ten classes no palette stays colour-blind safe; the legend names them.

    Args:
        n: Number of classes (at least 1).

    Returns:
        ``[n, 3]`` uint8 sRGB colours.
    """
    if int(n) != n or n < 1:
        raise ValueError(f"class_colors needs a positive number of classes, got {n!r}")
    return _class_colors(int(n)).copy()
