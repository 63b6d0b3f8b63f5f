"""Applying a run's input contract to a picture: the one place pixels become model input.

``prepare_image(image, contract)`` follows torchvision's PIL path exactly (``Resize`` of the
shorter side with PIL's antialiased filter, ``CenterCrop`` with the same rounding, then
``(x / 255 - mean) / std``), so a model trained with torchvision's transforms sees the same
numbers here.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from convlens.core import InputContract, UserInputError

_FILTERS = {
    "nearest": Image.Resampling.NEAREST,
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
    "lanczos": Image.Resampling.LANCZOS,
}
PAD_VALUE = 124  # about ImageNet's mean grey: padding that reads as "nothing" after normalising


def _as_pil(image: np.ndarray, channels: int) -> Image.Image:
    if image.ndim != 3 or image.shape[2] not in (1, 3, 4) or image.dtype != np.uint8:
        raise UserInputError(
            f"a picture must be uint8 [H, W, 1|3], got {image.dtype} {list(image.shape)}"
        )
    if image.shape[2] == 4:
        image = image[..., :3]
    im = Image.fromarray(image[..., 0] if image.shape[2] == 1 else image)
    return im.convert("L" if channels == 1 else "RGB")


def _resize_shorter(im: Image.Image, short: int, resample: Image.Resampling) -> Image.Image:
    w, h = im.size
    if min(w, h) == short:
        return im
    size = (short, int(short * h / w)) if w <= h else (int(short * w / h), short)
    return im.resize(size, resample)


def _centre_crop(im: Image.Image, th: int, tw: int) -> Image.Image:
    w, h = im.size
    top, left = int(round((h - th) / 2.0)), int(round((w - tw) / 2.0))
    return im.crop((left, top, left + tw, top + th))


def fit_picture(image: np.ndarray, contract: InputContract) -> np.ndarray:
    """The picture cut and resized as the contract says: ``uint8 [H, W, C]`` at the input size.

    This is what the model sees, before the colours are normalised (show it to people).
    """
    th, tw = contract.size
    resample = _FILTERS[contract.interpolation]
    im = _as_pil(image, contract.channels)
    w, h = im.size
    if contract.resize == "stretch":
        im = im.resize((tw, th), resample)
    elif contract.resize == "pad":
        scale = min(tw / w, th / h)
        nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
        fill = PAD_VALUE if contract.channels == 1 else (PAD_VALUE,) * 3
        canvas = Image.new(im.mode, (tw, th), fill)  # type: ignore[arg-type]
        canvas.paste(im.resize((nw, nh), resample), ((tw - nw) // 2, (th - nh) // 2))
        im = canvas
    elif contract.resize_to is not None:
        im = _centre_crop(_resize_shorter(im, contract.resize_to, resample), th, tw)
    else:
        # the largest centred part with the input's proportions, resized to the input size
        scale = min(w / tw, h / th)
        cw, ch = round(tw * scale), round(th * scale)
        im = _centre_crop(im, ch, cw)
        if im.size != (tw, th):
            im = im.resize((tw, th), resample, reducing_gap=2.0 if tw == th else None)
    arr = np.asarray(im, dtype=np.uint8)
    return np.array(arr[..., None] if arr.ndim == 2 else arr, dtype=np.uint8, order="C")


def normalize(pictures: np.ndarray, contract: InputContract) -> np.ndarray:
    """``float32 [N, C, H, W]`` model input from ``uint8 [N, H, W, C]`` pictures."""
    x = pictures.astype(np.float32).transpose(0, 3, 1, 2) / 255.0
    mean = np.asarray(contract.mean, np.float32)[None, :, None, None]
    std = np.asarray(contract.std, np.float32)[None, :, None, None]
    return np.ascontiguousarray((x - mean) / std)


def prepare_image(image: np.ndarray, contract: InputContract) -> tuple[np.ndarray, np.ndarray]:
    """Model input ``float32 [C, H, W]`` and the picture as the model sees it ``uint8 [H, W, C]``.

    Raises:
        UserInputError: Not a ``uint8 [H, W, 1|3]`` picture.
    """
    seen = fit_picture(image, contract)
    return normalize(seen[None], contract)[0], seen
