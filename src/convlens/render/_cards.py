"""The opening and closing cards of a training video: a few plain sentences on a quiet page."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw

from ._text import font, wrap

_INK = (20, 20, 20)
_BODY = (45, 45, 45)
_BG = (255, 255, 255)


def draw_card(
    width: int,
    height: int,
    title: str,
    lines: Sequence[str],
    *,
    key_color: tuple[int, int, int] | None = None,
    footer: str = "",
) -> np.ndarray:
    """A card: ``title`` in large type, then one paragraph per line of ``lines``.

    Args:
        width: Frame width in pixels.
        height: Frame height in pixels.
        title: The headline.
        lines: Paragraphs, each wrapped to at most three lines.
        key_color: When given, a key under the text: a filled dot (right) and an open circle
            (wrong) in this colour, the marks the video uses.
        footer: A small line at the bottom (e.g. what comes next).

    Returns:
        uint8 ``[height, width, 3]``.
    """
    s = min(width / 1280, height / 720)
    img = Image.new("RGB", (width, height), _BG)
    d = ImageDraw.Draw(img)
    x0, w = round(140 * s), width - round(280 * s)
    y = round(110 * s)
    ft = font(40 * s, True)
    for line in wrap(d, title, ft, w, max_lines=2):
        d.text((x0, y), line, font=ft, fill=_INK)
        y += round(50 * s)
    d.rectangle((x0, y + round(8 * s), x0 + round(90 * s), y + round(12 * s)), fill=(70, 70, 70))
    y += round(40 * s)
    fb = font(25 * s)
    for para in lines:
        for line in wrap(d, para, fb, w, max_lines=3):
            d.text((x0, y), line, font=fb, fill=_BODY)
            y += round(34 * s)
        y += round(14 * s)
    if key_color is not None:
        y += round(8 * s)
        r = round(11 * s)
        fk = font(22 * s)
        cx = x0 + r
        d.ellipse((cx - r, y, cx + r, y + 2 * r), fill=key_color)
        d.text(
            (cx + 2 * r, y + r), "filled: the network is right", font=fk, fill=_BODY, anchor="lm"
        )
        cx += round(420 * s)
        d.ellipse((cx - r, y, cx + r, y + 2 * r), outline=key_color, width=max(round(4 * s), 2))
        d.text((cx + 2 * r, y + r), "open: it is wrong", font=fk, fill=_BODY, anchor="lm")
    if footer:
        d.text((x0, height - round(70 * s)), footer, font=font(18 * s), fill=(110, 110, 110))
    return np.asarray(img).copy()
