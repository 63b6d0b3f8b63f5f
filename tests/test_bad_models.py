"""Bad input around a user's own model (issue 9): a model that cannot be built, weights that do
not fit, and a run whose model cannot be rebuilt later. Each is one line that says what to do;
no run folder is left half-written."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from convlens import views
from convlens.cli import main
from convlens.core import InputContract, UnavailableError, UserInputError
from convlens.models import build_model
from convlens.pipelines import snapshot
from convlens.testing import TinyConvNet
from convlens.views import Inspector

GREY8 = InputContract(size=(8, 8), channels=1, resize="stretch", mean=(0.5,), std=(0.25,))

# A factory that builds TinyConvNet unless told (by an environment variable) to fail or to
# build another width: so a run can be made, and its model later fail to come back.
FACTORY = """
import os
from torch import nn
from convlens.testing import TinyConvNet

def make(num_classes=3):
    if os.environ.get("CONVLENS_TEST_BREAK") == "raise":
        raise RuntimeError("the factory needs a config file")
    if os.environ.get("CONVLENS_TEST_BREAK") == "wider":
        net = TinyConvNet(num_classes=num_classes)
        net.conv = nn.Conv2d(1, 4, 3)
        return net
    return TinyConvNet(num_classes=num_classes)
"""


@pytest.fixture
def factory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    (tmp_path / "badfactory_mod.py").write_text(textwrap.dedent(FACTORY))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("CONVLENS_TEST_BREAK", raising=False)
    return "badfactory_mod:make"


def _pictures(root: Path) -> Path:
    root.mkdir()
    rng = np.random.default_rng(0)
    for i in range(3):
        Image.fromarray(rng.integers(0, 256, (12, 12, 3), dtype=np.uint8)).save(root / f"{i}.png")
    return root


def _classes(tmp_path: Path) -> Path:
    (tmp_path / "classes.txt").write_text("a\nb\nc\n")
    return tmp_path / "classes.txt"


def _no_runs(runs: Path) -> bool:
    return not runs.exists() or not any(runs.iterdir())


def test_a_factory_that_raises_is_one_line_and_leaves_no_run(
    factory: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("CONVLENS_TEST_BREAK", "raise")
    with pytest.raises(UserInputError, match="could not build the model with num_classes=3") as e:
        build_model(factory, in_channels=1, num_classes=3, image_size=8)
    assert "RuntimeError: the factory needs a config file" in str(e.value)
    assert len(str(e.value).splitlines()) == 1
    data = _pictures(tmp_path / "pics")
    torch.save(TinyConvNet().state_dict(), tmp_path / "w.pth")
    code = main(
        [
            *("-q", "snapshot", "--model", factory, "--weights", str(tmp_path / "w.pth")),
            *("--preprocess", "stretch", "--classes", str(_classes(tmp_path))),
            *("--image-size", "8", "--data", str(data), "--out", str(tmp_path / "runs")),
        ]
    )
    err = capsys.readouterr().err.strip()
    assert code != 0 and "Traceback" not in err and len(err.splitlines()) == 1, err
    assert "could not build the model" in err and "fix the factory" in err
    assert _no_runs(tmp_path / "runs")


def test_weights_that_do_not_fit_leave_no_run(tmp_path: Path) -> None:
    torch.save(TinyConvNet(num_classes=5).state_dict(), tmp_path / "five.pth")
    with pytest.raises(UserInputError, match=r"do not fit TinyConvNet.*fc\.weight \[5, 18\]"):
        snapshot(
            TinyConvNet(num_classes=3),
            weights=tmp_path / "five.pth",
            out=tmp_path / "runs",
            data=_pictures(tmp_path / "pics"),
            preprocess=GREY8,
        )
    assert _no_runs(tmp_path / "runs")


GREY_ONLY = """
from torch import nn

def grey(num_classes=2):  # takes 1-channel 8 px pictures only, and no in_channels to change it
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.Flatten(), nn.Linear(4 * 6 * 6, num_classes))
"""


def test_train_on_pictures_the_model_cannot_take_is_one_line_and_leaves_no_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    (tmp_path / "greyonly_mod.py").write_text(textwrap.dedent(GREY_ONLY))
    monkeypatch.syspath_prepend(str(tmp_path))
    rng = np.random.default_rng(0)
    for split in ("train", "test"):
        for name in ("a", "b"):
            folder = tmp_path / "data" / split / name
            folder.mkdir(parents=True)
            for i in range(2):
                picture = rng.integers(0, 256, (12, 12, 3), dtype=np.uint8)
                Image.fromarray(picture).save(folder / f"{i}.png")
    code = main(
        [
            *("-q", "train", "--data", str(tmp_path / "data"), "--model", "greyonly_mod:grey"),
            *("--epochs", "1", "--image-size", "8", "--out", str(tmp_path / "runs")),
        ]
    )
    err = capsys.readouterr().err.strip()
    assert code != 0 and "Traceback" not in err and len(err.splitlines()) == 1, err
    assert "cannot take input of shape [1, 3, 8, 8]" in err and "in_channels" in err
    assert _no_runs(tmp_path / "runs")


@pytest.mark.parametrize(
    ("broken", "says"),
    [("raise", "could not build the model"), ("wider", "do not fit")],
)
def test_a_run_whose_model_cannot_come_back_says_so_in_every_forward_view(
    factory: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, broken: str, says: str
) -> None:
    torch.save(TinyConvNet().state_dict(), tmp_path / "w.pth")
    snapshot(
        factory,
        weights=tmp_path / "w.pth",
        out=tmp_path / "runs",
        data=_pictures(tmp_path / "pics"),
        classes=["a", "b", "c"],
        preprocess=GREY8,
        run_id="r",
    )
    monkeypatch.setenv("CONVLENS_TEST_BREAK", broken)  # the code changed after the run
    insp = Inspector(tmp_path / "runs")
    run = insp.run("r")
    for ask in (
        lambda: views.layers(insp, run, None),
        lambda: views.featuremaps(insp, run, epoch=None, layer="conv", image="probe:0"),
    ):
        with pytest.raises(UnavailableError, match=f"cannot be rebuilt here.*{says}") as e:
            ask()
        assert len(str(e.value).splitlines()) == 1
