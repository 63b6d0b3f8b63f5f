"""Image-folder datasets: ``DIR/train/<class>/*`` and ``DIR/test/<class>/*``, PNG or JPEG.

Images are decoded and resized once; the pixels are cached in ``cache_dir`` under a key made of
every file's path, size and modification time and the image size, so editing, adding or removing
an image makes a new cache entry.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from convlens.core import UserInputError, progress

from ._cache import default_cache_dir, files_key, read_npz, write_npz
from ._ops import take_per_class
from ._preprocess import PAD_VALUE
from ._types import Dataset, ImageSet

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
DEFAULT_SIZE = 64
_GRAY_MODES = {"1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F"}
_LAYOUT = "DIR/train/<class>/*.png and DIR/test/<class>/*.png (PNG or JPEG)"


def _list_split(root: Path, split: str) -> dict[str, list[Path]]:
    folder = root / split
    if not folder.is_dir():
        raise UserInputError(
            f"image folder {root} has no {split}/ subfolder: lay the images out as "
            f"{_LAYOUT.replace('DIR', str(root))}"
        )
    classes = {}
    for d in sorted(folder.iterdir()):
        if d.is_dir() and not d.name.startswith("."):
            classes[d.name] = sorted(
                p
                for p in d.iterdir()
                if p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".") and p.is_file()
            )
    return classes


def _list_folder(root: Path) -> tuple[tuple[str, ...], dict[str, dict[str, list[Path]]]]:
    """Check the layout; return the class names (sorted train folders) and files per split."""
    listing = {split: _list_split(root, split) for split in ("train", "test")}
    train, test = listing["train"], listing["test"]
    if not any(train.values()) and not any(test.values()):
        raise UserInputError(f"no PNG or JPEG images at all in {root}: lay them out as {_LAYOUT}")
    if not train:
        raise UserInputError(
            f"{root / 'train'} has no class folders: put each class's images in "
            f"train/<class>/ (one folder per class)"
        )
    unknown = sorted(set(test) - set(train))
    if unknown:
        raise UserInputError(
            f"test classes not in train: {', '.join(unknown)}: every test/<class>/ needs a "
            f"train/<class>/ folder of the same name"
        )
    untested = sorted(set(train) - set(test))
    if untested:
        raise UserInputError(
            f"train classes missing from test: {', '.join(untested)}: add test/<class>/ folders "
            f"with images for them, or remove them from train/"
        )
    empty = [f"{s}/{c}" for s in ("train", "test") for c, files in listing[s].items() if not files]
    if empty:
        raise UserInputError(
            f"empty class folder{'s' if len(empty) > 1 else ''} (no PNG or JPEG images): "
            f"{', '.join(empty)} in {root}: add images or remove the folder"
        )
    return tuple(sorted(train)), listing


def _to_8bit(im: Image.Image) -> Image.Image:
    """Bring 16-bit and float grayscale down to 8 bits; flatten transparency onto white."""
    if im.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        a = np.asarray(im, dtype=np.float64)
        top = 65535.0 if a.max() > 255 else 255.0
        return Image.fromarray(np.clip(a * (255.0 / top), 0, 255).astype(np.uint8), mode="L")
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        return Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
    return im


def _decode_image(path: Path, size: int, resize: str = "crop") -> tuple[np.ndarray, bool]:
    """Decode one file to ``uint8 [size, size, 3]``: centre-cropped to a square, then resized
    (``resize="crop"``), fitted whole with grey around it (``"pad"``), or ``"stretch"``-ed.

    Returns:
        The pixels and whether the image is grayscale.
    """
    with Image.open(path) as im:
        im.draft(None, (size, size))  # JPEG: decode at a reduced scale when the file is large
        im = ImageOps.exif_transpose(im)
        gray = im.mode in _GRAY_MODES
        im = _to_8bit(im).convert("RGB")
        if resize == "pad":
            im = ImageOps.pad(im, (size, size), Image.Resampling.LANCZOS, (PAD_VALUE,) * 3)
        elif resize == "stretch":
            im = im.resize((size, size), Image.Resampling.LANCZOS)
        else:
            im = ImageOps.fit(im, (size, size), method=Image.Resampling.LANCZOS)
        arr = np.asarray(im, dtype=np.uint8)
    if not gray:
        gray = bool((arr[..., 0] == arr[..., 1]).all() and (arr[..., 1] == arr[..., 2]).all())
    return arr, gray


def _decode_one(path: Path, size: int, resize: str) -> tuple[np.ndarray, bool] | Exception:
    try:
        return _decode_image(path, size, resize)
    except Exception as err:  # any failure means "unreadable"; reported together
        return err


def _workers(n_files: int) -> int:
    """Decoding threads for ``n_files`` files: 1 (this thread) unless it pays off.

    Pillow releases the GIL while it decodes and resizes, so threads help with many files on
    four or more cores; on two busy cores they measured no faster than one thread.
    """
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return min(8, cpus) if cpus >= 4 and n_files >= 64 else 1


def _decode_all(paths: list[Path], size: int, resize: str = "crop") -> tuple[np.ndarray, int]:
    """Decode every file; return ``uint8 [N, size, size, C]`` and ``C``."""
    workers = _workers(len(paths))
    bar = progress(total=len(paths), desc="decoding images", unit="img")
    results: list[tuple[np.ndarray, bool] | Exception] = []
    try:
        if workers > 1:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                for r in pool.map(lambda p: _decode_one(p, size, resize), paths, chunksize=8):
                    results.append(r)
                    bar.update()
        else:
            for p in paths:
                results.append(_decode_one(p, size, resize))
                bar.update()
    finally:
        bar.close()
    failed = [(p, r) for p, r in zip(paths, results, strict=True) if isinstance(r, Exception)]
    if failed:
        shown = "; ".join(f"{p} ({type(e).__name__}: {e})" for p, e in failed[:5])
        more = f" and {len(failed) - 5} more" if len(failed) > 5 else ""
        several = len(failed) > 1
        raise UserInputError(
            f"{len(failed)} image{'s' if several else ''} could not be read: {shown}{more}: "
            f"fix or remove {'them' if several else 'it'}"
        )
    arrays = [r[0] for r in results]  # type: ignore[index]
    channels = 1 if all(r[1] for r in results) else 3  # type: ignore[index]
    images = np.stack(arrays)
    return (images[..., :1].copy() if channels == 1 else images), channels


def load_image_folder(
    root: str | Path,
    *,
    image_size: int | None = None,
    seed: int = 0,
    cache_dir: Path | None = None,
    train_per_class: int | None = None,
    test_per_class: int | None = None,
    resize: str = "crop",
) -> Dataset:
    """Load ``root/train/<class>/*`` and ``root/test/<class>/*`` as a dataset.

    Class indices follow the sorted train folder names. Every image is centre-cropped to a
    square and resized to ``image_size`` (default 64; ``resize="pad"`` fits it whole with grey
    around, ``"stretch"`` stretches it); transparency is flattened onto white.
    The dataset is grayscale (1 channel) when every image is, else RGB (3 channels).

    Raises:
        UserInputError: A split or class folder is missing or empty, the train and test classes
            differ, or images cannot be read (named, up to five).
    """
    root = Path(root).expanduser().resolve()
    if not root.is_dir():
        raise UserInputError(
            f"dataset folder {root} does not exist: give sketches, digits, mnist or a folder laid "
            f"out as {_LAYOUT}"
        )
    size = DEFAULT_SIZE if image_size is None else image_size
    class_names, listing = _list_folder(root)
    files, labels = {}, {}
    for split in ("train", "test"):
        files[split] = [p for c in class_names for p in listing[split][c]]
        labels[split] = np.concatenate(
            [np.full(len(listing[split][c]), i, dtype=np.int64) for i, c in enumerate(class_names)]
        )
    cache_dir = default_cache_dir() if cache_dir is None else Path(cache_dir)
    key = files_key(
        files["train"] + files["test"],
        image_size=size,
        crop="centre" if resize == "crop" else resize,
        resample="lanczos",
    )
    cache_path = cache_dir / f"folder-{key}.npz"

    def valid(arrays: dict[str, np.ndarray]) -> bool:
        shapes = [(arrays[s].dtype, arrays[s].shape) for s in ("train", "test")]
        c = arrays["train"].shape[-1]
        return shapes == [(np.uint8, (len(files[s]), size, size, c)) for s in ("train", "test")]

    arrays = read_npz(cache_path, valid)
    if arrays is None:
        pixels, _ = _decode_all(files["train"] + files["test"], size, resize)
        n_train = len(files["train"])
        arrays = {"train": pixels[:n_train], "test": pixels[n_train:]}
        write_npz(cache_path, arrays)
    splits = {}
    for k, (split, per_class) in enumerate((("train", train_per_class), ("test", test_per_class))):
        full = ImageSet(arrays[split], labels[split], tuple(str(p) for p in files[split]))
        if per_class is not None:
            full = full.subset(take_per_class(full.labels, per_class, seed + k))
        splits[split] = full
    return Dataset(
        name=root.name,
        class_names=class_names,
        train=splits["train"],
        test=splits["test"],
        image_size=size,
        channels=int(arrays["train"].shape[3]),
    )
