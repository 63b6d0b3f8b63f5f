"""convlens.render: frames, palette, thumbnail placement, MP4/GIF/PNG output."""

from __future__ import annotations

import io
import subprocess
import sys
from dataclasses import replace

import av
import numpy as np
import pytest
from PIL import Image

import convlens.render as render
from convlens.core import UserInputError
from convlens.render import (
    FrameRenderer,
    FrameStyle,
    PanelData,
    VideoData,
    class_colors,
    encode_png,
    write_gif,
    write_mp4,
)
from convlens.render._colorscience import min_pair_distance
from convlens.render._palette import relative_luminance
from convlens.render._raster import place_thumbnails

NAMES = ["zero", "one", "two", "three"]


def make_data(E=3, N=40, C=4, seed=0, panels=1, M=0, thumbnails=True) -> VideoData:
    """Clusters that separate over the epochs; accuracy rises."""
    rng = np.random.default_rng(seed)
    labels = np.arange(N) % C
    centers = np.stack([np.cos(np.arange(C)), np.sin(np.arange(C))], 1) * 5
    start = rng.normal(0, 2, (N, 2))
    end = centers[labels] + rng.normal(0, 0.5, (N, 2))
    f = np.linspace(0, 1, E)[:, None, None]
    xy = start * (1 - f) + end * f
    tl = np.arange(M) % C
    txy = None
    if M:
        txy = rng.normal(0, 2, (M, 2)) * (1 - f) + (centers[tl] + rng.normal(0, 0.5, (M, 2))) * f
    predicted = np.stack(
        [np.where(rng.random(N) < 0.5 + 0.5 * k / max(E - 1, 1), labels, 0) for k in range(E)]
    )
    thumbs = None
    if thumbnails:
        yy, xx = np.mgrid[:20, :20]
        thumbs = ((np.abs(np.hypot(yy - 10, xx - 10) - 6) < 1.5) * 255).astype(np.uint8)
        thumbs = np.repeat(thumbs[None], N, 0)
    return VideoData(
        class_names=NAMES[:C],
        labels=labels,
        predicted=predicted,
        panels=[PanelData(title=f"layer {i}", xy=xy, train_xy=txy) for i in range(panels)],
        epochs=np.arange(1, E + 1),
        metrics={
            "train accuracy": np.linspace(0.5, 1, E),
            "test accuracy": np.linspace(0.4, 0.9, E),
        },
        title="How a CNN learns to tell four shapes apart",
        subtitles=[f"After epoch {e + 1} the network is right more often." for e in range(E)],
        thumbnails=thumbs,
        train_labels=tl if M else None,
    )


def two_points(pred: tuple[int, int], labels=(1, 2), E=2) -> VideoData:
    """Two far-apart probe points (plus two anchors that fix the view), no thumbnails."""
    xy = np.array([[-1.0, 0.0], [1.0, 0.0], [-3.0, -3.0], [3.0, 3.0]])
    xy = np.repeat(xy[None], E, 0)
    xy[-1, :2] += 0.4  # the probe points move in the last epoch
    labels = np.array([*labels, 0, 0])
    predicted = np.repeat(np.array([[*pred, 0, 0]]), E, 0)
    return VideoData(
        class_names=NAMES,
        labels=labels,
        predicted=predicted,
        panels=[PanelData(title="fc1", xy=xy)],
        epochs=np.arange(1, E + 1),
        metrics={"test accuracy": np.full(E, 0.5)},
        title="t",
        subtitles=["s"] * E,
    )


NO_THUMBS = FrameStyle(thumbnails=False)


def near(frame: np.ndarray, x: int, y: int, r: int) -> np.ndarray:
    return frame[y - r : y + r + 1, x - r : x + r + 1].reshape(-1, 3)


def is_color(px: np.ndarray, color: np.ndarray, tol: int = 12) -> np.ndarray:
    return np.abs(px.astype(int) - np.asarray(color, int)).max(axis=1) <= tol


@pytest.fixture(scope="module")
def small_renderer() -> FrameRenderer:
    return FrameRenderer(make_data(), FrameStyle(tween_frames=2, hold_frames=2))


