"""The command line for own models: snapshot, train --preprocess / --model-output, importance
on a Recorder run (the probe-set fallback)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from safetensors.torch import save_file

from convlens.cli import main
from convlens.core import InputContract
from convlens.store import Run
from convlens.testing import TinyConvNet, make_fixture_run

TINY = ["--data", "digits", "--image-size", "16", "--train-per-class", "6"]
TINY += ["--test-per-class", "2", "--probe-size", "10", "--train-probe-size", "0"]


def _error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    code = main(["-q", *argv])
    err = capsys.readouterr().err.strip()
    assert code != 0 and err.startswith("convlens: error: "), err
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    return err


def _pictures(root: Path, classes: list[str], n: int = 2) -> Path:
    rng = np.random.default_rng(0)
    for c in classes:
        (root / c).mkdir(parents=True)
        for i in range(n):
            Image.fromarray(rng.integers(0, 256, (12, 20), dtype=np.uint8)).save(
                root / c / f"{i}.png"
            )
    return root


def test_snapshot_command_writes_a_run_every_view_can_use(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = TinyConvNet(scale=0.5)
    save_file(model.state_dict(), tmp_path / "w.safetensors")
    (tmp_path / "classes.txt").write_text("a\nb\nc\n")
    data = _pictures(tmp_path / "pics", ["a", "c"])

    def argv(run_id: str, size: str = "8", classes: str = "classes.txt") -> list[str]:
        return [
            *("snapshot", "--model", "convlens.testing:TinyConvNet"),
            *("--weights", str(tmp_path / "w.safetensors"), "--classes", str(tmp_path / classes)),
            *("--data", str(data), "--preprocess", "stretch", "--image-size", size),
            *("--out", str(tmp_path / "runs"), "--run-id", run_id),
        ]

    assert main(["-q", *argv("snap")]) == 0
    assert "run written to" in capsys.readouterr().out
    run = Run.open(tmp_path / "runs" / "snap")
    contract = InputContract.from_json(run.manifest.model["input"])
    assert (contract.name, contract.size, contract.channels) == ("stretch", (8, 8), 1)
    assert run.manifest.model["spec"] == "convlens.testing:TinyConvNet"
    assert run.classes == ["a", "b", "c"] and list(run.probe()["labels"]) == [0, 0, 2, 2]
    assert run.probe()["thumbnails"].shape == (4, 8, 8, 1)
    # bad input: one line, no run left behind
    assert "cannot take 1×12×12 input" in _error(capsys, argv("bad", size="12"))
    (tmp_path / "five.txt").write_text("a\nb\nc\nd\ne\n")
    err = _error(capsys, argv("bad", classes="five.txt"))
    assert "do not fit" in err  # the model is built for 5 classes: the weights say 3
    assert "does not exist" in _error(capsys, argv("bad", classes="none.txt"))
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["snap"]


@pytest.mark.slow
def test_train_with_preprocess_and_a_tuple_output_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pairnet.py").write_text(
        textwrap.dedent(
            """
            import torch
            from torch import nn

            class PairNet(nn.Module):
                def __init__(self, num_classes=10, in_channels=1):
                    super().__init__()
                    self.conv = nn.Conv2d(in_channels, 4, 3)
                    self.fc = nn.Linear(4, num_classes)

                def forward(self, x):
                    h = self.conv(x).mean((2, 3))
                    return self.fc(h), h
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    out = tmp_path / "runs"
    err = _error(capsys, ["train", *TINY, "--model", "pairnet:PairNet", "--out", str(out)])
    assert "--model-output 0" in err
    assert "Recorder(" not in err and "output=0" not in err  # the option of this entry point
    assert not out.exists() or not any(out.iterdir())
    err = _error(capsys, ["train", *TINY, "--preprocess", "imagenet", "--out", str(out)])
    assert "--preprocess none" in err
    argv = ["-q", "train", *TINY, "--model", "pairnet:PairNet", "--model-output", "0"]
    argv += ["--epochs", "1", "--out", str(out), "--run-id", "t", "--preprocess", "pad"]
    assert main(argv) == 0
    run = Run.open(out / "t")
    assert InputContract.from_json(run.manifest.model["input"]).resize == "pad"
    assert run.manifest.model["output"] == "0" and run.epochs == [1]


def test_snapshot_of_a_tuple_output_model_takes_model_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import torch

    from convlens import views
    from convlens.views import Inspector

    (tmp_path / "pairnet2.py").write_text(
        textwrap.dedent(
            """
            import torch
            from torch import nn

            class PairNet(nn.Module):
                def __init__(self, num_classes=2, in_channels=1):  # grey unless told
                    super().__init__()
                    self.conv = nn.Conv2d(in_channels, 4, 3)
                    self.fc = nn.Linear(4, num_classes)

                def forward(self, x):
                    h = self.conv(x).mean((2, 3))
                    return self.fc(h), h
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    from pairnet2 import PairNet

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        save_file(PairNet().state_dict(), tmp_path / "w.safetensors")
    (tmp_path / "classes.txt").write_text("a\nb\n")
    out = tmp_path / "runs"
    argv = [
        *("snapshot", "--model", "pairnet2:PairNet", "--weights", str(tmp_path / "w.safetensors")),
        *("--classes", str(tmp_path / "classes.txt"), "--preprocess", "stretch"),
        *("--image-size", "8", "--data", str(_pictures(tmp_path / "pics", ["a", "b"]))),
        *("--out", str(out), "--run-id", "s"),
    ]
    err = _error(capsys, argv)
    assert "--model-output 0" in err
    assert "Recorder(" not in err and "output=0" not in err  # the option of this entry point
    assert not out.exists() or not any(out.iterdir())
    assert main(["-q", *argv, "--model-output", "0"]) == 0
    run = Run.open(out / "s")
    assert run.manifest.model["output"] == "0"
    fm = views.featuremaps(Inspector(out), run, epoch=None, layer="conv", image="probe:0")
    assert len(fm["probabilities"]) == 2


def test_importance_on_a_recorder_run_falls_back_to_the_probe_set(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = make_fixture_run(tmp_path, epochs=1)
    assert main(["-q", "importance", str(run), "--method", "weight"]) == 0
    out = capsys.readouterr().out
    assert "measured on its" in out and "labelled probe pictures" in out
    assert (run / "importance" / "weight-0001.safetensors").is_file()


def test_importance_on_a_snapshot_of_a_flat_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A flat folder gives probe pictures without labels: weight importance needs none and
    works; a method that needs labels says to use it (or class sub-folders)."""
    from convlens.pipelines import snapshot

    flat = tmp_path / "flat"
    flat.mkdir()
    rng = np.random.default_rng(0)
    for i in range(3):
        Image.fromarray(rng.integers(0, 256, (12, 12), dtype=np.uint8)).save(flat / f"{i}.png")
    grey8 = InputContract(size=(8, 8), channels=1, resize="stretch")
    run = snapshot(TinyConvNet(), data=flat, out=tmp_path / "runs", preprocess=grey8)
    assert (Run.open(run).probe()["labels"] < 0).all()
    assert main(["-q", "importance", str(run), "--method", "weight"]) == 0
    assert "measured on its 3 probe pictures" in capsys.readouterr().out
    assert (run / "importance" / "weight-0001.safetensors").is_file()
    err = _error(capsys, ["importance", str(run), "--method", "taylor"])
    assert "no labelled probe pictures: use --method weight" in err
    err = _error(capsys, ["importance", str(run), "--method", "weight", "--prune"])
    assert "pruning measures accuracy" in err
