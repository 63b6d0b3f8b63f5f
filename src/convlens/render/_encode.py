"""Frames to files: H.264 MP4 (PyAV), GIF and PNG (Pillow); written atomically by the store."""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from PIL import Image

from convlens.core import UserInputError, progress
from convlens.store import atomic_path


def _check_frame(frame: np.ndarray, shape: tuple[int, ...] | None = None) -> np.ndarray:
    arr = np.asarray(frame)
    if arr.dtype != np.uint8 or arr.ndim != 3 or arr.shape[2] != 3:
        raise UserInputError(f"a frame must be uint8 [H, W, 3], got {arr.dtype} {list(arr.shape)}")
    if shape is not None and arr.shape != shape:
        raise UserInputError(
            f"every frame must have the shape of the first, {list(shape)}, got {list(arr.shape)}"
        )
    return np.ascontiguousarray(arr)


def write_mp4(
    frames: Iterable[np.ndarray],
    path: str | Path,
    fps: int = 30,
    total: int | None = None,
    *,
    crf: int = 20,
    preset: str = "veryfast",
) -> Path:
    """Encode RGB frames as H.264 (libx264, yuv420p) MP4 that browsers play; written atomically.

    Args:
        frames: uint8 ``[H, W, 3]`` frames, all of one even size.
        path: Where the MP4 goes.
        fps: Frames per second.
        total: Number of frames, for the progress bar.
        crf: x264 quality (lower is better and bigger; 18-23 is typical).
        preset: x264 speed preset.

    Returns:
        ``path``.
    """
    import av

    if not 1 <= int(fps) <= 240:
        raise UserInputError(f"fps must be between 1 and 240, got {fps}")
    path = Path(path)
    with (
        atomic_path(path, suffix=path.suffix) as tmp,
        av.open(str(tmp), mode="w", format="mp4", options={"movflags": "+faststart"}) as box,
    ):
        stream = None
        shape = None
        for frame in progress(frames, desc=f"Writing {path.name}", total=total, unit="frame"):
            arr = _check_frame(frame, shape)
            if stream is None:
                shape = arr.shape
                H, W = shape[:2]
                if H % 2 or W % 2:
                    raise UserInputError(f"H.264 needs an even width and height, got {W}x{H}")
                stream = box.add_stream(
                    "libx264",
                    rate=int(fps),
                    options={"crf": str(crf), "preset": preset, "tune": "animation"},
                )
                stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
            vf = av.VideoFrame.from_ndarray(arr, format="rgb24")
            for packet in stream.encode(vf):
                box.mux(packet)
        if stream is None:
            raise UserInputError("no frames to write: the video would be empty")
        for packet in stream.encode():
            box.mux(packet)
    return path


def write_gif(
    frames: Iterable[np.ndarray],
    path: str | Path,
    fps: int = 15,
    total: int | None = None,
    *,
    source_fps: int | None = None,
    max_width: int = 640,
) -> Path:
    """Write an animated GIF (looping forever), atomically.

    Frames are scaled down to at most ``max_width`` pixels wide; when ``source_fps`` is higher
    than ``fps``, frames are dropped so that the GIF lasts as long as the video.

    Args:
        frames: uint8 ``[H, W, 3]`` frames.
        path: Where the GIF goes.
        fps: Frames per second of the GIF (GIF timing has 10 ms steps).
        total: Number of input frames, for the progress bar.
        source_fps: Frame rate the frames were made for (default: ``fps``).
        max_width: Largest width kept.

    Returns:
        ``path``.
    """
    if not 1 <= int(fps) <= 100:
        raise UserInputError(f"a GIF plays at 1 to 100 frames per second, got {fps}")
    step = max(float(source_fps) / fps, 1.0) if source_fps else 1.0
    path = Path(path)
    images: list[Image.Image] = []
    shape = None
    next_keep = 0.0
    for i, frame in enumerate(
        progress(frames, desc=f"Writing {path.name}", total=total, unit="frame")
    ):
        arr = _check_frame(frame, shape)
        shape = arr.shape
        if i + 1e-9 < next_keep:
            continue
        next_keep += step
        im = Image.fromarray(arr)
        if im.width > max_width:
            h = max(int(round(im.height * max_width / im.width / 2)) * 2, 2)
            im = im.resize((max_width, h), Image.Resampling.LANCZOS)
        images.append(im.quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE))
    if not images:
        raise UserInputError("no frames to write: the GIF would be empty")
    # GIF delays are whole centiseconds: alternate them so the total time stays exact
    ends = np.round(np.arange(len(images) + 1) * 100 / fps)
    duration = [int(max(d, 1)) * 10 for d in np.diff(ends)]
    with atomic_path(path, suffix=path.suffix) as tmp:
        images[0].save(
            tmp, format="GIF", save_all=True, append_images=images[1:], duration=duration, loop=0
        )
    return path


def encode_png(frame: np.ndarray) -> bytes:
    """PNG bytes of one uint8 ``[H, W, 3]`` frame."""
    buf = io.BytesIO()
    Image.fromarray(_check_frame(frame)).save(buf, format="PNG", compress_level=6)
    return buf.getvalue()