# -- surface and frames ----------------------------------------------------------------------
def test_public_surface():
    assert set(render.__all__) == {
        "COLOR_BY",
        "Curve",
        "FrameRenderer",
        "FrameStyle",
        "GraphDrawing",
        "GraphStyle",
        "PanelData",
        "VideoData",
        "class_colors",
        "curve_chart",
        "curve_grid",
        "draw_graph",
        "encode_png",
        "graph_ink",
        "graph_panels",
        "mix_class_colors",
        "write_gif",
        "write_mp4",
    }


def test_render_never_imports_torch():
    code = "import sys, convlens.render; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_frame_shape_and_dtype(small_renderer):
    frame = small_renderer.render(0.0)
    assert frame.shape == (720, 1280, 3) and frame.dtype == np.uint8
    assert small_renderer.render(1.37).shape == (720, 1280, 3)


def test_frame_times_hold_then_tween(small_renderer):
    times = small_renderer.frame_times()
    assert len(times) == 3 * 2 + 2 * 2
    assert times == sorted(times) and times[0] == 0.0 and times[-1] == 2.0
    frames = list(small_renderer.frames())
    assert len(frames) == len(times) == small_renderer.n_frames  # no card text: no cards


def test_default_pace_is_readable_and_cards_open_and_close_the_video():
    data = replace(make_data(E=10), opening=["Each dot is one picture."], closing=["It learned."])
    r = FrameRenderer(data)
    st = r.style
    assert st.hold_frames / st.fps == 3.0 and st.tween_frames / st.fps == 1.0
    assert r.n_frames / st.fps >= 30 + 9  # 10 epochs: 3 s each and 1 s between them, plus cards
    frames = r.frames()
    first = next(frames)
    assert np.array_equal(first, r.card("opening"))
    assert r.card("closing") is not None and not np.array_equal(first, r.card("closing"))
    assert r.card("opening").shape == (720, 1280, 3)
    with pytest.raises(UserInputError):
        r.card("middle")


@pytest.mark.parametrize("color_by, expected", [("predicted", (3, 2)), ("true", (1, 2))])
def test_point_takes_its_class_colour(color_by, expected):
    r = FrameRenderer(two_points(pred=(3, 2)), replace(NO_THUMBS, color_by=color_by))
    frame = r.render(0)
    colors = class_colors(4)
    (x0, y0), (x1, y1) = r.pixel_positions(0)[:2]
    assert is_color(near(frame, x0, y0, 5), colors[expected[0]]).sum() >= 12  # wrong: open
    assert tuple(frame[y1, x1]) == tuple(colors[expected[1]])  # right: filled


def test_mistake_is_an_open_circle_of_the_true_colour_and_a_right_answer_is_filled():
    r = FrameRenderer(two_points(pred=(3, 2)), NO_THUMBS)  # point 0 wrong, point 1 right
    assert r.style.color_by == "true"
    frame = r.render(0)
    colors = class_colors(4)
    (x0, y0), (x1, y1) = r.pixel_positions(0)[:2]
    # wrong: its true class's colour (1) on a ring, the panel's background in the middle
    assert tuple(frame[y0, x0]) == (251, 251, 251)
    assert is_color(near(frame, x0, y0, 5), colors[1]).sum() >= 12
    assert not is_color(near(frame, x0, y0, 5), colors[3], tol=30).any()  # not its guess's
    # right: filled
    assert tuple(frame[y1, x1]) == tuple(colors[2])
    assert is_color(near(frame, x1, y1, 1), colors[2]).all()


def test_tween_puts_points_between_epochs():
    r = FrameRenderer(two_points(pred=(1, 2)), NO_THUMBS)
    p0, p1, pm = r.pixel_positions(0), r.pixel_positions(1), r.pixel_positions(0.5)
    assert not np.array_equal(p0[:2], p1[:2])
    assert np.abs(pm - (p0 + p1) / 2).max() <= 1
    x, y = pm[0]
    assert tuple(r.render(0.5)[y, x]) == tuple(class_colors(4)[1])
    q = r.pixel_positions(0.1)[0, 0] - p0[0, 0]  # eased: slow start
    assert 0 <= abs(q) < 0.1 * abs(p1[0, 0] - p0[0, 0])


def test_view_is_fixed_over_epochs():
    r = FrameRenderer(two_points(pred=(1, 2)), NO_THUMBS)
    assert np.array_equal(r.pixel_positions(0)[2:], r.pixel_positions(1)[2:])


