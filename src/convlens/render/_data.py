"""What a training video shows (``VideoData``), how it looks (``FrameStyle``), and validation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from convlens.core import Registry, UserInputError

MAX_PANELS = 4
COLOR_BY: Registry[str] = Registry("colour-by")
COLOR_BY.register("predicted", help="the network's guess")("predicted")
COLOR_BY.register("true", help="the real class")("true")


@dataclass(frozen=True)
class PanelData:
    """One layer's 2-D map of the probe set over all epochs.

    Attributes:
        title: Shown above the panel, in plain words, e.g. ``"2nd filter layer (conv2)"``.
        xy: ``[E, N, 2]`` positions of the N probe images after each of E epochs.
        train_xy: Optional ``[E, M, 2]`` positions of training images, drawn as small dots.
    """

    title: str
    xy: np.ndarray
    train_xy: np.ndarray | None = None


@dataclass(frozen=True)
class VideoData:
    """Everything a training video shows, as plain arrays.

    Attributes:
        class_names: Name of each class, in label order.
        labels: ``[N]`` true class of each probe image.
        predicted: ``[E, N]`` class the network predicted for each probe image after each epoch.
        panels: One to four layers, drawn side by side.
        epochs: ``[E]`` epoch numbers.
        metrics: Per-epoch curves with values in [0, 1], e.g. ``{"test accuracy": [E]}``.
        title: Headline of the video.
        subtitles: ``[E]`` one plain-language sentence per epoch.
        thumbnails: Optional ``[N, h, w]`` or ``[N, h, w, 3]`` uint8 pictures of the probe images.
        train_labels: Optional ``[M]`` classes of the training points of ``PanelData.train_xy``.
        opening: Lines of the opening card (what you will see, what a dot is); none: no card.
        closing: Lines of the closing card (what the network learned, what it still confuses).
    """

    class_names: Sequence[str]
    labels: np.ndarray
    predicted: np.ndarray
    panels: Sequence[PanelData]
    epochs: np.ndarray
    metrics: Mapping[str, np.ndarray]
    title: str
    subtitles: Sequence[str]
    thumbnails: np.ndarray | None = None
    train_labels: np.ndarray | None = None
    opening: Sequence[str] = ()
    closing: Sequence[str] = ()


@dataclass(frozen=True)
class FrameStyle:
    """How frames look and how the video is timed.

    Attributes:
        width: Frame width in pixels (even, for H.264).
        height: Frame height in pixels (even, for H.264).
        color_by: ``"true"`` (the real class, the default: fill shows what a picture is, the
            open circle shows that the network got it wrong) or ``"predicted"`` (its guess).
        thumbnails: Draw some probe images as small pictures instead of points.
        max_thumbnails: At most this many pictures per panel; the rest are points.
        thumbnail_size: Side of a picture in pixels, its coloured frame included.
        point_radius: Radius of a probe point in pixels.
        fps: Frames per second of the video.
        tween_frames: Frames that glide from one epoch to the next (1 s at 30 fps).
        hold_frames: Frames that stay on each epoch (3 s at 30 fps: time to read the subtitle).
        card_frames: Frames of the opening and of the closing card (when the data has them).
        show_train: Add a panel of training-set dots under each layer (needs ``train_xy``).
    """

    width: int = 1280
    height: int = 720
    color_by: str = "true"
    thumbnails: bool = True
    max_thumbnails: int = 24
    thumbnail_size: int = 52
    point_radius: int = 4
    fps: int = 30
    tween_frames: int = 30
    hold_frames: int = 90
    card_frames: int = 150
    show_train: bool = False


def _int_in(name: str, value: object, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise UserInputError(f"{name} must be a whole number, got {value!r}")
    if not lo <= value <= hi:
        raise UserInputError(f"{name} must be between {lo} and {hi}, got {value}")
    return int(value)


def validate_style(style: FrameStyle) -> None:
    """Raise ``UserInputError`` when a style cannot be rendered."""
    for name in ("width", "height"):
        v = _int_in(name, getattr(style, name), 640 if name == "width" else 360, 7680)
        if v % 2:
            raise UserInputError(f"{name} must be even for H.264 video, got {v}")
    if style.color_by not in COLOR_BY:
        raise UserInputError(
            f"color_by must be one of {tuple(COLOR_BY.names())}, got {style.color_by!r}"
        )
    _int_in("max_thumbnails", style.max_thumbnails, 0, 100_000)
    _int_in("thumbnail_size", style.thumbnail_size, 8, 256)
    _int_in("point_radius", style.point_radius, 1, 16)
    _int_in("fps", style.fps, 1, 240)
    _int_in("tween_frames", style.tween_frames, 0, 10_000)
    _int_in("hold_frames", style.hold_frames, 1, 10_000)
    _int_in("card_frames", style.card_frames, 0, 10_000)


def _array(name: str, value: object, ndim: int) -> np.ndarray:
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        raise UserInputError(f"{name} is not an array: {exc}") from exc
    if arr.ndim != ndim:
        raise UserInputError(f"{name} must have {ndim} dimensions, got shape {arr.shape}")
    return arr


def _coords(name: str, value: object, E: int, n: int | None) -> np.ndarray:
    arr = _array(name, value, 3)
    if arr.shape[0] != E or arr.shape[2] != 2 or (n is not None and arr.shape[1] != n):
        want = f"[{E}, {n if n is not None else 'M'}, 2]"
        raise UserInputError(f"{name} must have shape {want}, got {arr.shape}")
    if not np.issubdtype(arr.dtype, np.number) or not np.isfinite(arr).all():
        raise UserInputError(f"{name} must hold finite numbers (no NaN or infinity)")
    return arr.astype(np.float64)


def _classes(name: str, value: object, shape: tuple[int, ...], C: int) -> np.ndarray:
    arr = _array(name, value, len(shape))
    if arr.shape != shape:
        raise UserInputError(f"{name} must have shape {list(shape)}, got {list(arr.shape)}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise UserInputError(f"{name} must hold integer class numbers, got {arr.dtype}")
    if arr.size and (arr.min() < 0 or arr.max() >= C):
        raise UserInputError(f"{name} must hold class numbers from 0 to {C - 1}")
    return arr.astype(np.int64)


@dataclass(frozen=True)
class CheckedData:
    """``VideoData`` after validation, as arrays of fixed dtypes."""

    class_names: list[str]
    labels: np.ndarray
    predicted: np.ndarray
    xy: list[np.ndarray]
    train_xy: list[np.ndarray | None]
    titles: list[str]
    epochs: np.ndarray
    metrics: dict[str, np.ndarray]
    title: str
    subtitles: list[str]
    thumbnails: np.ndarray | None
    train_labels: np.ndarray | None
    opening: list[str]
    closing: list[str]


def validate_data(data: VideoData) -> CheckedData:
    """Check every shape and range of ``data``; raise ``UserInputError`` naming what is wrong."""
    names = [str(c) for c in data.class_names]
    C = len(names)
    if C < 1:
        raise UserInputError("class_names is empty: a video needs at least one class")
    epochs = _array("epochs", data.epochs, 1)
    E = len(epochs)
    if E < 1:
        raise UserInputError("epochs is empty: a video needs at least one epoch")
    if not np.issubdtype(epochs.dtype, np.number):
        raise UserInputError(f"epochs must be numbers, got {epochs.dtype}")
    labels = _array("labels", data.labels, 1)
    N = len(labels)
    labels = _classes("labels", labels, (N,), C)
    predicted = _classes("predicted", data.predicted, (E, N), C)
    panels = list(data.panels)
    if not 1 <= len(panels) <= MAX_PANELS:
        raise UserInputError(f"a video shows 1 to {MAX_PANELS} panels, got {len(panels)}")
    xy = [_coords(f"panels[{i}].xy", p.xy, E, N) for i, p in enumerate(panels)]
    train_xy = [
        None if p.train_xy is None else _coords(f"panels[{i}].train_xy", p.train_xy, E, None)
        for i, p in enumerate(panels)
    ]
    train_labels = None
    if data.train_labels is not None:
        sizes = {t.shape[1] for t in train_xy if t is not None}
        if len(sizes) != 1:
            raise UserInputError("train_labels is given but no panel has train_xy of one size")
        train_labels = _classes("train_labels", data.train_labels, (sizes.pop(),), C)
    metrics: dict[str, np.ndarray] = {}
    for key, curve in dict(data.metrics).items():
        arr = _array(f"metrics[{key!r}]", curve, 1).astype(np.float64)
        if arr.shape != (E,):
            raise UserInputError(f"metrics[{key!r}] must have {E} values, got {arr.shape[0]}")
        ok = arr[np.isfinite(arr)]
        if ok.size and (ok.min() < 0 or ok.max() > 1):
            raise UserInputError(f"metrics[{key!r}] must lie in [0, 1] (a fraction, not percent)")
        metrics[str(key)] = arr
    subtitles = [str(s) for s in data.subtitles]
    if len(subtitles) != E:
        raise UserInputError(
            f"subtitles must have one sentence per epoch ({E}), got {len(subtitles)}"
        )
    thumbs = data.thumbnails
    if thumbs is not None:
        thumbs = np.asarray(thumbs)
        bad_shape = thumbs.ndim not in (3, 4) or (thumbs.ndim == 4 and thumbs.shape[3] != 3)
        if bad_shape or thumbs.shape[0] != N or thumbs.dtype != np.uint8:
            raise UserInputError(
                f"thumbnails must be uint8 of shape [{N}, h, w] or [{N}, h, w, 3], "
                f"got {thumbs.dtype} {list(thumbs.shape)}"
            )
        if thumbs.shape[1] < 1 or thumbs.shape[2] < 1:
            raise UserInputError("thumbnails must be at least one pixel high and wide")
    return CheckedData(
        class_names=names,
        labels=labels,
        predicted=predicted,
        xy=xy,
        train_xy=train_xy,
        titles=[str(p.title) for p in panels],
        epochs=epochs,
        metrics=metrics,
        title=str(data.title),
        subtitles=subtitles,
        thumbnails=thumbs,
        train_labels=train_labels,
        opening=[str(line) for line in data.opening],
        closing=[str(line) for line in data.closing],
    )


def present_classes(labels: np.ndarray, train_labels: np.ndarray | None, n: int) -> list[int]:
    """The class indices the pictures hold, in class order (all ``n`` when none is known)."""
    seen = [np.asarray(labels, np.int64).ravel()]
    if train_labels is not None:
        seen.append(np.asarray(train_labels, np.int64).ravel())
    got = np.unique(np.concatenate(seen))
    got = got[(got >= 0) & (got < n)]
    return [int(k) for k in got] if len(got) else list(range(n))
