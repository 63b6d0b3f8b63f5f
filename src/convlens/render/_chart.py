"""The accuracy panel: curves drawn once, revealed up to the current time by slicing columns."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw

from ._layout import Rect
from ._raster import disc_sprite, splat
from ._text import ellipsize, font

SUPERSAMPLE = 3
_TRAIN = (0, 114, 178)  # Okabe-Ito blue, dashed
_MAIN = (25, 25, 25)
_EXTRA = ((230, 159, 0), (0, 158, 115), (204, 121, 167), (86, 180, 233))


def is_dashed(name: str) -> bool:
    """Training curves are dashed: train and test differ in shape, not only in colour."""
    return "train" in name.lower()


def metric_colors(names: list[str]) -> list[tuple[int, int, int]]:
    """Training curves in blue (dashed), the first other curve near black, further ones in
    colour."""
    out = []
    extra = iter(_EXTRA * 4)
    main_used = False
    for n in names:
        if "train" in n.lower():
            out.append(_TRAIN)
        elif not main_used:
            out.append(_MAIN)
            main_used = True
        else:
            out.append(next(extra))
    return out


def _percent(v: float) -> str:
    return "–" if not np.isfinite(v) else f"{100 * v:.0f}%"


class AccuracyChart:
    """Curves of per-epoch metrics in [0, 1] with the current time marked."""

    def __init__(self, rect: Rect, epochs: np.ndarray, metrics: dict[str, np.ndarray], s: float):
        self.rect = rect
        self.s = s
        self.names = list(metrics)
        self.values = np.array([metrics[k] for k in self.names], np.float64).reshape(
            len(self.names), len(epochs)
        )
        self.colors = metric_colors(self.names)
        self.epochs = np.asarray(epochs, dtype=np.float64)
        self.row_h = round(19 * s)
        head_h = round(24 * s)
        self.legend = Rect(
            rect.x0,
            rect.y0 + head_h,
            rect.x1,
            rect.y0 + head_h + self.row_h * max(len(self.names), 1),
        )
        self.plot = Rect(
            rect.x0 + round(42 * s),
            self.legend.y1 + round(12 * s),
            rect.x1 - round(8 * s),
            rect.y1 - round(34 * s),
        )
        self._dots = disc_sprite(3.2 * s + 0.5, np.array(self.colors or [_MAIN], np.uint8), rim=0.7)
        self._full: np.ndarray | None = None
        self._legend_strip = lru_cache(maxsize=4)(self._make_legend_strip)
        self._bg: np.ndarray | None = None

    # -- geometry ---------------------------------------------------------------------------
    def x_of(self, epoch: np.ndarray | float) -> np.ndarray:
        lo, hi = self.epochs[0], self.epochs[-1]
        p = self.plot
        if hi <= lo:
            return np.full(np.shape(epoch), (p.x0 + p.x1 - 1) / 2)
        return np.asarray(p.x0 + (np.asarray(epoch, np.float64) - lo) / (hi - lo) * (p.w - 1))

    def y_of(self, v: np.ndarray | float) -> np.ndarray:
        p = self.plot
        return p.y1 - 1 - np.asarray(v, np.float64) * (p.h - 1)

    # -- drawing once -----------------------------------------------------------------------
    def paint_static(self, draw: ImageDraw.ImageDraw) -> None:
        """Heading, gridlines and axis labels onto the background."""
        s, p, r = self.s, self.plot, self.rect
        draw.text(
            (r.x0, r.y0),
            "How often the network is right",
            font=font(15 * s, True),
            fill=(20, 20, 20),
        )
        small = font(12 * s)
        for v in (0.0, 0.5, 1.0):
            y = int(round(float(self.y_of(v))))
            draw.line([(p.x0, y), (p.x1 - 1, y)], fill=(225, 225, 225) if v else (170, 170, 170))
            draw.text(
                (p.x0 - round(6 * s), y), f"{v:.0%}", font=small, fill=(110, 110, 110), anchor="rm"
            )
        ticks = sorted({self.epochs[0], self.epochs[-1]})
        if len(self.epochs) > 2:
            ticks.insert(1, self.epochs[len(self.epochs) // 2])
        for e in ticks:
            x = int(round(float(self.x_of(e))))
            draw.line([(x, p.y1), (x, p.y1 + round(4 * s))], fill=(170, 170, 170))
            draw.text(
                (x, p.y1 + round(6 * s)), _num(e), font=small, fill=(110, 110, 110), anchor="mt"
            )
        draw.text(
            ((p.x0 + p.x1) // 2, r.y1), "epoch", font=small, fill=(110, 110, 110), anchor="md"
        )

    def prepare(self, background: np.ndarray) -> None:
        """Keep the static look and draw every full curve once (anti-aliased by supersampling)."""
        self._bg = background
        r, k = self.rect, SUPERSAMPLE
        layer = Image.new("RGBA", (r.w * k, r.h * k), (0, 0, 0, 0))
        d = ImageDraw.Draw(layer)
        x = (self.x_of(self.epochs) - r.x0 + 0.5) * k
        for name, vals, color in zip(self.names, self.values, self.colors, strict=True):
            y = (self.y_of(vals) - r.y0 + 0.5) * k
            ok = np.isfinite(vals)
            dash = 7.0 * self.s * k if is_dashed(name) else 0.0
            width = max(int(round((2.0 if dash else 2.8) * self.s * k)), 1)
            for i in range(len(vals) - 1):
                if ok[i] and ok[i + 1]:
                    _line(d, (x[i], y[i]), (x[i + 1], y[i + 1]), color + (255,), width, dash)
        small = layer.resize((r.w, r.h), Image.Resampling.BOX)
        base = Image.fromarray(background[r.y0 : r.y1, r.x0 : r.x1]).convert("RGBA")
        self._full = np.asarray(Image.alpha_composite(base, small).convert("RGB")).copy()

    def _make_legend_strip(self, key: int) -> np.ndarray:
        if self._bg is None:
            raise RuntimeError("AccuracyChart.prepare() must run before drawing")
        L = self.legend
        img = Image.fromarray(self._bg[L.y0 : L.y1, L.x0 : L.x1])
        d = ImageDraw.Draw(img)
        f = font(13 * self.s)
        fb = font(13 * self.s, True)
        sw = round(18 * self.s)
        for i, (name, color) in enumerate(zip(self.names, self.colors, strict=True)):
            yc = i * self.row_h + self.row_h // 2
            dash = 4.0 * self.s if is_dashed(name) else 0.0
            _line(d, (0, yc), (sw, yc), color, max(round(2.5 * self.s), 1), dash)
            value = _percent(float(self.values[i, key]))
            vw = d.textlength(value, font=fb)
            label = ellipsize(d, name, f, L.w - sw - vw - 16 * self.s)
            d.text((sw + round(6 * self.s), yc), label, font=f, fill=(40, 40, 40), anchor="lm")
            d.text((L.w, yc), value, font=fb, fill=(20, 20, 20), anchor="rm")
        return np.asarray(img)

    # -- drawing every frame ----------------------------------------------------------------
    def draw(self, canvas: np.ndarray, t: float, key: int) -> None:
        """Reveal the curves up to time ``t`` (in epoch steps), mark it, show values at ``key``."""
        if self._full is None:
            return
        r, p = self.rect, self.plot
        a = int(np.floor(t))
        b = min(a + 1, len(self.epochs) - 1)
        u = t - a
        epoch = self.epochs[a] * (1 - u) + self.epochs[b] * u
        xc = int(round(float(self.x_of(epoch))))
        cut = xc + 1 - r.x0
        canvas[r.y0 : r.y1, r.x0 : r.x0 + cut] = self._full[:, :cut]
        canvas[p.y0 : p.y1, xc] = (150, 150, 150)
        if len(self.names):
            vals = self.values[:, a] * (1 - u) + self.values[:, b] * u
            ok = np.isfinite(vals)
            ys = np.round(self.y_of(np.where(ok, vals, 0))).astype(np.int64)
            n = int(ok.sum())
            splat(canvas, np.full(n, xc), ys[ok], self._dots, np.arange(len(vals))[ok])
        L = self.legend
        canvas[L.y0 : L.y1, L.x0 : L.x1] = self._legend_strip(key)


def _num(e: float) -> str:
    return str(int(e)) if float(e).is_integer() else f"{e:g}"


def _line(
    d: ImageDraw.ImageDraw,
    a: tuple[float, float],
    b: tuple[float, float],
    fill: tuple[int, ...],
    width: int,
    dash: float = 0.0,
) -> None:
    """A straight line from ``a`` to ``b``, dashed (dashes and gaps ``dash`` long) if > 0."""
    if dash <= 0:
        d.line([a, b], fill=fill, width=width, joint="curve")
        return
    length = float(np.hypot(b[0] - a[0], b[1] - a[1]))
    n = max(int(length // dash), 1)
    for k in range(0, n, 2):
        u0, u1 = k / n, min((k + 1) / n, 1.0)
        p0 = (a[0] + (b[0] - a[0]) * u0, a[1] + (b[1] - a[1]) * u0)
        p1 = (a[0] + (b[0] - a[0]) * u1, a[1] + (b[1] - a[1]) * u1)
        d.line([p0, p1], fill=fill, width=width)