# -- thumbnails ------------------------------------------------------------------------------
def test_thumbnail_placement_never_overlaps():
    rng = np.random.default_rng(1)
    xy = rng.uniform(0, 300, (2000, 2))
    size = 30
    kept = place_thumbnails(xy, size, max_count=10_000, order=rng.permutation(2000))
    assert 20 < len(kept) <= (300 // size + 1) ** 2 and len(set(kept.tolist())) == len(kept)
    d = np.abs(xy[kept][:, None] - xy[kept][None]).max(axis=2)
    np.fill_diagonal(d, np.inf)
    assert d.min() >= size
    # greedy is maximal: every other point would overlap a kept one
    rest = np.setdiff1d(np.arange(2000), kept)
    assert (np.abs(xy[rest][:, None] - xy[kept][None]).max(axis=2) < size).any(axis=1).all()
    assert len(place_thumbnails(xy, size, max_count=7)) == 7
    assert len(place_thumbnails(xy, size, max_count=0)) == 0


def test_renderer_thumbnails_respect_max_and_do_not_overlap():
    data = make_data(N=300)
    style = FrameStyle(max_thumbnails=25, thumbnail_size=24)
    r = FrameRenderer(data, style)
    for e in range(3):
        idx = r.thumbnail_indices(e)
        assert 0 < len(idx) <= 25
        p = r.pixel_positions(e)[idx]
        d = np.abs(p[:, None] - p[None]).max(axis=2)
        np.fill_diagonal(d, 10**6)
        assert d.min() >= 24 + 4  # tile plus a possible dark frame never touches another


# -- palette ---------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [1, 2, 5, 8, 10, 16, 30, 70])
def test_palette_distinct_and_dark_enough(n):
    c = class_colors(n)
    assert c.shape == (n, 3) and c.dtype == np.uint8
    assert len({tuple(x) for x in c}) == n
    assert relative_luminance(c).max() < 0.6  # never near white on white
    assert np.array_equal(c, class_colors(max(n, 12))[:n])  # a class keeps its colour
    if n > 1:
        assert min_pair_distance(c) > (15 if n <= 10 else 4)


def test_palette_rejects_bad_n():
    with pytest.raises(ValueError):
        class_colors(0)


# -- files -----------------------------------------------------------------------------------
def test_mp4_is_h264_with_every_frame(tmp_path, small_renderer):
    out = write_mp4(small_renderer.frames(), tmp_path / "video.mp4", fps=30, total=10)
    with av.open(str(out)) as box:
        s = box.streams.video[0]
        assert s.codec_context.name == "h264"
        assert (s.codec_context.width, s.codec_context.height) == (1280, 720)
        assert s.codec_context.pix_fmt == "yuv420p"
        frames = list(box.decode(video=0))
    assert len(frames) == 10
    assert [p.name for p in tmp_path.iterdir()] == ["video.mp4"]


def test_gif_has_every_frame_and_can_drop_to_its_rate(tmp_path):
    frames = [np.full((180, 320, 3), 20 * i, np.uint8) for i in range(6)]
    out = write_gif(frames, tmp_path / "a.gif", fps=10)
    with Image.open(out) as im:
        assert im.n_frames == 6 and im.size == (320, 180)
    big = [np.full((720, 1280, 3), 30 * i, np.uint8) for i in range(6)]
    out = write_gif(big, tmp_path / "b.gif", fps=15, source_fps=30)
    with Image.open(out) as im:
        assert im.n_frames == 3 and im.size == (640, 360)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.gif", "b.gif"]


def test_failed_write_leaves_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "video.mp4"
    target.write_bytes(b"old")

    def broken():
        yield np.zeros((180, 320, 3), np.uint8)
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        write_mp4(broken(), target)
    with pytest.raises(RuntimeError):
        write_gif(broken(), tmp_path / "video.gif")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["video.mp4"]


def test_empty_or_odd_frames_are_refused(tmp_path):
    with pytest.raises(UserInputError):
        write_mp4([], tmp_path / "v.mp4")
    with pytest.raises(UserInputError):
        write_mp4([np.zeros((181, 320, 3), np.uint8)], tmp_path / "v.mp4")
    with pytest.raises(UserInputError):
        write_gif([np.zeros((8, 8), np.uint8)], tmp_path / "v.gif")
    assert list(tmp_path.iterdir()) == []


def test_png_round_trip(small_renderer):
    frame = small_renderer.render(2)
    data = encode_png(frame)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(data))), frame)


