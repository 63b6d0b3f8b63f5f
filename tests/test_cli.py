"""The command line end to end: real runs on small data, and one-line errors for bad input."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from convlens.cli import build_parser, main
from convlens.cli._options import options_from_args
from convlens.core import DataOptions, EmbedOptions, RecordOptions, TrainOptions, VideoOptions
from convlens.store import Run, list_runs

TINY = [
    "--data",
    "digits",
    "--image-size",
    "16",
    "--train-per-class",
    "12",
    "--test-per-class",
    "4",
    "--probe-size",
    "20",
    "--train-probe-size",
    "10",
    "--batch-size",
    "16",
    "--lr",
    "3e-3",
]


def _error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    code = main(argv)
    err = capsys.readouterr().err.strip()
    assert code != 0
    assert err.startswith("convlens: error: "), err
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    return err


def test_info_on_fixture_run(fixture_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", str(fixture_run)]) == 0
    out = capsys.readouterr().out
    assert "fixture" in out and "3 completed" in out
    assert "layer      conv" in out and "layer      fc" in out


def test_not_a_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = _error(capsys, ["info", str(tmp_path)])
    assert "is not a ConvLens run" in err


def test_train_bad_inputs_leave_no_run(tmp_path: Path, capsys) -> None:
    out = tmp_path / "runs"
    err = _error(
        capsys, ["train", *TINY, "--epochs", "1", "--out", str(out), "--layers", "conv2,nope"]
    )
    assert "available layers are" in err and "conv1" in err
    err = _error(capsys, ["train", *TINY, "--model", "nosuchmodel", "--out", str(out)])
    assert "paper" in err
    err = _error(capsys, ["train", "--data", str(tmp_path / "missing"), "--out", str(out)])
    assert "missing" in err
    err = _error(capsys, ["train", *TINY, "--epochs", "0", "--out", str(out)])
    assert "--epochs must be positive" in err
    err = _error(capsys, ["train", *TINY])
    assert "--out" in err
    assert not out.exists() or list_runs(out) == []


def test_bad_image_folder_names_the_files(tmp_path: Path, capsys) -> None:
    root = tmp_path / "imgs"
    for split in ("train", "test"):
        for cls in ("a", "b"):
            d = root / split / cls
            d.mkdir(parents=True)
            for i in range(3):
                Image.fromarray(np.full((10, 10), 40 * i, np.uint8)).save(d / f"{i}.png")
    (root / "train" / "a" / "broken.png").write_bytes(b"not a png")
    err = _error(capsys, ["train", "--data", str(root), "--out", str(tmp_path / "runs")])
    assert "broken.png" in err


@pytest.mark.slow
def test_train_resume_embed_video(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runs = tmp_path / "runs"
    # uninterrupted: 2 epochs
    assert (
        main(
            [
                "train",
                *TINY,
                "--epochs",
                "2",
                "--out",
                str(runs),
                "--run-id",
                "full",
                "--layers",
                "conv2,fc1",
            ]
        )
        == 0
    )
    # interrupted after 1 epoch, then resumed to 2
    assert (
        main(
            [
                "train",
                *TINY,
                "--epochs",
                "1",
                "--out",
                str(runs),
                "--run-id",
                "part",
                "--layers",
                "conv2,fc1",
            ]
        )
        == 0
    )
    assert main(["train", "--resume", str(runs / "part"), "--epochs", "2"]) == 0
    full, part = Run.open(runs / "full"), Run.open(runs / "part")
    assert full.epochs == part.epochs == [1, 2]
    from safetensors.numpy import load_file

    a, b = load_file(full.checkpoint_path(2)), load_file(part.checkpoint_path(2))
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=f"resume differs in {k}")
    np.testing.assert_array_equal(full.activations(2, "fc1"), part.activations(2, "fc1"))
    assert full.manifest.probe == {"n": 30, "test": 20, "train": 10}
    err = _error(capsys, ["train", "--resume", str(runs / "part"), "--epochs", "2"])
    assert "already has 2 epochs" in err

    assert main(["embed", str(runs / "full"), "--method", "pca"]) == 0
    assert "trustworthiness" in capsys.readouterr().out
    emb, info = Run.open(runs / "full").embedding("fc1")
    assert emb.shape == (2, 30, 2) and info["method"] == "pca"

    err = _error(capsys, ["video", str(runs / "full"), "--layer", "nope"])
    assert "conv2, fc1" in err
    gif = tmp_path / "v.gif"
    assert (
        main(
            [
                "video",
                str(runs / "full"),
                "--layer",
                "conv2",
                "--layer",
                "fc1",
                "--out",
                str(gif),
                "--width",
                "640",
                "--height",
                "360",
                "--method",
                "pca",
            ]
        )
        == 0
    )
    with Image.open(gif) as im:
        assert im.size[0] <= 640 and im.n_frames > 2
    assert (runs / "full" / "media" / "last_frame.png").is_file()
    assert Run.open(runs / "full").verify() == []


def test_console_script_entry_point() -> None:
    exe = Path(sys.executable).parent / "convlens"
    out = subprocess.run([str(exe), "--help"], capture_output=True, text=True, check=True)
    for cmd in ("demo", "train", "embed", "video", "info"):
        assert cmd in out.stdout


def test_python_dash_m_convlens_is_the_command() -> None:
    for module in ("convlens", "convlens.cli"):
        out = subprocess.run(
            [sys.executable, "-m", module, "snapshot", "--help"],
            capture_output=True,
            text=True,
            check=True,
        )
        assert out.stdout.startswith("usage: convlens snapshot")


# --- options generated from the option dataclasses ---------------------------------------------

_FLAGS = {
    "train": {
        "--data", "--model", "--weights", "--epochs", "--out", "--resume", "--run-id", "--layers",
        "--reducer", "--seed", "--batch-size", "--lr", "--optimizer", "--weight-decay",
        "--device", "--image-size", "--train-per-class", "--test-per-class", "--probe-size",
        "--train-probe-size", "--no-augment", "--no-checkpoints", "--preprocess",
        "--model-output",
    },
    "embed": {"--layer", "--method", "--n-neighbors", "--min-dist", "--seed", "--force"},
    "video": {
        "--layer", "--out", "--gif", "--width", "--height", "--fps", "--color-by",
        "--no-thumbnails", "--no-train", "--method", "--seconds-per-epoch",
    },
}  # fmt: skip


def _subparser(name: str) -> argparse.ArgumentParser:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices[name]


@pytest.mark.parametrize("command", sorted(_FLAGS))
def test_every_flag_is_kept_and_has_help(command: str) -> None:
    p = _subparser(command)
    flags = {s for a in p._actions for s in a.option_strings} - {"-h", "--help"}
    assert flags == _FLAGS[command]
    assert all(a.help for a in p._actions)


def test_defaults_come_from_the_option_dataclasses() -> None:
    train = _subparser("train").parse_args([])
    assert options_from_args(DataOptions, train) == DataOptions()
    assert options_from_args(TrainOptions, train) == TrainOptions()
    assert options_from_args(RecordOptions, train) == RecordOptions()
    video = _subparser("video").parse_args(["run"])
    assert options_from_args(VideoOptions, video) == VideoOptions()
    assert options_from_args(EmbedOptions, _subparser("embed").parse_args(["r"])) == EmbedOptions()
    args = _subparser("train").parse_args(
        ["--no-augment", "--layers", "conv, fc", "--image-size", "32", "--no-checkpoints"]
    )
    assert options_from_args(DataOptions, args) == DataOptions(augment=False, image_size=32)
    assert options_from_args(RecordOptions, args) == RecordOptions(("conv", "fc"), "auto", False)


def test_choices_come_from_the_registries() -> None:
    from convlens.pipelines import OPTIMIZERS
    from convlens.record import REDUCERS
    from convlens.render import COLOR_BY

    def choices(command: str, flag: str) -> list[str]:
        p = _subparser(command)
        return next(a.choices for a in p._actions if flag in a.option_strings)

    assert choices("train", "--reducer") == REDUCERS.names()
    assert choices("train", "--optimizer") == OPTIMIZERS.names()
    assert choices("video", "--color-by") == COLOR_BY.names()
    help_text = _subparser("train").format_help()
    assert "{names}" not in help_text and "{described}" not in help_text
    assert all(name in help_text for name in REDUCERS.names())
