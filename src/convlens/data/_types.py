"""The two value types every loader returns: ``ImageSet`` (one split) and ``Dataset``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ImageSet:
    """One split of a dataset, held in memory.

    Attributes:
        images: ``uint8`` array ``[N, H, W, C]`` with ``C`` 1 (grayscale) or 3 (RGB).
        labels: ``int64`` array ``[N]`` of class indices.
        sources: Where each image came from: a file path, or ``"sketches:train:bear:17"``,
            ``"digits:17"`` for generated and bundled data.
    """

    images: np.ndarray
    labels: np.ndarray
    sources: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.images.dtype != np.uint8 or self.images.ndim != 4:
            raise ValueError(
                f"images must be uint8 [N, H, W, C], got {self.images.dtype} "
                f"{list(self.images.shape)}"
            )
        if self.images.shape[3] not in (1, 3):
            raise ValueError(f"images must have 1 or 3 channels, got {self.images.shape[3]}")
        if self.labels.dtype != np.int64 or self.labels.shape != (len(self.images),):
            raise ValueError(
                f"labels must be int64 [{len(self.images)}], got {self.labels.dtype} "
                f"{list(self.labels.shape)}"
            )
        if len(self.sources) != len(self.images):
            raise ValueError(f"{len(self.sources)} sources for {len(self.images)} images")

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, indices: np.ndarray) -> ImageSet:
        """The images at ``indices``, in that order."""
        indices = np.asarray(indices, dtype=np.int64)
        return ImageSet(
            images=self.images[indices],
            labels=self.labels[indices],
            sources=tuple(self.sources[i] for i in indices.tolist()),
        )


@dataclass(frozen=True)
class Dataset:
    """A named dataset with a train and a test split of square images.

    Attributes:
        name: ``"sketches"``, ``"digits"``, ``"mnist"`` or the image folder's name.
        class_names: Class names; label ``i`` means ``class_names[i]``.
        train: The training split.
        test: The test split.
        image_size: Height and width of every image.
        channels: 1 (grayscale) or 3 (RGB).
        hflip: Whether mirroring an image left-right keeps its class (true for sketches, false
            for digits and for image folders, where ConvLens cannot know); pass it to
            ``augment_batch(..., flip=dataset.hflip)``.
    """

    name: str
    class_names: tuple[str, ...]
    train: ImageSet
    test: ImageSet
    image_size: int
    channels: int
    hflip: bool = False

    def __post_init__(self) -> None:
        for split_name, split in (("train", self.train), ("test", self.test)):
            _, h, w, c = split.images.shape
            if (h, w, c) != (self.image_size, self.image_size, self.channels):
                raise ValueError(
                    f"{split_name} images are {h}x{w}x{c}, expected "
                    f"{self.image_size}x{self.image_size}x{self.channels}"
                )
            if len(split) and (
                split.labels.min() < 0 or split.labels.max() >= len(self.class_names)
            ):
                raise ValueError(f"{split_name} labels fall outside 0..{len(self.class_names) - 1}")