# -- other layouts ---------------------------------------------------------------------------
def test_four_panels_with_training_dots():
    data = make_data(N=60, panels=4, M=200)
    r = FrameRenderer(data, FrameStyle(show_train=True, width=960, height=540))
    frame = r.render(1.5)
    assert frame.shape == (540, 960, 3)
    tp = r._layout.panels[0].train_plot
    region = frame[tp.y0 + 2 : tp.y1 - 2, tp.x0 + 2 : tp.x1 - 2].reshape(-1, 3)
    assert (np.abs(region.astype(int) - 251).max(axis=1) > 40).sum() > 100  # dots drawn


def test_many_classes_small_frame_and_single_epoch():
    C = 40
    base = make_data(E=1, N=80, C=4)
    data = replace(
        base,
        class_names=[f"class {i}" for i in range(C)],
        labels=np.arange(80) % C,
        predicted=(np.arange(80) % C)[None],
    )
    frame = FrameRenderer(data, FrameStyle(width=640, height=360)).render(0)
    assert frame.shape == (360, 640, 3)
    r = FrameRenderer(data)
    assert r.frame_times() == [0.0] * r.style.hold_frames


def test_sample_frame_png(tmp_path):
    """Write one frame to look at (tests keep it under pytest's tmp folder)."""
    r = FrameRenderer(make_data(N=400, panels=2), FrameStyle(max_thumbnails=60))
    path = tmp_path / "sample.png"
    path.write_bytes(encode_png(r.render(1.5)))
    assert Image.open(path).size == (1280, 720)


