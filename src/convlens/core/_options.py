"""Options, grouped by concern, frozen, and written into the run directory (config.json).

Each field's default and its help live here once: the command line is generated from these
dataclasses (``convlens.cli``). A field's metadata (see :func:`option`) holds its ``help``, the
``registry`` whose names are its choices, and a ``flag`` where the command line spells it
differently (``--no-augment`` sets ``augment=False``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from ._errors import UserInputError


def option(
    default: Any,
    help: str,  # noqa: A002
    *,
    registry: str | None = None,
    open_choices: bool = False,
    flag: str | None = None,
) -> Any:
    """A dataclass field with what the command line needs to offer it.

    Args:
        default: The default value (the one source of it).
        help: One line for ``--help``. ``{names}`` is replaced by the registry's names,
            ``{described}`` by its names with their one-line help.
        registry: The registry whose names are the choices (``"optimizers"``, ``"reducers"``,
            ...; the command line resolves the name).
        open_choices: The registry's names are suggestions, not the only values (a dataset may
            also be a folder).
        flag: The flag, if not ``--field-name`` (a ``True`` boolean is turned off by
            ``--no-...``).
    """
    meta = {"help": help, "registry": registry, "open_choices": open_choices, "flag": flag}
    return field(default=default, metadata=meta)


def _check_positive(**values: float | None) -> None:
    for name, v in values.items():
        if v is not None and v <= 0:
            raise UserInputError(f"--{name.replace('_', '-')} must be positive, got {v}")


@dataclass(frozen=True)
class DataOptions:
    """Which images to train on, and which of them to watch."""

    data: str = option(
        "sketches",
        "a built-in dataset ({names}) or a folder with train/<class>/* and test/<class>/* images",
        registry="datasets",
        open_choices=True,
    )
    image_size: int | None = option(None, "resize images to this many pixels")
    train_per_class: int | None = option(None, "use at most this many training images per class")
    test_per_class: int | None = option(None, "use at most this many test images per class")
    probe_size: int = option(200, "held-out images to watch, class-stratified")
    train_probe_size: int = option(200, "training images to watch as well; 0 for none")
    augment: bool = option(True, "no random shifts while training", flag="--no-augment")
    preprocess: str = option(
        "none",
        "how pictures become model input ({described}); recorded in the run, applied by every view",
        registry="input_presets",
    )

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

    model: str = option(
        "paper",
        "a built-in model ({described}), 'package.module:factory' for your own nn.Module, or "
        "'torchvision:NAME'",
        registry="models",
        open_choices=True,
    )
    weights: str | None = option(None, "initial weights: .safetensors or a torch state_dict file")
    epochs: int = option(10, "epochs in total")
    batch_size: int = option(25, "training images per step")
    lr: float = option(1e-4, "learning rate")
    optimizer: str = option("adam", "{described}", registry="optimizers")
    weight_decay: float = option(0.0, "weight decay of the optimizer")
    device: str = option("cpu", "cpu, cuda or cuda:N")
    seed: int = option(0, "random seed")

    def __post_init__(self) -> None:
        _check_positive(epochs=self.epochs, batch_size=self.batch_size, lr=self.lr)
        if self.weight_decay < 0:
            raise UserInputError("--weight-decay must be 0 or more")


@dataclass(frozen=True)
class RecordOptions:
    """What to record after every epoch."""

    layers: tuple[str, ...] = option(
        (),
        "layers to record, comma separated: names, globs ('features.*') or types ('Conv2d') "
        "(default: the model's suggestion)",
    )
    reducer: str = option("auto", "how conv maps become vectors ({described})", registry="reducers")
    checkpoints: bool = option(True, "keep no per-epoch weights", flag="--no-checkpoints")
    output: str | None = option(
        None,
        "for a model whose forward() returns a tuple/list or a dict: the index (0) or key "
        "(logits) of the class scores in it",
        flag="--model-output",
    )


@dataclass(frozen=True)
class EmbedOptions:
    """How to embed recorded activations in 2-D."""

    method: str = option("aligned", "{described}", registry="embedders")
    n_neighbors: int = option(15, "neighbours each point keeps close (UMAP's n_neighbors)")
    min_dist: float = option(0.1, "how tightly points may pack (UMAP's min_dist)")
    seed: int = option(0, "random seed")

    def __post_init__(self) -> None:
        if self.n_neighbors < 2:
            raise UserInputError("--n-neighbors must be at least 2")


@dataclass(frozen=True)
class VideoOptions:
    """How the training video looks."""

    width: int = option(1280, "frame width in pixels (even)")
    height: int = option(720, "frame height in pixels (even)")
    fps: int = option(30, "frames per second")
    seconds_per_epoch: float = option(
        4.0, "seconds per epoch: three quarters still (time to read), a quarter moving to the next"
    )
    color_by: str = option("true", "fill colour of a point: {described}", registry="color_by")
    thumbnails: bool = option(True, "points instead of images", flag="--no-thumbnails")
    max_thumbnails: int = option(24, "at most this many images per panel; the rest are points")
    show_train: bool = option(True, "hide the training-set dots", flag="--no-train")
    tween_frames: int | None = option(
        None, "frames that glide from one epoch to the next (default: from seconds_per_epoch)"
    )
    hold_frames: int | None = option(
        None, "frames that stay on each epoch (default: from seconds_per_epoch)"
    )

    def __post_init__(self) -> None:
        _check_positive(
            width=self.width,
            height=self.height,
            fps=self.fps,
            seconds_per_epoch=self.seconds_per_epoch,
        )
        if self.width % 2 or self.height % 2:
            raise UserInputError("--width and --height must be even numbers (H.264 needs them)")

    def timing(self) -> tuple[int, int]:
        """``(hold_frames, tween_frames)``: as given, else 3/4 and 1/4 of ``seconds_per_epoch``."""
        frames = self.seconds_per_epoch * self.fps
        hold = self.hold_frames if self.hold_frames is not None else max(round(0.75 * frames), 1)
        tween = self.tween_frames if self.tween_frames is not None else round(0.25 * frames)
        return int(hold), int(tween)


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
