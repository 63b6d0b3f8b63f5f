"""Images a user hands in: decoded safely (size limits before decoding), turned into model input."""

from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from convlens.core import UserInputError

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_UPLOAD_PIXELS = 40_000_000
KEEP_SIDE = 1024  # uploads are kept at most this large (models here take small inputs)
_FORMATS = ("PNG", "JPEG", "WEBP", "BMP", "GIF", "TIFF")


class UploadTooLargeError(UserInputError):
    """The upload has too many bytes or too many pixels."""


class NotAnImageError(UserInputError):
    """The upload is not an image ConvLens can read (empty, corrupt, unknown format or mode)."""


def decode_image(data: bytes) -> np.ndarray:
    """Decode an uploaded file into ``uint8 [H, W, 1 | 3]``, refusing bombs before decoding.

    The header is read first: more than :data:`MAX_UPLOAD_PIXELS` pixels is refused without
    decoding a single row. Transparent images are laid on white; palette, 16-bit and CMYK images
    become grey or RGB; an animated image gives its first frame. Nothing is ever unpickled.

    Raises:
        UploadTooLargeError: More than :data:`MAX_UPLOAD_BYTES` bytes or too many pixels.
        NotAnImageError: Empty, not an image, corrupt, or a mode with no grey/RGB meaning.
    """
    if not data:
        raise NotAnImageError("the upload is empty: choose an image file (PNG, JPEG, WebP, BMP)")
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadTooLargeError(
            f"the upload has {len(data) / 2**20:.1f} MB; the limit is "
            f"{MAX_UPLOAD_BYTES // 2**20} MB: resize the image and try again"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            im = Image.open(io.BytesIO(data), formats=_FORMATS)
        except Image.DecompressionBombError as err:
            raise UploadTooLargeError(
                f"the image has too many pixels ({err}); the limit is "
                f"{MAX_UPLOAD_PIXELS // 1_000_000} megapixels: resize it and try again"
            ) from err
        except (UnidentifiedImageError, OSError, ValueError) as err:
            raise NotAnImageError(
                "the upload is not an image ConvLens can read: send a PNG, JPEG, WebP, BMP, GIF "
                "or TIFF file"
            ) from err
        w, h = im.size
        if w * h > MAX_UPLOAD_PIXELS:
            raise UploadTooLargeError(
                f"the image is {w}×{h} pixels ({w * h / 1e6:.0f} megapixels); the limit is "
                f"{MAX_UPLOAD_PIXELS // 1_000_000} megapixels: resize it and try again"
            )
        if w == 0 or h == 0:
            raise NotAnImageError("the image has no pixels: choose another file")
        try:
            im.seek(0)
            if max(w, h) > KEEP_SIDE:
                im.draft("RGB", (KEEP_SIDE, KEEP_SIDE))  # JPEG: decode at reduced size
            im.load()
        except (OSError, ValueError, SyntaxError, EOFError) as err:
            raise NotAnImageError(
                f"the image file is damaged and cannot be decoded ({err}): export it again"
            ) from err
    return _to_array(im)


def _to_array(im: Image.Image) -> np.ndarray:
    im = ImageOps.exif_transpose(im) if im.format == "JPEG" else im
    if im.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        arr = np.asarray(im, dtype=np.float64)
        lo, hi = float(arr.min()), float(arr.max())
        arr = (arr - lo) / (hi - lo) * 255 if hi > lo else np.zeros_like(arr)
        im = Image.fromarray(arr.astype(np.uint8), "L")
    if im.mode == "P":
        im = im.convert("RGBA")
    if im.mode in ("RGBA", "LA", "PA"):
        base = Image.new("RGBA", im.size, (255, 255, 255, 255))
        im = Image.alpha_composite(base, im.convert("RGBA")).convert("RGB")
    if im.mode in ("1", "L"):
        im = im.convert("L")
    elif im.mode in ("CMYK", "YCbCr", "LAB", "HSV", "RGB", "RGBX"):
        im = im.convert("RGB")
    else:
        raise NotAnImageError(
            f"images of mode {im.mode} ({len(im.getbands())} channels) have no grey or colour "
            "meaning ConvLens knows: save it as an 8-bit grey or RGB PNG"
        )
    if max(im.size) > KEEP_SIDE:
        im.thumbnail((KEEP_SIDE, KEEP_SIDE), Image.Resampling.LANCZOS)
    arr = np.asarray(im, dtype=np.uint8)
    return arr[..., None] if arr.ndim == 2 else arr


def to_model_input(image: np.ndarray, channels: int, size: int) -> np.ndarray:
    """Centre-crop to a square and resize to ``size``, with ``channels`` 1 (grey) or 3 (RGB).

    Returns ``uint8 [size, size, channels]``.

    Raises:
        UserInputError: ``channels`` is neither 1 nor 3 and the image does not already have it.
    """
    h, w, c = image.shape
    if c != channels:
        if channels == 1:
            im = Image.fromarray(image if c == 3 else image[..., 0]).convert("L")
            image = np.asarray(im)[..., None]
        elif channels == 3:
            image = np.repeat(image[..., :1], 3, axis=2)
        else:
            raise UserInputError(
                f"the model takes {channels}-channel input, and a {c}-channel image cannot be "
                "converted to it: use one of the run's probe images"
            )
    if (h, w) != (size, size):
        side = min(h, w)
        top, left = (h - side) // 2, (w - side) // 2
        crop = image[top : top + side, left : left + side]
        mode = "L" if crop.shape[2] == 1 else "RGB"
        im = Image.fromarray(crop[..., 0] if mode == "L" else crop, mode)
        im = im.resize((size, size), Image.Resampling.LANCZOS, reducing_gap=2.0)
        image = np.asarray(im, dtype=np.uint8)
        image = image[..., None] if image.ndim == 2 else image
    return np.array(image, dtype=np.uint8, order="C")  # a writable copy (PIL's is read-only)


def downsized_png(image: np.ndarray, max_side: int = 512) -> bytes:
    """PNG bytes of ``uint8 [H, W, C]``, at most ``max_side`` pixels on a side."""
    im = Image.fromarray(image[..., 0] if image.shape[2] == 1 else image)
    if max(im.size) > max_side:
        im.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()