# -- bad input -------------------------------------------------------------------------------
BAD = {
    "xy wrong epochs": lambda d: replace(d, panels=[PanelData("a", d.panels[0].xy[:2])]),
    "xy wrong N": lambda d: replace(d, panels=[PanelData("a", d.panels[0].xy[:, :5])]),
    "xy not 2-D": lambda d: replace(d, panels=[PanelData("a", d.panels[0].xy[..., :1])]),
    "xy NaN": lambda d: replace(d, panels=[PanelData("a", d.panels[0].xy * np.nan)]),
    "no panels": lambda d: replace(d, panels=[]),
    "five panels": lambda d: replace(d, panels=list(d.panels) * 5),
    "predicted shape": lambda d: replace(d, predicted=d.predicted[:, :3]),
    "label out of range": lambda d: replace(d, labels=d.labels + 10),
    "float labels": lambda d: replace(d, labels=d.labels.astype(float)),
    "metric in percent": lambda d: replace(d, metrics={"acc": np.full(3, 90.0)}),
    "metric length": lambda d: replace(d, metrics={"acc": np.ones(2)}),
    "subtitles": lambda d: replace(d, subtitles=["x"]),
    "thumb dtype": lambda d: replace(d, thumbnails=d.thumbnails.astype(np.float32)),
    "thumb count": lambda d: replace(d, thumbnails=d.thumbnails[:3]),
    "no classes": lambda d: replace(d, class_names=[]),
    "train labels w/o train": lambda d: replace(d, train_labels=np.zeros(5, int)),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_data_raises_user_input_error(case):
    with pytest.raises(UserInputError):
        FrameRenderer(BAD[case](make_data(thumbnails=True)), NO_THUMBS)


@pytest.mark.parametrize(
    "style",
    [
        FrameStyle(width=1281),
        FrameStyle(height=719),
        FrameStyle(color_by="rainbow"),
        FrameStyle(hold_frames=0),
        FrameStyle(point_radius=0),
        FrameStyle(width=100),
    ],
)
def test_bad_style_raises_user_input_error(style):
    with pytest.raises(UserInputError):
        FrameRenderer(make_data(), style)


@pytest.mark.parametrize("t", [-0.5, 2.01, float("nan"), "x"])
def test_time_outside_the_timeline_raises(small_renderer, t):
    with pytest.raises(UserInputError):
        small_renderer.render(t)


def test_no_metrics_grey_training_dots_and_colour_thumbnails():
    base = make_data(N=50, M=80)
    rgb = np.random.default_rng(2).integers(0, 256, (50, 12, 16, 3), dtype=np.uint8)
    data = replace(base, metrics={}, train_labels=None, thumbnails=rgb)
    r = FrameRenderer(data, FrameStyle(show_train=True, max_thumbnails=5))
    assert r.render(1.25).shape == (720, 1280, 3)
    nan_curve = replace(base, metrics={"test accuracy": np.array([np.nan, 0.5, 0.7])})
    assert FrameRenderer(nan_curve).render(0.5).dtype == np.uint8


# -- what a viewer sees: panel fill, thumbnail size, palette ---------------------------------
def test_default_video_options_play_at_least_30_seconds_for_ten_epochs():
    from convlens.core import VideoOptions

    opts = VideoOptions()
    hold, tween = opts.timing()
    assert (hold, tween) == (90, 30)
    assert (10 * hold + 9 * tween) / opts.fps >= 30
    assert VideoOptions(seconds_per_epoch=2.0).timing() == (45, 15)
    assert VideoOptions(hold_frames=5, tween_frames=0).timing() == (5, 0)
    with pytest.raises(UserInputError):
        VideoOptions(seconds_per_epoch=0)


def test_frame_points_fill_the_panel_thumbnails_are_large_and_colours_are_the_palette():
    data = make_data(E=5, N=400, panels=2)
    r = FrameRenderer(data)
    assert 48 <= r.style.thumbnail_size <= 56
    frame = r.render(4)
    colors = class_colors(4)
    for i, slot in enumerate(r._layout.panels):
        plot = slot.plot
        # panel fill: over the epochs, the middle 98 % of the points span most of the panel
        allpx = np.concatenate([r.pixel_positions(e, i) for e in range(5)])
        lo, hi = np.quantile(allpx, [0.01, 0.99], axis=0)
        span = (hi - lo) / np.array([plot.w, plot.h])
        assert span.max() >= 0.8 and span.min() >= 0.6, span  # the rest: room for pictures
        # thumbnails: pasted whole, at full size, in the class colour's frame
        idx = r.thumbnail_indices(4, i)
        assert len(idx) >= 5
        p = r.pixel_positions(4, i)
        wrong = data.predicted[4] != data.labels
        for j in idx[:5].tolist():
            tile = r._thumbs.tile(j, int(data.labels[j]), bool(wrong[j]))
            n = tile.shape[0]
            x0 = min(max(int(p[j, 0]) - n // 2, plot.x0), plot.x1 - n)
            y0 = min(max(int(p[j, 1]) - n // 2, plot.y0), plot.y1 - n)
            assert np.array_equal(frame[y0 : y0 + n, x0 : x0 + n], tile)
            assert n >= 48
            assert (tile.reshape(-1, 3).sum(axis=1) < 150).sum() > 20  # dark strokes
        # palette: the most common saturated colours of the panel are exactly the class colours
        px = frame[plot.y0 : plot.y1, plot.x0 : plot.x1].reshape(-1, 3).astype(int)
        px = px[px.max(axis=1) - px.min(axis=1) > 40]
        uniq, counts = np.unique(px, axis=0, return_counts=True)
        top = {tuple(c) for c in uniq[np.argsort(counts)[::-1][:4]]}
        assert top == {tuple(int(v) for v in c) for c in colors}


def test_legend_lists_the_classes_the_pictures_hold_not_all_thousand():
    """An ImageNet model (1,000 classes) recorded on pictures of two kinds: the legend shows
    those two kinds' colours, not the first classes of the thousand."""
    base = make_data(E=1, N=20, C=2, thumbnails=False)
    labels = np.where(np.arange(20) % 2, 967, 281)
    data = replace(
        base, class_names=[f"class {i}" for i in range(1000)], labels=labels, predicted=labels[None]
    )
    r = FrameRenderer(data, FrameStyle(width=1280, height=720))
    frame = r.render(0)
    sidebar = frame[:, int(frame.shape[1] * 0.72) :].reshape(-1, 3)

    def has(k: int) -> bool:
        return bool(np.all(sidebar == r.colors[k], axis=1).any())

    assert has(281) and has(967)
    assert not any(has(k) for k in (1, 2, 3, 4))  # (class 0's colour draws the mark glyphs)
