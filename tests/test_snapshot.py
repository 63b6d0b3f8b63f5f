"""A run from an already-trained model: no training, the input contract and classes stored."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from convlens.core import InputContract, UserInputError
from convlens.data import normalize
from convlens.pipelines import run_story, snapshot
from convlens.store import Run
from convlens.testing import TinyConvNet, picture_folder

GREY8 = InputContract(size=(8, 8), channels=1, resize="stretch", mean=(0.5,), std=(0.25,))


def test_snapshot_of_a_module_records_one_epoch_with_the_contract(tmp_path: Path) -> None:
    data = picture_folder(tmp_path / "pics", ["cat", "dog", "owl"])
    model = TinyConvNet()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    model.train()
    path = snapshot(
        model,
        out=tmp_path / "runs",
        data=data,
        classes=["cat", "dog", "owl"],
        preprocess=GREY8,
        spec="convlens.testing:TinyConvNet",
        layers="conv,fc",
    )
    run = Run.open(path)
    assert run.epochs == [1] and run.classes == ["cat", "dog", "owl"]
    model_info = run.manifest.model
    assert model_info["spec"] == "convlens.testing:TinyConvNet"
    assert InputContract.from_json(model_info["input"]) == GREY8
    probe = run.probe()
    assert list(probe["labels"]) == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert probe["thumbnails"].shape == (9, 8, 8, 1)
    # the recorded logits are the model's output on the stored pictures, normalised by the contract
    x = torch.from_numpy(normalize(probe["thumbnails"], GREY8))
    with torch.no_grad():
        expect = model.eval()(x).numpy()
    np.testing.assert_allclose(run.outputs(1)["logits"], expect, rtol=1e-5, atol=1e-6)
    model.train()
    assert model.training and all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_flat_folder_and_folder_names_that_are_not_classes(tmp_path: Path) -> None:
    picture_folder(tmp_path / "flat", ["x"])
    flat = tmp_path / "flat" / "x"
    path = snapshot(TinyConvNet(), out=tmp_path / "runs", data=flat, preprocess=GREY8)
    assert Run.open(path).classes == ["0", "1", "2"]
    assert list(Run.open(path).probe()["labels"]) == [-1, -1, -1]
    story = run_story(path)  # no kinds to measure: said, not a crash or a 0 % accuracy
    assert "have no labels" in story.layer_sentence("conv")
    assert story.events == [] and np.isnan(story.accuracy).all()
    bad = picture_folder(tmp_path / "bad", ["zebra"])
    with pytest.raises(UserInputError, match="zebra name no class"):
        snapshot(
            TinyConvNet(),
            out=tmp_path / "runs",
            data=bad,
            classes=["a", "b", "c"],
            preprocess=GREY8,
        )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"classes": ["a", "b"]}, "2 class names for a model with 3 outputs"),
        ({"preprocess": None}, "how must pictures be prepared"),
        ({"preprocess": InputContract(size=(5, 5), channels=1)}, "cannot take 1×5×5 input"),
        ({"layers": "nope"}, "nope"),
        ({"probe_size": 0}, "--probe-size must be 1 or more, got 0"),
        ({"image_size": -3}, "--image-size must be 1 or more, got -3"),
    ],
)
def test_bad_input_leaves_no_runpicture_folder(tmp_path: Path, kwargs, message) -> None:
    data = picture_folder(tmp_path / "pics", ["a", "b", "c"], n=1)
    args = {"classes": ["a", "b", "c"], "preprocess": GREY8, **kwargs}
    with pytest.raises(UserInputError, match=message):
        snapshot(TinyConvNet(), out=tmp_path / "runs", data=data, **args)
    runs = tmp_path / "runs"
    assert not runs.exists() or list(runs.iterdir()) == []


def test_a_grey_model_from_a_factory_with_in_channels_and_a_preset(tmp_path: Path) -> None:
    """A factory that takes ``in_channels`` (default 3) and grey weights, with a preset such as
    ``--preprocess stretch``: the model is built for the weights' channels, not for colour."""
    from safetensors.torch import save_file

    from convlens.models import build_model, weights_in_channels

    grey = build_model("paper", in_channels=1, num_classes=3, image_size=32)
    save_file(grey.state_dict(), tmp_path / "w.safetensors")
    assert weights_in_channels(tmp_path / "w.safetensors") == 1
    path = snapshot(
        "paper",
        weights=tmp_path / "w.safetensors",
        classes=["a", "b", "c"],
        preprocess="stretch",
        image_size=32,
        data=picture_folder(tmp_path / "pics", ["a", "b"]),
        out=tmp_path / "runs",
    )
    assert InputContract.from_json(Run.open(path).manifest.model["input"]).channels == 1


def test_a_tuple_output_names_the_snapshot_functions_own_option(tmp_path: Path) -> None:
    class PairOut(TinyConvNet):
        def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:  # type: ignore[override]
            return super().forward(x), x

    data = picture_folder(tmp_path / "pics", ["cat", "dog", "owl"])
    with pytest.raises(UserInputError) as got:
        snapshot(PairOut(), out=tmp_path / "runs", data=data, preprocess=GREY8)
    msg = str(got.value)
    assert "(snapshot(..., output=0))" in msg, msg
    assert "Recorder(" not in msg and "--model-output" not in msg
