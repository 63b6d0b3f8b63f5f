"""The input contract: how a picture becomes exactly the tensor a model was trained on.

A run records it (``manifest["input"]``), and everything that runs the model on a picture —
recording, uploads, the explorer, attributions, class gradients, importance, the graph — applies
the same one. It is plain data (no torch, no PIL here); ``convlens.data.prepare_image`` applies
it to pixels, :meth:`InputContract.denormalize` turns model input back into a picture.

Presets are registered in ``INPUT_PRESETS`` (``imagenet``, ``none``); torchvision weights'
transforms and timm's data config are read by :meth:`InputContract.from_torchvision` and
:meth:`InputContract.from_timm`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ._errors import UserInputError
from ._registry import Registry

RESIZE_POLICIES = ("crop", "pad", "stretch")
"""``crop``: shorter side to ``resize_to``, then the centre ``size`` cut out (torchvision's
ImageNet recipe); ``pad``: the whole picture fitted inside ``size``, the rest filled (letterbox);
``stretch``: resized to ``size`` whatever its proportions."""

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class InputContract:
    """How an image is cut, resized, coloured and normalised before the model sees it.

    Attributes:
        size: ``(height, width)`` of the model's input.
        channels: 1 (grey) or 3 (RGB).
        resize: One of :data:`RESIZE_POLICIES`.
        resize_to: For ``crop``: the shorter side before the centre cut (``None``: the cut is
            the largest centred square/rectangle of the input's proportions, resized to
            ``size``).
        mean, std: Per channel, on pixel values scaled to ``[0, 1]``: the model receives
            ``(pixel / 255 - mean) / std``.
        interpolation: ``bilinear``, ``bicubic`` or ``lanczos``.
        name: The preset or source it came from (for people), e.g. ``imagenet``.
    """

    size: tuple[int, int]
    channels: int = 3
    resize: str = "crop"
    resize_to: int | None = None
    mean: tuple[float, ...] = (0.0,)
    std: tuple[float, ...] = (1.0,)
    interpolation: str = "bilinear"
    name: str = "custom"

    def __post_init__(self) -> None:
        size = tuple(int(s) for s in self.size)
        if len(size) != 2 or min(size) < 1:
            raise UserInputError(f"input size must be two positive numbers, got {self.size!r}")
        object.__setattr__(self, "size", size)
        if self.channels not in (1, 3):
            raise UserInputError(f"input channels must be 1 (grey) or 3 (RGB), got {self.channels}")
        if self.resize not in RESIZE_POLICIES:
            raise UserInputError(
                f"resize policy {self.resize!r} is unknown: use one of {', '.join(RESIZE_POLICIES)}"
            )
        if self.resize_to is not None and self.resize != "crop":
            raise UserInputError("resize_to applies only to resize='crop': leave it out")
        if self.resize_to is not None and self.resize_to < min(size):
            raise UserInputError(f"resize_to {self.resize_to} is smaller than the input {size}")
        if self.interpolation not in ("bilinear", "bicubic", "lanczos", "nearest"):
            raise UserInputError(
                f"interpolation {self.interpolation!r} is unknown: use bilinear, bicubic or lanczos"
            )
        mean, std = _per_channel(self.mean, self.channels), _per_channel(self.std, self.channels)
        if mean is None or std is None:
            raise UserInputError(
                f"mean and std need 1 or {self.channels} values for {self.channels}-channel "
                f"input, got {len(self.mean)} and {len(self.std)}"
            )
        if min(std) <= 0:
            raise UserInputError(f"std must be positive, got {std}")
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "std", std)

    # -- describing -----------------------------------------------------------------------

    @property
    def normalised(self) -> bool:
        return any(m != 0.0 for m in self.mean) or any(s != 1.0 for s in self.std)

    def describe(self) -> str:
        """One plain sentence: how a picture is cut and coloured for the model."""
        h, w = self.size
        colour = "in colour" if self.channels == 3 else "in grey"
        if self.resize == "crop" and self.resize_to:
            cut = f"its shorter side is resized to {self.resize_to} pixels, then the centre "
            cut += f"{w}×{h} is cut out (the edges are not seen)"
        elif self.resize == "crop":
            cut = f"the largest centred part of its shape is cut out and resized to {w}×{h}"
        elif self.resize == "pad":
            cut = f"it is shrunk to fit {w}×{h} whole, and the rest is filled with grey"
        else:
            cut = f"it is stretched to {w}×{h}, whatever its shape"
        norm = " Colours are then shifted and scaled as in training." if self.normalised else ""
        return f"The network sees each picture {colour}: {cut}.{norm}"

    # -- as data ----------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "size": list(self.size),
            "channels": self.channels,
            "resize": self.resize,
            "resize_to": self.resize_to,
            "mean": list(self.mean),
            "std": list(self.std),
            "interpolation": self.interpolation,
            "name": self.name,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> InputContract:
        """Read what :meth:`to_json` wrote; unknown keys are ignored (newer writers)."""
        try:
            return cls(
                size=tuple(data["size"]),
                channels=int(data.get("channels", 3)),
                resize=str(data.get("resize", "crop")),
                resize_to=None if data.get("resize_to") is None else int(data["resize_to"]),
                mean=tuple(float(v) for v in data.get("mean", (0.0,))),
                std=tuple(float(v) for v in data.get("std", (1.0,))),
                interpolation=str(data.get("interpolation", "bilinear")),
                name=str(data.get("name", "custom")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise UserInputError(
                f"the input contract cannot be read: missing or bad {exc}"
            ) from exc

    def with_size(self, size: int | tuple[int, int], channels: int | None = None) -> InputContract:
        """The same recipe for another input size (and channel count)."""
        hw = (size, size) if isinstance(size, int) else size
        ch = self.channels if channels is None else channels
        scale = None
        if self.resize_to is not None:
            scale = round(self.resize_to * max(hw) / max(self.size))
        mean = self.mean if ch == self.channels else self.mean[:1] * ch
        std = self.std if ch == self.channels else self.std[:1] * ch
        if ch == 1 and self.channels == 3:
            mean, std = (sum(self.mean) / 3,), (sum(self.std) / 3,)
        return replace(self, size=hw, channels=ch, resize_to=scale, mean=mean, std=std)

    # -- from the libraries that made the model --------------------------------------------

    @classmethod
    def from_torchvision(cls, transforms: Any, name: str = "torchvision") -> InputContract:
        """From torchvision weights' ``transforms()`` (``ImageClassification``)."""
        try:
            crop = _pair(transforms.crop_size)
            resize = _pair(transforms.resize_size)
            interp = str(getattr(transforms.interpolation, "value", transforms.interpolation))
        except AttributeError as exc:
            raise UserInputError(
                f"these torchvision transforms have no crop/resize sizes ({exc}): give the "
                "preprocessing explicitly (preprocess=...)"
            ) from exc
        return cls(
            size=crop,
            channels=3,
            resize="crop",
            resize_to=min(resize),
            mean=tuple(transforms.mean),
            std=tuple(transforms.std),
            interpolation=interp if interp in ("bilinear", "bicubic") else "bilinear",
            name=name,
        )

    @classmethod
    def from_timm(cls, config: Mapping[str, Any], name: str = "timm") -> InputContract:
        """From timm's ``resolve_data_config`` dict (input_size, crop_pct, mean, std, ...)."""
        try:
            c, h, w = (int(v) for v in config["input_size"])
            crop_pct = float(config.get("crop_pct", 1.0) or 1.0)
            interp = str(config.get("interpolation", "bilinear"))
            return cls(
                size=(h, w),
                channels=c,
                resize="crop",
                resize_to=int(round(min(h, w) / crop_pct)),
                mean=tuple(float(v) for v in config.get("mean", IMAGENET_MEAN)),
                std=tuple(float(v) for v in config.get("std", IMAGENET_STD)),
                interpolation=interp if interp in ("bilinear", "bicubic") else "bilinear",
                name=name,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise UserInputError(
                f"timm's data config cannot be read: missing or bad {exc}"
            ) from exc

    # -- the inverse, on numpy arrays --------------------------------------------------------

    def denormalize(self, x: Any) -> Any:
        """``uint8 [N, H, W, C]`` pictures from model input ``[N, C, H, W]`` (numpy or tensor)."""
        import numpy as np

        arr = np.asarray(x.detach().cpu() if hasattr(x, "detach") else x, dtype=np.float32)
        if arr.ndim == 3:
            arr = arr[None]
        c = arr.shape[1]
        mean = np.asarray(self.mean if len(self.mean) == c else self.mean[:1] * c, np.float32)
        std = np.asarray(self.std if len(self.std) == c else self.std[:1] * c, np.float32)
        pix = arr * std[None, :, None, None] + mean[None, :, None, None]
        pix = np.clip(np.rint(pix * 255.0), 0, 255).astype(np.uint8)
        return np.ascontiguousarray(pix.transpose(0, 2, 3, 1))


def _per_channel(values: Sequence[float], channels: int) -> tuple[float, ...] | None:
    v = tuple(float(x) for x in values)
    if len(v) == channels:
        return v
    if len(v) == 1:
        return v * channels
    return None


def _pair(v: Any) -> tuple[int, int]:
    if isinstance(v, int):
        return (v, v)
    seq = [int(x) for x in v]
    return (seq[0], seq[0]) if len(seq) == 1 else (seq[0], seq[1])


INPUT_PRESETS: Registry[Callable[[int, int], InputContract]] = Registry("input preprocessing")


@INPUT_PRESETS.register("none")
def _none(size: int, channels: int) -> InputContract:
    """Pixels divided by 255, the largest centred part of the picture resized (the default)."""
    return InputContract(size=(size, size), channels=channels, resize="crop", name="none")


@INPUT_PRESETS.register("imagenet")
def _imagenet(size: int, channels: int) -> InputContract:
    """torchvision's ImageNet recipe: shorter side to 256/224 of the size, centre cut, mean/std."""
    return InputContract(
        size=(size, size),
        channels=3,
        resize="crop",
        resize_to=int(size * 256 / 224),
        mean=IMAGENET_MEAN,
        std=IMAGENET_STD,
        name="imagenet",
    )


@INPUT_PRESETS.register("stretch")
def _stretch(size: int, channels: int) -> InputContract:
    """Pixels divided by 255, the whole picture stretched to a square."""
    return InputContract(size=(size, size), channels=channels, resize="stretch", name="stretch")


@INPUT_PRESETS.register("pad")
def _pad(size: int, channels: int) -> InputContract:
    """Pixels divided by 255, the whole picture fitted in a square, the rest grey."""
    return InputContract(size=(size, size), channels=channels, resize="pad", name="pad")


def input_contract(preset: str, size: int, channels: int = 3) -> InputContract:
    """A preset by name (``INPUT_PRESETS``) for ``size``-pixel, ``channels``-channel input."""
    return INPUT_PRESETS.get(preset)(size, channels)
