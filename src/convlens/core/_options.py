"""Options, grouped by concern, frozen, and written into the run directory (config.json)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from ._errors import UserInputError


def _check_positive(**values: float | None) -> None:
    for name, v in values.items():
        if v is not None and v <= 0:
            raise UserInputError(f"--{name.replace('_', '-')} must be positive, got {v}")


@dataclass(frozen=True)
class DataOptions:
    """Which images to train on, and which of them to watch."""

    data: str = "sketches"
    image_size: int | None = None
    train_per_class: int | None = None
    test_per_class: int | None = None
    probe_size: int = 200
    train_probe_size: int = 200
    augment: bool = True

    def __post_init__(self) -> None:
        _check_positive(
            image_size=self.image_size,
            train_per_class=self.train_per_class,
            test_per_class=self.test_per_class,
            probe_size=self.probe_size,
        )
        if self.train_probe_size < 0:
            raise UserInputError("--train-probe-size must be 0 or more")


@dataclass(frozen=True)
class TrainOptions:
    """How to train."""

    model: str = "paper"
    weights: str | None = None
    epochs: int = 10
    batch_size: int = 25
    lr: float = 1e-4
    optimizer: str = "adam"
    weight_decay: float = 0.0
    device: str = "cpu"
    seed: int = 0

    def __post_init__(self) -> None:
        _check_positive(epochs=self.epochs, batch_size=self.batch_size, lr=self.lr)
        if self.weight_decay < 0:
            raise UserInputError("--weight-decay must be 0 or more")


@dataclass(frozen=True)
class RecordOptions:
    """What to record after every epoch."""

    layers: tuple[str, ...] = ()
    reducer: str = "auto"
    checkpoints: bool = True


@dataclass(frozen=True)
class EmbedOptions:
    """How to embed recorded activations in 2-D."""

    method: str = "aligned"
    n_neighbors: int = 15
    min_dist: float = 0.1
    seed: int = 0

    def __post_init__(self) -> None:
        if self.n_neighbors < 2:
            raise UserInputError("--n-neighbors must be at least 2")


@dataclass(frozen=True)
class VideoOptions:
    """How the training video looks."""

    width: int = 1280
    height: int = 720
    fps: int = 30
    color_by: str = "predicted"
    thumbnails: bool = True
    max_thumbnails: int = 200
    show_train: bool = True
    tween_frames: int = 12
    hold_frames: int = 18

    def __post_init__(self) -> None:
        _check_positive(width=self.width, height=self.height, fps=self.fps)
        if self.width % 2 or self.height % 2:
            raise UserInputError("--width and --height must be even numbers (H.264 needs them)")
        if self.color_by not in ("predicted", "true"):
            raise UserInputError("--color-by must be 'predicted' or 'true'")


def options_to_json(*groups: Any) -> dict[str, Any]:
    """``{"train": {...}, "data": {...}}`` from option dataclasses, for config.json."""
    out: dict[str, Any] = {}
    for g in groups:
        key = type(g).__name__.removesuffix("Options").lower()
        out[key] = asdict(g)
    return out


def options_from_json(cls: type[Any], obj: dict[str, Any]) -> Any:
    """Rebuild an option dataclass from config.json (unknown keys are ignored)."""
    names = {f.name for f in fields(cls)}
    kwargs = {k: (tuple(v) if isinstance(v, list) else v) for k, v in obj.items() if k in names}
    return cls(**kwargs)
