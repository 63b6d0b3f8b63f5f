"""``FrameRenderer``: the training timeline as uint8 frames, everything static drawn once."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw

from convlens.core import UserInputError

from ._cards import draw_card
from ._chart import AccuracyChart, _num
from ._data import FrameStyle, VideoData, present_classes, validate_data, validate_style
from ._layout import Rect, make_layout, orientation, to_pixels, view_bounds
from ._palette import class_colors
from ._raster import Thumbnails, disc_sprite, ease, open_circle_sprite, place_thumbnails, splat
from ._text import ellipsize, font, wrap

WHITE = (255, 255, 255)
INK = (20, 20, 20)
MUTED = (95, 95, 95)
PANEL_BORDER = (214, 214, 214)
PANEL_FILL = (251, 251, 251)
GAP = 2  # pixels kept free between two thumbnails
STRETCH = 2.0  # how much one axis of a map may be stretched against the other to fill a panel


class FrameRenderer:
    """Draws the frames of a training video: one layer per panel, glide from epoch to epoch.

    The background, legend, axes and all text that does not change are drawn once; each
    frame copies that background, splats the points with NumPy, pastes thumbnails by slicing,
    and pastes cached text of the current epoch. A point is filled with its class colour when
    the network is right and drawn as an open circle of that colour when it is wrong: the true
    kind and the mistakes both stay visible, and no colour has to mean "wrong".

    Each panel's view is fixed over all epochs: a rotation that lays the maps' long axis along
    the panel, robust bounds (1 % of points may fall on the edge), a mild stretch to fill the
    panel. The video opens and closes with a card when the data has their text.

    Args:
        data: What to show; shapes are checked (``UserInputError`` names what is wrong).
        style: How it looks and how it is timed.
    """

    def __init__(self, data: VideoData, style: FrameStyle | None = None) -> None:
        style = FrameStyle() if style is None else style
        validate_style(style)
        d = validate_data(data)
        self.style = style
        self._d = d
        self.n_epochs = E = len(d.epochs)
        C = len(d.class_names)
        self.colors = class_colors(C)
        self._show_train = style.show_train and any(t is not None for t in d.train_xy)
        L = self._layout = make_layout(style.width, style.height, len(d.xy), self._show_train)
        s = L.scale
        r = style.point_radius
        self._point = disc_sprite(r, self.colors)
        self._open = open_circle_sprite(r + 0.5, self.colors, PANEL_FILL)
        train_colors = self.colors if d.train_labels is not None else np.array([(120, 120, 120)])
        self._train_dot = disc_sprite(max(1.0, 0.5 * r), train_colors, rim=1.0, opacity=0.7)

        self._thumbs: Thumbnails | None = None
        if style.thumbnails and d.thumbnails is not None and style.max_thumbnails > 0:
            self._thumbs = Thumbnails(d.thumbnails, style.thumbnail_size, self.colors)
        tile = style.thumbnail_size + 2 * Thumbnails.FRAME if self._thumbs else 0
        pad = max(tile // 2 + 1, self._open.reach + 1, self._point.reach + 1)

        # which class colours and which mistakes, per epoch
        self._wrong = d.predicted != d.labels[None, :]
        self._cls = (
            d.predicted
            if style.color_by == "predicted"
            else np.broadcast_to(d.labels, (E, len(d.labels)))
        )

        # fixed view per panel, pixel positions of every epoch, thumbnail choice per epoch
        self._px: list[np.ndarray] = []
        self._train_px: list[np.ndarray | None] = []
        self._chosen: list[list[np.ndarray]] = []
        rank = np.random.default_rng(0).permutation(len(d.labels))
        for i, slot in enumerate(L.panels):
            train = d.train_xy[i] if self._show_train else None
            R = orientation(d.xy[i], train, wide=slot.plot.w >= slot.plot.h)
            xy = d.xy[i] @ R
            train = None if train is None else train @ R
            bounds = view_bounds(xy, train)
            px = to_pixels(xy, bounds, slot.plot, pad, STRETCH)
            self._px.append(px)
            self._train_px.append(
                None
                if train is None or slot.train_plot is None
                else to_pixels(train, bounds, slot.train_plot, self._train_dot.reach + 1, STRETCH)
            )
            self._chosen.append(self._choose_thumbnails(px, tile + GAP, rank))

        self._chart = AccuracyChart(
            Rect(L.sidebar.x0, L.sidebar.y1 - round(210 * s), L.sidebar.x1, L.sidebar.y1),
            d.epochs,
            d.metrics,
            s,
        )
        self._bg = self._paint_background()
        self._chart.prepare(self._bg)
        self._header = lru_cache(maxsize=4)(self._make_header)
        self._cards = lru_cache(maxsize=2)(self._make_card)

    # -- public -----------------------------------------------------------------------------
    @property
    def n_frames(self) -> int:
        """Frames of the whole video: opening card, timeline, closing card."""
        cards = sum(bool(c) for c in (self._d.opening, self._d.closing)) * self.style.card_frames
        return cards + len(self.frame_times())

    def card(self, which: str) -> np.ndarray | None:
        """The ``"opening"`` or ``"closing"`` card as a frame, or ``None`` without its text."""
        if which not in ("opening", "closing"):
            raise UserInputError(f"a card is 'opening' or 'closing', got {which!r}")
        return self._cards(which)

    def frame_times(self) -> list[float]:
        """The time ``t`` of every video frame: ``hold_frames`` on each epoch, tweens between."""
        st = self.style
        times: list[float] = []
        for e in range(self.n_epochs):
            times += [float(e)] * st.hold_frames
            if e < self.n_epochs - 1:
                times += [e + k / (st.tween_frames + 1) for k in range(1, st.tween_frames + 1)]
        return times

    def frames(self) -> Iterator[np.ndarray]:
        """The opening card, ``render(t)`` for each ``t`` of ``frame_times()``, the closing card."""
        opening, closing = self.card("opening"), self.card("closing")
        if opening is not None:
            for _ in range(self.style.card_frames):
                yield opening
        for t in self.frame_times():
            yield self.render(t)
        if closing is not None:
            for _ in range(self.style.card_frames):
                yield closing

    def render(self, t: float) -> np.ndarray:
        """The frame at time ``t`` in epoch steps (``0`` is the first epoch, ``E - 1`` the last).

        Between two epochs points glide with an eased motion; colours, marks and thumbnails
        switch at the midpoint.

        Returns:
            uint8 ``[height, width, 3]`` RGB.
        """
        a, b, w, key = self._split(t)
        canvas = self._bg.copy()
        L = self._layout
        canvas[L.subtitle.y0 : L.subtitle.y1, L.subtitle.x0 : L.subtitle.x1] = self._header(key)[0]
        canvas[L.epoch.y0 : L.epoch.y1, L.epoch.x0 : L.epoch.x1] = self._header(key)[1]
        pr = L.progress
        done = int(round(pr.w * (t / (self.n_epochs - 1) if self.n_epochs > 1 else 1.0)))
        canvas[pr.y0 : pr.y1, pr.x0 : pr.x0 + done] = (70, 70, 70)
        for i in range(len(self._px)):
            self._draw_panel(canvas, i, a, b, w, key)
        self._chart.draw(canvas, float(t) if self.n_epochs > 1 else 0.0, key)
        return canvas

    def pixel_positions(self, t: float, panel: int = 0) -> np.ndarray:
        """``[N, 2]`` integer pixel ``(x, y)`` of every probe point of ``panel`` at time ``t``."""
        a, b, w, _ = self._split(t)
        px = self._px[panel]
        return np.asarray(np.rint(px[a] * (1 - w) + px[b] * w), np.int64)

    def thumbnail_indices(self, t: float, panel: int = 0) -> np.ndarray:
        """Indices of the probe points drawn as thumbnails in ``panel`` at time ``t``."""
        return self._chosen[panel][self._split(t)[3]]

    # -- per frame --------------------------------------------------------------------------
    def _split(self, t: float) -> tuple[int, int, float, int]:
        try:
            t = float(t)
        except (TypeError, ValueError) as exc:
            raise UserInputError(f"t must be a number, got {t!r}") from exc
        last = self.n_epochs - 1
        if not (-1e-9 <= t <= last + 1e-9):
            raise UserInputError(f"t must lie between 0 and {last} (epoch steps), got {t}")
        t = min(max(t, 0.0), float(last))
        a = min(int(np.floor(t)), last)
        b = min(a + 1, last)
        u = t - a
        return a, b, float(ease(u)), (a if u < 0.5 else b)

    def _draw_panel(self, canvas: np.ndarray, i: int, a: int, b: int, w: float, key: int) -> None:
        tpx = self._train_px[i]
        if tpx is not None:
            tp = np.rint(tpx[a] * (1 - w) + tpx[b] * w).astype(np.int64)
            splat(canvas, tp[:, 0], tp[:, 1], self._train_dot, self._d.train_labels)
        px = self._px[i]
        p = np.rint(px[a] * (1 - w) + px[b] * w).astype(np.int64)
        cls, wrong = self._cls[key], self._wrong[key]
        chosen = self._chosen[i][key]
        as_point = np.ones(len(p), bool)
        as_point[chosen] = False
        sel = as_point & ~wrong
        splat(canvas, p[sel, 0], p[sel, 1], self._point, cls[sel])
        sel = as_point & wrong  # on top, so that a mistake is never hidden under a right answer
        splat(canvas, p[sel, 0], p[sel, 1], self._open, cls[sel])
        if self._thumbs is None or not len(chosen):
            return
        plot = self._layout.panels[i].plot
        for j in chosen.tolist():
            tile = self._thumbs.tile(j, int(cls[j]), bool(wrong[j]))
            n = tile.shape[0]
            x0 = min(max(int(p[j, 0]) - n // 2, plot.x0), plot.x1 - n)
            y0 = min(max(int(p[j, 1]) - n // 2, plot.y0), plot.y1 - n)
            canvas[y0 : y0 + n, x0 : x0 + n] = tile

    def _make_header(self, key: int) -> tuple[np.ndarray, np.ndarray]:
        """Subtitle strip and epoch label of epoch ``key`` (cached: text is drawn once)."""
        L, s, d = self._layout, self._layout.scale, self._d
        sub = Image.fromarray(
            self._bg[L.subtitle.y0 : L.subtitle.y1, L.subtitle.x0 : L.subtitle.x1]
        )
        dr = ImageDraw.Draw(sub)
        f, lh, top = font(18 * s), 0, round(4 * s)
        lines = [d.subtitles[key]]
        if dr.textlength(lines[0], font=f) > L.subtitle.w:  # too long: two smaller lines
            f, lh, top = font(15 * s), round(17 * s), 0
            lines = wrap(dr, lines[0], f, L.subtitle.w, max_lines=2)
        for k, line in enumerate(lines):
            dr.text((0, top + k * lh), line, font=f, fill=(55, 55, 55))
        ep = Image.fromarray(self._bg[L.epoch.y0 : L.epoch.y1, L.epoch.x0 : L.epoch.x1])
        de = ImageDraw.Draw(ep)
        de.text(
            (L.epoch.w, round(4 * s)),
            f"Epoch {_num(d.epochs[key])}",
            font=font(30 * s, True),
            fill=INK,
            anchor="ra",
        )
        de.text(
            (L.epoch.w, round(44 * s)),
            f"snapshot {key + 1} of {self.n_epochs}",
            font=font(14 * s),
            fill=MUTED,
            anchor="ra",
        )
        return np.asarray(sub), np.asarray(ep)

    # -- once -------------------------------------------------------------------------------
    def _choose_thumbnails(
        self, px: np.ndarray, spacing: int, rank: np.ndarray
    ) -> list[np.ndarray]:
        """Per epoch, the points drawn as thumbnails; last epoch's choice keeps priority."""
        if self._thumbs is None:
            return [np.zeros(0, np.int64)] * self.n_epochs
        out: list[np.ndarray] = []
        prev = np.zeros(0, np.int64)
        for e in range(self.n_epochs):
            rest = rank[~np.isin(rank, prev)]
            prev = place_thumbnails(
                px[e], spacing, self.style.max_thumbnails, np.concatenate([prev, rest])
            )
            out.append(prev)
        return out

    def _paint_background(self) -> np.ndarray:
        L, s, d = self._layout, self._layout.scale, self._d
        img = Image.new("RGB", (self.style.width, self.style.height), WHITE)
        dr = ImageDraw.Draw(img)
        ft = font(26 * s, True)
        dr.text((L.title.x0, L.title.y0), ellipsize(dr, d.title, ft, L.title.w), font=ft, fill=INK)
        dr.rectangle(L.progress.box(), fill=(228, 228, 228))
        fp = font(15 * s, True)
        for slot, title in zip(L.panels, d.titles, strict=True):
            dr.text(
                (slot.title.x0, slot.title.y1 - round(6 * s)),
                ellipsize(dr, title, fp, slot.title.w),
                font=fp,
                fill=INK,
                anchor="ld",
            )
            dr.rectangle(
                (slot.plot.x0, slot.plot.y0, slot.plot.x1 - 1, slot.plot.y1 - 1),
                fill=PANEL_FILL,
                outline=PANEL_BORDER,
            )
            if slot.train_plot is not None and slot.train_title is not None:
                dr.text(
                    (slot.train_title.x0, slot.train_title.y1 - round(6 * s)),
                    ellipsize(
                        dr, "training images, same map", font(13 * s, True), slot.train_title.w
                    ),
                    font=font(13 * s, True),
                    fill=MUTED,
                    anchor="ld",
                )
                tp = slot.train_plot
                dr.rectangle(
                    (tp.x0, tp.y0, tp.x1 - 1, tp.y1 - 1), fill=PANEL_FILL, outline=PANEL_BORDER
                )
        caption = "Each dot is one image. Images that the network sees as alike sit close together."
        fc = font(14 * s)
        dr.text(
            (L.footer.x0, L.footer.y1),
            ellipsize(dr, caption, fc, L.footer.w),
            font=fc,
            fill=MUTED,
            anchor="ld",
        )
        self._chart.paint_static(dr)
        bg = np.array(img)
        self._paint_legend(img, bg)
        return bg

    def _paint_legend(self, img: Image.Image, bg: np.ndarray) -> None:
        """Class names with their colours, then what the marks mean, in the sidebar."""
        L, s, d = self._layout, self._layout.scale, self._d
        box = Rect(L.sidebar.x0, L.sidebar.y0, L.sidebar.x1, self._chart.rect.y0 - round(14 * s))
        dr = ImageDraw.Draw(img)
        head = (
            "Colour = the network's guess"
            if self.style.color_by == "predicted"
            else "Colour = what the picture shows"
        )
        fh = font(15 * s, True)
        dr.text((box.x0, box.y0), head, font=fh, fill=INK)
        y = box.y0 + round(24 * s)
        fn = font(13 * s)
        line_h, note_gap = round(17 * s), round(6 * s)
        notes = [(k, wrap(dr, t, fn, box.w - round(30 * s), max_lines=2)) for k, t in self._notes()]
        note_h = sum(len(lines) * line_h + note_gap for _, lines in notes) + round(12 * s)
        rows_space = box.y1 - y - note_h
        names = d.class_names
        # the classes the probe set holds (1,000 ImageNet classes, a few dozen pictures)
        kinds = present_classes(d.labels, d.train_labels, len(names))
        C = len(kinds)
        ncols, row_h, shown = 1, round(21 * s), C
        for nc in (1, 2, 3):
            rows = -(-C // nc)
            ncols, row_h = nc, min(round(21 * s), rows_space // max(rows, 1))
            if row_h >= round(15 * s):
                break
        rows = -(-C // ncols)
        if row_h < round(13 * s):  # too many classes: list what fits, then say how many more
            row_h = round(13 * s)
            rows = max(rows_space // row_h, 1)
            shown = rows * ncols - 1
        col_w = box.w // ncols
        fsize = min(14 * s, row_h * 0.72)
        f = font(fsize)
        sw = max(int(round(row_h * 0.28)), 2)
        centers: list[tuple[int, int, int]] = []
        for k in range(min(shown, C)):
            cx = box.x0 + (k // rows) * col_w + sw + 1
            cy = y + (k % rows) * row_h + row_h // 2
            centers.append((cx, cy, kinds[k]))
            label = ellipsize(dr, names[kinds[k]], f, col_w - 2 * sw - round(10 * s))
            dr.text((cx + sw + round(7 * s), cy), label, font=f, fill=INK, anchor="lm")
        if shown < C:
            k = shown
            cx = box.x0 + (k // rows) * col_w
            cy = y + (k % rows) * row_h + row_h // 2
            dr.text((cx, cy), f"… and {C - shown} more", font=f, fill=MUTED, anchor="lm")
        y += min(rows, -(-C // ncols)) * row_h + round(12 * s)
        marks: list[tuple[str, int, int]] = []
        for kind, lines in notes:
            for li, line in enumerate(lines):
                dr.text((box.x0 + round(26 * s), y + li * line_h), line, font=fn, fill=(50, 50, 50))
            marks.append((kind, box.x0 + round(10 * s), y + line_h // 2))
            y += len(lines) * line_h + note_gap
        arr = np.asarray(img)
        bg[:] = arr
        # glyphs in exactly the sprites used for the data
        swatch = disc_sprite(sw, self.colors)
        for cx, cy, k in centers:
            splat(bg, np.array([cx]), np.array([cy]), swatch, np.array([k]))
        for kind, gx, gy in marks:
            X, Y = np.array([gx]), np.array([gy])
            if kind == "right":
                splat(bg, X, Y, self._point, np.array([0]))
            elif kind == "wrong":
                splat(bg, X, Y, self._open, np.array([0]))
            elif kind == "thumb":
                q = round(7 * s)
                bg[gy - q : gy + q, gx - q : gx + q] = self.colors[0]
                bg[gy - q + 3 : gy + q - 3, gx - q + 3 : gx + q - 3] = WHITE
            else:
                for dx, dy in ((-4, -2), (2, -4), (0, 3), (5, 2), (-3, 4)):
                    splat(bg, X + dx, Y + dy, self._train_dot, np.array([0]))

    def _notes(self) -> list[tuple[str, str]]:
        notes = [
            ("right", "filled dot = the network is right"),
            ("wrong", "open circle = the network is wrong"),
        ]
        if self._thumbs is not None:
            notes.append(
                ("thumb", "pictures: some images themselves, framed in their dot's colour")
            )
        if self._show_train:
            notes.append(("train", "small dots below: the images it trained on"))
        return notes

    def _make_card(self, which: str) -> np.ndarray | None:
        d, st = self._d, self.style
        lines = d.opening if which == "opening" else d.closing
        if not lines:
            return None
        title = d.title if which == "opening" else "What the network learned"
        c = self.colors[0]
        key = (int(c[0]), int(c[1]), int(c[2])) if which == "opening" else None
        foot = "" if which == "closing" else f"{self.n_epochs} snapshots follow, one per epoch."
        return draw_card(st.width, st.height, title, lines, key_color=key, footer=foot)
