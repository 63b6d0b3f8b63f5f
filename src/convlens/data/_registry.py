"""``DATASETS`` and ``load_dataset``: one entry point for bundled datasets and image folders."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from convlens.core import Registry, UserInputError

from ._folder import load_image_folder
from ._ops import check_per_class
from ._types import Dataset


class DatasetLoader(Protocol):
    """What a ``DATASETS`` entry is: keyword arguments in, a ``Dataset`` out."""

    def __call__(
        self,
        *,
        image_size: int | None,
        seed: int,
        cache_dir: Path | None,
        train_per_class: int | None,
        test_per_class: int | None,
    ) -> Dataset: ...


DATASETS: Registry[DatasetLoader] = Registry("dataset")


def _looks_like_path(spec: str) -> bool:
    return any(ch in spec for ch in "/\\") or spec.startswith((".", "~")) or Path(spec).exists()


def load_dataset(
    spec: str,
    *,
    image_size: int | None = None,
    seed: int = 0,
    cache_dir: Path | None = None,
    train_per_class: int | None = None,
    test_per_class: int | None = None,
    resize: str = "crop",
) -> Dataset:
    """Load a dataset by name or from an image folder.

    Args:
        spec: ``"sketches"``, ``"digits"``, ``"mnist"`` (see ``DATASETS``), or the path of a
            folder laid out as ``DIR/train/<class>/*`` and ``DIR/test/<class>/*``. A name wins
            over a folder of the same name in the current directory; write ``./digits`` for
            the folder.
        image_size: Side of the square images; default per dataset (sketches 64, digits 16,
            mnist 28, folders 64).
        seed: Makes generation, splits and subsampling reproducible (a whole number >= 0).
        cache_dir: Where decoded image folders are cached; default ``$CONVLENS_CACHE/datasets``
            or ``~/.cache/convlens/datasets``.
        train_per_class: Keep at most this many training images per class (stratified,
            chosen with ``seed``); for sketches, how many to draw (default 100).
        test_per_class: The same for the test split (sketches default 20).
        resize: How a folder's pictures become squares: ``crop`` (the centre), ``pad`` (whole,
            grey around) or ``stretch``; built-in datasets are square already.

    Raises:
        UserInputError: Unknown name, missing folder, bad layout or bad argument.
    """
    if image_size is not None and (not isinstance(image_size, int) or not 4 <= image_size <= 1024):
        raise UserInputError(
            f"image_size must be a whole number from 4 to 1024, got {image_size!r}"
        )
    if not isinstance(seed, int) or seed < 0:
        raise UserInputError(f"seed must be a whole number >= 0, got {seed!r}")
    check_per_class("train_per_class", train_per_class)
    check_per_class("test_per_class", test_per_class)
    kwargs = dict(
        image_size=image_size,
        seed=seed,
        cache_dir=cache_dir,
        train_per_class=train_per_class,
        test_per_class=test_per_class,
    )
    spec = str(spec)
    if spec in DATASETS:
        return DATASETS.get(spec)(**kwargs)
    if _looks_like_path(spec):
        return load_image_folder(spec, resize=resize, **kwargs)
    raise UserInputError(
        f"unknown dataset '{spec}': choose one of {', '.join(DATASETS.names())}, or give the path "
        f"of an image folder laid out as DIR/train/<class>/* and DIR/test/<class>/*"
    )
