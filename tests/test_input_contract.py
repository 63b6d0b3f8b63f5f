"""The input contract: presets, its file form, and pixels prepared exactly as torchvision does."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from PIL import Image

from convlens.core import INPUT_PRESETS, InputContract, UserInputError, input_contract
from convlens.data import fit_picture, normalize, prepare_image


def _picture(h: int, w: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def test_presets_are_registered_and_read_back_from_json() -> None:
    assert {"none", "imagenet", "pad", "stretch"} <= set(INPUT_PRESETS.names())
    c = input_contract("imagenet", 224)
    assert c.size == (224, 224) and c.resize_to == 256 and c.channels == 3
    assert c.mean == (0.485, 0.456, 0.406) and c.normalised
    assert InputContract.from_json(c.to_json()) == c
    assert not input_contract("none", 64, 1).normalised


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"size": (0, 3)}, "positive"),
        ({"size": (8, 8), "channels": 2}, "channels"),
        ({"size": (8, 8), "resize": "zoom"}, "resize policy"),
        ({"size": (8, 8), "mean": (0.1, 0.2)}, "mean and std"),
        ({"size": (8, 8), "std": (0.0,)}, "std must be positive"),
        ({"size": (8, 8), "resize_to": 4}, "smaller"),
    ],
)
def test_a_contract_that_cannot_work_is_refused_with_what_to_fix(kwargs, message) -> None:
    with pytest.raises(UserInputError, match=message):
        InputContract(**kwargs)


def test_imagenet_recipe_resizes_the_shorter_side_then_cuts_the_centre() -> None:
    pic = _picture(300, 400)
    x, seen = prepare_image(pic, input_contract("imagenet", 224))
    assert x.shape == (3, 224, 224) and x.dtype == np.float32 and seen.shape == (224, 224, 3)
    # the same steps by hand with PIL: shorter side 256 (341 x 256), centre 224 x 224
    im = Image.fromarray(pic).resize((341, 256), Image.Resampling.BILINEAR)
    left, top = int(round((341 - 224) / 2)), int(round((256 - 224) / 2))
    ref = np.asarray(im.crop((left, top, left + 224, top + 224)))
    np.testing.assert_array_equal(seen, ref)
    mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
    expect = (ref / 255.0 - mean) / std
    np.testing.assert_allclose(x.transpose(1, 2, 0), expect, atol=1e-5)


def test_denormalize_gives_back_the_picture_the_model_saw() -> None:
    c = input_contract("imagenet", 32)
    seen = fit_picture(_picture(50, 40), c)
    back = c.denormalize(normalize(seen[None], c))
    assert back.shape == (1, 32, 32, 3)
    assert np.abs(back[0].astype(int) - seen.astype(int)).max() <= 1


def test_pad_keeps_the_whole_picture_where_crop_loses_its_sides() -> None:
    pic = np.full((100, 200, 3), 255, np.uint8)
    pic[:, :20] = (255, 0, 0)  # a red band on the left edge
    cropped = fit_picture(pic, input_contract("none", 50))
    padded = fit_picture(pic, input_contract("pad", 50))
    red = np.all(cropped == (255, 0, 0), axis=2).sum()
    assert red == 0  # the centre square never sees the left edge
    assert np.all(padded[20, 0:2] == (255, 0, 0))
    assert np.all(padded[0, 25] == 124) and np.all(padded[25, 25] == 255)


def test_grey_contract_from_colour_picture_and_sizes_of_any_shape() -> None:
    c = InputContract(size=(16, 24), channels=1, resize="stretch")
    x, seen = prepare_image(_picture(10, 10), c)
    assert x.shape == (1, 16, 24) and seen.shape == (16, 24, 1)
    with pytest.raises(UserInputError, match="uint8"):
        prepare_image(np.zeros((4, 4), np.float32), c)


def test_describe_says_how_the_picture_was_cut() -> None:
    text = input_contract("imagenet", 224).describe()
    assert "256" in text and "224×224" in text and "edges are not seen" in text
    assert "whole" in input_contract("pad", 64).describe()


def test_from_timm_config() -> None:
    cfg = {
        "input_size": (3, 224, 224),
        "crop_pct": 0.875,
        "interpolation": "bicubic",
        "mean": (0.5, 0.5, 0.5),
        "std": (0.5, 0.5, 0.5),
    }
    c = InputContract.from_timm(cfg)
    assert c.size == (224, 224) and c.resize_to == 256 and c.interpolation == "bicubic"
    with pytest.raises(UserInputError, match="timm"):
        InputContract.from_timm({})


@pytest.mark.skipif(
    importlib.util.find_spec("torchvision") is None,
    reason="torchvision is tested in the second environment (.ci/run)",
)
def test_identical_to_torchvision_weights_transforms() -> None:
    from torchvision.models import MobileNet_V2_Weights

    tf = MobileNet_V2_Weights.IMAGENET1K_V1.transforms()
    c = InputContract.from_torchvision(tf)
    assert c.size == (224, 224) and c.resize_to == 256
    for h, w in [(300, 400), (480, 260), (224, 224)]:
        pic = _picture(h, w, seed=h)
        x, _ = prepare_image(pic, c)
        ref = tf(Image.fromarray(pic)).numpy()
        np.testing.assert_allclose(x, ref, atol=1e-5)
