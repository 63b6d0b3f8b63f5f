"""Frames per second of convlens.render against a matplotlib baseline, on one CPU core.

    python bench/bench_render.py [--frames 150] [--mpl-frames 20] [--save-frame PATH]

Both draw the same 1280x720 frame: 2,000 probe points in 10 classes coloured by prediction,
red rings on mistakes, 200 thumbnails (20 px, so that 200 fit without overlap) tinted in their
class colour, title, subtitle, legend and an accuracy chart, over 10 epochs with tweened frames
in between. Both reuse their static parts
(matplotlib updates its artists in place rather than rebuilding the figure).
"""

from __future__ import annotations

import argparse
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("CONVLENS_QUIET", "1")

import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from convlens.render import (  # noqa: E402
    FrameRenderer,
    FrameStyle,
    PanelData,
    VideoData,
    class_colors,
    encode_png,
    write_mp4,
)

E, N, C, THUMBS, THUMB_PX = 10, 2000, 10, 200, 20
NAMES = [
    "T-shirt",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]


def make_data(seed: int = 0) -> VideoData:
    """Ten clusters that form over ten epochs; accuracy rises from 40% to 93%."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, C, N)
    centers = rng.uniform(-10, 10, (C, 2)) * np.array([1.7, 1.0])
    start = rng.uniform(-12, 12, (N, 2)) * np.array([1.7, 1.0])
    end = centers[labels] + rng.normal(0, 3.0, (N, 2))
    f = (np.arange(E) / (E - 1))[:, None, None]
    xy = start * (1 - f) + end * f
    acc = np.linspace(0.4, 0.93, E)
    predicted = np.stack([np.where(rng.random(N) < a, labels, rng.integers(0, C, N)) for a in acc])
    yy, xx = np.mgrid[:28, :28]
    radius = 4 + labels % 6
    thumbs = (np.abs(np.hypot(yy - 14, xx - 14)[None] - radius[:, None, None]) < 1.8) * 255
    return VideoData(
        class_names=NAMES,
        labels=labels,
        predicted=predicted,
        panels=[PanelData(title="fc1 · 50 features", xy=xy)],
        epochs=np.arange(1, E + 1),
        metrics={"train accuracy": np.minimum(acc + 0.04, 1), "test accuracy": acc},
        title="How a CNN learns to tell 10 kinds of clothes apart",
        subtitles=[
            f"After epoch {e + 1} the network gets {a:.0%} of the test images right."
            for e, a in enumerate(acc)
        ],
        thumbnails=thumbs.astype(np.uint8),
    )


class MatplotlibBaseline:
    """The same picture drawn with matplotlib (Agg), artists created once and updated."""

    def __init__(self, data: VideoData, style: FrameStyle, renderer: FrameRenderer) -> None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.lines import Line2D

        self.d, self.r = data, renderer
        self.colors = class_colors(C) / 255.0
        self.fig = plt.figure(figsize=(style.width / 100, style.height / 100), dpi=100)
        self.ax = self.fig.add_axes((0.02, 0.05, 0.72, 0.78))
        xy = data.panels[0].xy
        lo, hi = np.quantile(xy.reshape(-1, 2), [0.005, 0.995], axis=0)
        self.ax.set_xlim(lo[0], hi[0])
        self.ax.set_ylim(lo[1], hi[1])
        self.ax.set_xticks([])
        self.ax.set_yticks([])
        self.title = self.fig.text(0.015, 0.955, data.title, fontsize=19, weight="bold")
        self.sub = self.fig.text(0.015, 0.905, "", fontsize=13)
        self.epoch = self.fig.text(0.985, 0.95, "", fontsize=22, weight="bold", ha="right")
        self.pts = self.ax.scatter(xy[0, :, 0], xy[0, :, 1], s=30, linewidths=0.6)
        self.rings = self.ax.scatter(
            [], [], s=110, facecolors="none", edgecolors="#e4001c", linewidths=1.5
        )
        handles = [
            Line2D([], [], marker="o", ls="", color=c, label=n)
            for c, n in zip(self.colors, NAMES, strict=True)
        ]
        handles.append(
            Line2D(
                [],
                [],
                marker="o",
                ls="",
                mfc="none",
                mec="#e4001c",
                label="red ring = the network got this one wrong",
            )
        )
        self.fig.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(0.76, 0.84),
            frameon=False,
            fontsize=10,
        )
        self.chart = self.fig.add_axes((0.79, 0.07, 0.19, 0.22))
        self.chart.set_ylim(0, 1)
        self.chart.set_xlim(1, E)
        self.lines = [self.chart.plot([], [], label=k)[0] for k in data.metrics]
        self.vline = self.chart.axvline(1, color="grey", lw=0.8)
        self.chart.legend(fontsize=8, frameon=False)
        self.ink = data.thumbnails.astype(np.float32)[..., None] / 255.0
        self.images = [
            self.ax.imshow(
                np.ones((28, 28, 3)), extent=(0, 1, 0, 1), zorder=3, interpolation="bilinear"
            )
            for _ in range(THUMBS)
        ]
        self.ax.set_xlim(lo[0], hi[0])
        self.ax.set_ylim(lo[1], hi[1])
        self.half = (hi - lo) * np.array([THUMB_PX / 2 / 670, THUMB_PX / 2 / 560])

    def render(self, t: float) -> np.ndarray:
        from convlens.render._raster import ease

        d = self.d
        a = int(np.floor(t))
        b = min(a + 1, E - 1)
        w = float(ease(t - a))
        key = a if t - a < 0.5 else b
        xy = d.panels[0].xy[a] * (1 - w) + d.panels[0].xy[b] * w
        cls = d.predicted[key]
        wrong = cls != d.labels
        chosen = self.r.thumbnail_indices(t)
        self.pts.set_offsets(xy)
        self.pts.set_facecolors(self.colors[cls])
        self.pts.set_edgecolors(self.colors[cls] * 0.62)
        self.rings.set_offsets(xy[wrong])
        for im, j in zip(self.images, list(chosen) + [None] * THUMBS, strict=False):
            if j is None:
                im.set_visible(False)
                continue
            im.set_visible(True)
            im.set_data(1 - self.ink[j] * (1 - self.colors[cls[j]]))
            x, y = xy[j]
            im.set_extent((x - self.half[0], x + self.half[0], y - self.half[1], y + self.half[1]))
        self.sub.set_text(d.subtitles[key])
        self.epoch.set_text(f"Epoch {d.epochs[key]}")
        ep = np.arange(1, E + 1)
        upto = min(a + 2, E)
        for line, vals in zip(self.lines, d.metrics.values(), strict=True):
            line.set_data(ep[:upto], np.asarray(vals)[:upto])
        self.vline.set_xdata([1 + t, 1 + t])
        self.fig.canvas.draw()
        return np.asarray(self.fig.canvas.buffer_rgba())[..., :3].copy()


def fps(render, times) -> float:
    render(times[0])  # warm caches
    t0 = time.perf_counter()
    for t in times:
        render(t)
    return len(times) / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=150, help="convlens frames to time")
    ap.add_argument("--mpl-frames", type=int, default=20, help="matplotlib frames to time")
    ap.add_argument("--save-frame", type=Path, default=None, help="write the last frame here")
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"

    data = make_data()
    style = FrameStyle(max_thumbnails=THUMBS, thumbnail_size=THUMB_PX)
    t0 = time.perf_counter()
    renderer = FrameRenderer(data, style)
    init_s = time.perf_counter() - t0
    times = renderer.frame_times()
    pick = np.linspace(0, len(times) - 1, min(args.frames, len(times))).round().astype(int)
    sample = [times[i] for i in pick]
    shown = np.mean([len(renderer.thumbnail_indices(t)) for t in sample])
    ours = fps(renderer.render, sample)

    base = MatplotlibBaseline(data, style, renderer)
    mpl_pick = np.linspace(0, len(times) - 1, args.mpl_frames).round().astype(int)
    theirs = fps(base.render, [times[i] for i in mpl_pick])

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        out = write_mp4(renderer.frames(), Path(tmp) / "video.mp4", fps=style.fps, total=len(times))
        video_s = time.perf_counter() - t0
        size_mb = out.stat().st_size / 1e6

    print(
        f"cores used: {cores}; frame {style.width}x{style.height}, {N} points, "
        f"{shown:.0f} thumbnails of {THUMB_PX} px on screen (max {THUMBS}), {E} epochs, "
        f"{len(times)} frames; load average {os.getloadavg()[0]:.1f}"
    )
    print(f"renderer set-up: {init_s:.2f} s (background, legend, thumbnail placement)")
    print(f"convlens.render: {ours:7.1f} frames/s  ({len(sample)} frames)")
    print(f"matplotlib Agg : {theirs:7.1f} frames/s  ({len(mpl_pick)} frames)")
    print(f"ratio          : {ours / theirs:7.1f}x")
    print(
        f"render + H.264 MP4 end to end: {len(times) / video_s:.1f} frames/s "
        f"({len(times)} frames in {video_s:.1f} s, {size_mb:.1f} MB)"
    )
    if args.save_frame is not None:
        args.save_frame.parent.mkdir(parents=True, exist_ok=True)
        args.save_frame.write_bytes(encode_png(renderer.render(E - 1)))
        print(f"last frame: {args.save_frame}")


if __name__ == "__main__":
    main()
