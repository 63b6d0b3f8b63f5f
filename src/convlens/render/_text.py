"""Fonts and text fitting with Pillow (text is drawn once and cached, never per frame)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from PIL import ImageDraw, ImageFont

_REGULAR = ("DejaVuSans.ttf", "LiberationSans-Regular.ttf", "Arial.ttf", "NotoSans-Regular.ttf")
_BOLD = ("DejaVuSans-Bold.ttf", "LiberationSans-Bold.ttf", "Arial Bold.ttf", "NotoSans-Bold.ttf")

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@lru_cache(maxsize=64)
def font(size: int, bold: bool = False) -> Font:
    """A sans-serif font of ``size`` pixels: DejaVu Sans when installed, else Pillow's own."""
    size = max(int(round(size)), 6)
    for name in _BOLD if bold else _REGULAR:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow without FreeType
        return ImageFont.load_default()


def text_width(draw: ImageDraw.ImageDraw, text: str, f: Font) -> float:
    """Width in pixels of ``text`` set in ``f``."""
    return draw.textlength(text, font=f)


def ellipsize(draw: ImageDraw.ImageDraw, text: str, f: Font, max_width: float) -> str:
    """``text`` cut with an ellipsis so that it fits in ``max_width`` pixels."""
    if text_width(draw, text, f) <= max_width:
        return text
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if text_width(draw, text[:mid].rstrip() + "…", f) <= max_width:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo].rstrip() + "…"


def wrap(
    draw: ImageDraw.ImageDraw, text: str, f: Font, max_width: float, max_lines: int = 3
) -> list[str]:
    """Break ``text`` into at most ``max_lines`` lines of at most ``max_width`` pixels."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        trial = f"{line} {word}".strip()
        if not line or text_width(draw, trial, f) <= max_width:
            line = trial
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    if len(lines) > max_lines:
        lines = lines[: max_lines - 1] + [" ".join(lines[max_lines - 1 :])]
    return [ellipsize(draw, s, f, max_width) for s in lines]


def labels_with_room(anchors: np.ndarray, labels: Sequence[str], size: float = 11) -> list[int]:
    """Which labels to draw, in order: a label centred at its anchor (pixels) that would
    overlap one already kept is left out (many thin layers seen side on)."""
    kept: list[int] = []
    for i, (label, (x, y)) in enumerate(zip(labels, np.asarray(anchors, float), strict=True)):
        half = 0.32 * size * len(label) + 4  # ~0.64 em per character, in pixels
        if not any(
            abs(x - anchors[k][0]) < half + 0.32 * size * len(labels[k]) + 4
            and abs(y - anchors[k][1]) < 1.5 * size
            for k in kept
        ):
            kept.append(i)
    return kept
