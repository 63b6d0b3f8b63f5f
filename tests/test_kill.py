"""A recording process killed at any instant leaves a run readable up to its last epoch."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import types
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

import convlens.store._atomic as store_atomic
import convlens.store._writer as store_writer
from convlens.core import RunFormatError
from convlens.record import Recorder
from convlens.store import Run, list_runs, open_for_update
from convlens.testing import TinyConvNet, probe_images

CHILD = r"""
import sys, torch
from convlens.record import Recorder
from convlens.testing import TinyConvNet, probe_images
x, y = probe_images(40)
model = TinyConvNet()
opt = torch.optim.Adam(model.parameters(), lr=0.01)
with Recorder(model, x, y, layers="conv,relu,fc", out=sys.argv[1], run_id="victim",
              reducer="none", thumbnails=(x[:, 0].numpy() * 0).astype("uint8")) as rec:
    for epoch in range(1, 100000):
        with torch.no_grad():
            model.set_weights(1 + epoch / 100)
        rec.record_epoch({"train_loss": 1 / epoch}, optimizer=opt)
"""

TRIALS = 8


def _wait_for_first_epoch(run: Path, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"recorder exited early: {proc.stderr.read().decode()}")
        try:
            if Run.open(run).epochs:
                return
        except Exception:
            pass
        time.sleep(0.02)
    raise AssertionError("the recorder wrote no epoch in time")


@pytest.mark.slow
def test_sigkill_at_random_moments_keeps_runs_readable_and_resumable(tmp_path: Path) -> None:
    rng = np.random.default_rng(12345)
    env = {**os.environ, "CONVLENS_QUIET": "1"}
    seen_epochs = []
    for trial in range(TRIALS):
        out = tmp_path / f"t{trial}"
        proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(out)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            _wait_for_first_epoch(out / "victim", proc)
            time.sleep(float(rng.uniform(0.0, 0.6)))  # the kill moment, not a wait for readiness
            proc.send_signal(signal.SIGKILL)
        finally:
            proc.wait()
        run = Run.open(out / "victim")
        assert run.epochs == list(range(1, len(run.epochs) + 1))
        assert run.verify() == [], f"trial {trial}: {run.verify()}"
        last = run.epochs[-1]
        assert run.activations(last, "fc").shape == (120, 3)
        seen_epochs.append(last)
        # and it resumes from there
        x, y = probe_images(40)
        with Recorder(
            TinyConvNet(), x, y, layers="conv,relu,fc", reducer="none", resume=run.path
        ) as rec:
            rec.record_epoch()
        resumed = Run.open(run.path)
        assert resumed.epochs == [*run.epochs, last + 1]
        assert resumed.verify() == []
        assert not list(resumed.path.rglob(".tmp-*"))
    assert len(set(seen_epochs)) > 1, "kills all landed on the same epoch: not random enough"


# -- a kill between every file write and the manifest update it belongs to ---------------------


class _Killed(BaseException):
    """The process 'dies': raised after the chosen file landed, and by every later write."""


@contextlib.contextmanager
def _kill_after_write(k: int | None) -> Iterator[list[str]]:
    """Let file writes 0..k land, then 'kill' (raise); no file is written after write k.

    Manifest updates are file writes too, so k walks every gap between a file and its listing.
    Yields the paths written, in order (with ``k=None`` nothing is killed: a census).
    """
    real = store_atomic.write_bytes_atomic
    written: list[str] = []

    def write(path: Path, data: bytes, *, fsync: bool = False) -> str:
        if k is not None and len(written) > k:
            raise _Killed
        sha = real(path, data, fsync=fsync)
        written.append(Path(path).name)
        if k is not None and len(written) > k:
            raise _Killed
        return sha

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(store_atomic, "write_bytes_atomic", write)
        mp.setattr(store_writer, "write_bytes_atomic", write)
        yield written


def _record(out: Path | None, resume: Path | None, epochs: int) -> None:
    x, y = probe_images(12)
    model = TinyConvNet()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with Recorder(
        model, x, y, layers="conv,fc", out=out, resume=resume, run_id="victim", reducer="none"
    ) as rec:
        for epoch in range(rec.epoch + 1, epochs + 1):
            with torch.no_grad():
                model.set_weights(1 + epoch / 100)
            rec.record_epoch({"train_loss": 1 / epoch}, epoch=epoch, optimizer=opt)


def _intact_but_probe(run: Run) -> list[str]:
    return [str(p) for p in run.problems() if p.path != "probe/probe.safetensors"]


def test_a_kill_after_any_write_of_a_recorder_leaves_a_readable_resumable_run(
    tmp_path: Path,
) -> None:
    with _kill_after_write(None) as census:
        _record(tmp_path / "ref", None, 2)
    reference = Run.open(tmp_path / "ref" / "victim")
    assert len(census) >= 12 and "manifest.json" in census
    for k in range(len(census)):
        out = tmp_path / f"k{k}"
        with _kill_after_write(k), pytest.raises(_Killed):
            _record(out, None, 2)
        if not (out / "victim").exists():  # killed while the run was being created
            assert list_runs(out) == []
            continue
        run = Run.open(out / "victim")  # readable
        assert _intact_but_probe(run) == [], f"kill after write {k} ({census[k]})"
        assert run.manifest.status in ("recording", "complete")
        has_probe = run.verify() == []
        if not has_probe:  # killed before the probe set was listed: never called complete
            with pytest.raises(RunFormatError, match="probe set"):
                _record(None, run.path, 2)
            assert Run.open(run.path).manifest.status == "recording"
            continue
        _record(None, run.path, 2)  # resumable
        resumed = Run.open(run.path)
        assert resumed.epochs == [1, 2] and resumed.manifest.status == "complete"
        assert resumed.verify() == [], f"kill after write {k}: {resumed.verify()}"
        np.testing.assert_array_equal(resumed.activations(2, "fc"), reference.activations(2, "fc"))
        assert not list(resumed.path.rglob(".tmp-*"))


def test_resume_rewrites_a_damaged_epoch_and_drops_damaged_derived_results(
    tmp_path: Path,
) -> None:
    _record(tmp_path, None, 2)
    run_dir = tmp_path / "victim"
    reference = (run_dir / "epochs" / "0002" / "activations.safetensors").read_bytes()
    open_for_update(run_dir).write_arrays("importance/x-0002.safetensors", {"a": np.ones(2)}, {})
    (run_dir / "epochs" / "0002" / "activations.safetensors").write_bytes(b"damaged")
    (run_dir / "importance" / "x-0002.safetensors").write_bytes(b"damaged")
    assert len(Run.open(run_dir).verify()) == 2
    _record(None, run_dir, 2)
    run = Run.open(run_dir)
    assert run.epochs == [1, 2] and run.verify() == []
    assert (run_dir / "epochs" / "0002" / "activations.safetensors").read_bytes() == reference
    assert run.arrays("importance/x-0002.safetensors") is None  # computed again on demand


TRAIN_ARGS = dict(
    data="digits",
    image_size=16,
    train_per_class=6,
    test_per_class=3,
    probe_size=10,
    train_probe_size=5,
)


def _train_run(out: Path | None = None, resume: Path | None = None, epochs: int = 2) -> Path:
    from convlens.core import DataOptions, RecordOptions, TrainOptions
    from convlens.pipelines import train

    return train(
        DataOptions(**TRAIN_ARGS),
        TrainOptions(epochs=epochs, batch_size=16, lr=3e-3),
        RecordOptions(layers=("conv2", "fc1")),
        out=out,
        resume=resume,
        run_id=None if out is None else "victim",
    )


@pytest.mark.slow
def test_train_killed_at_any_write_of_its_first_epoch_resumes_to_the_same_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run whose first epoch never completed is resumable (not removed): its options are in
    the first manifest, and resuming draws and writes the same probe set again.

    No margins: the resumed run's probe set and checkpoint equal the uninterrupted run's byte
    for byte. Both train in this process with the same torch thread count, which is what makes
    them equal; checked with OMP_NUM_THREADS=1 and =2.
    """
    from convlens.pipelines import _train

    with _kill_after_write(None) as census:
        ref = Run.open(_train_run(tmp_path / "ref", epochs=1))
    first_epoch = len(census) - 1  # every write but the final "complete" manifest
    # a kill runs no clean-up: train() must not get to remove the half-made run
    monkeypatch.setattr(_train, "shutil", types.SimpleNamespace(rmtree=lambda *a, **k: None))
    for k in range(first_epoch):
        out = tmp_path / f"k{k}"
        with _kill_after_write(k), pytest.raises(_Killed):
            _train_run(out, epochs=1)
        if not (out / "victim").exists():
            continue
        run = Run.open(out / "victim")
        assert _intact_but_probe(run) == [], f"kill after write {k} ({census[k]})"
        target = 1 if not run.epochs else 2  # killed after epoch 1 was listed: train one more
        _train_run(resume=run.path, epochs=target)
        resumed = Run.open(run.path)
        assert (
            resumed.epochs == list(range(1, target + 1)) and resumed.manifest.status == "complete"
        ), k
        assert resumed.verify() == [], f"kill after write {k}: {resumed.verify()}"
        for rel in ("probe/probe.safetensors", "checkpoints/0001.safetensors"):
            assert (resumed.path / rel).read_bytes() == (ref.path / rel).read_bytes(), (k, rel)


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_killed_embed_is_repaired_by_running_embed_again(tmp_path: Path) -> None:
    from convlens.core import EmbedOptions
    from convlens.pipelines import embed_run

    _record(tmp_path, None, 2)
    run_dir = tmp_path / "victim"
    options = EmbedOptions(method="pca")
    embed_run(run_dir, options, ["fc"])
    with _kill_after_write(None) as census:
        embed_run(run_dir, options, ["fc"], force=True)
    assert census == ["fc.safetensors", "manifest.json"]
    for k in range(len(census)):
        # the stored embedding covers other epochs, so the listing must change with the file
        (run_dir / "embeddings" / "fc.safetensors").write_bytes(b"x")
        open_for_update(run_dir).register_media(run_dir / "embeddings" / "fc.safetensors")
        with _kill_after_write(k), contextlib.suppress(_Killed):
            embed_run(run_dir, options, ["fc"], force=True)
        assert Run.open(run_dir).verify() in ([], ["embeddings/fc.safetensors: checksum differs"])
        embed_run(run_dir, options, ["fc"])  # no --force: the mismatch alone makes it again
        assert Run.open(run_dir).verify() == [], k


def test_a_killed_video_leaves_nothing_the_next_command_keeps(tmp_path: Path) -> None:
    from convlens.core import EmbedOptions, VideoOptions
    from convlens.pipelines import _video, make_video

    _record(tmp_path, None, 2)
    run_dir = tmp_path / "victim"
    options = VideoOptions(width=640, height=360, fps=4, tween_frames=1, hold_frames=1)
    (run_dir / "media").mkdir(exist_ok=True)
    leftover = run_dir / "media" / f".tmp-p{_dead_pid()}-video.mp4.abc123.mp4"
    leftover.write_bytes(b"half a video")
    mine = run_dir / "media" / f".tmp-p{os.getpid()}-video.mp4.live.mp4"  # a live writer's
    mine.write_bytes(b"being written")

    def killed(*_a: object) -> None:
        raise _Killed

    with pytest.MonkeyPatch.context() as mp, pytest.raises(_Killed):
        mp.setattr(_video, "open_for_update", killed)  # the video landed, its listing did not
        make_video(run_dir, options, embed=EmbedOptions(method="pca"))
    assert not leftover.exists() and mine.exists()
    assert (run_dir / "media" / "video.mp4").is_file()
    assert Run.open(run_dir).verify() == []  # an unlisted file is not a lie
    make_video(run_dir, options, embed=EmbedOptions(method="pca"))
    run = Run.open(run_dir)
    assert run.verify() == [] and run.intact("media/video.mp4")
    mine.unlink()


def test_verify_reports_every_mismatch_and_repairs_what_can_be_recomputed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from convlens.cli import main
    from convlens.core import EmbedOptions
    from convlens.pipelines import embed_run

    _record(tmp_path, None, 2)
    run_dir = tmp_path / "victim"
    embed_run(run_dir, EmbedOptions(method="pca"), ["fc"])
    assert main(["verify", str(run_dir)]) == 0
    assert "every file is intact" in capsys.readouterr().out
    (run_dir / "embeddings" / "fc.safetensors").write_bytes(b"damaged")
    open_for_update(run_dir).write_media("chart.png", b"png")
    (run_dir / "media" / "chart.png").unlink()
    (run_dir / "media" / f".tmp-p{_dead_pid()}-video.mp4.x").write_bytes(b"")
    assert main(["verify", str(run_dir)]) == 1
    out = capsys.readouterr().out
    assert "embeddings/fc.safetensors: checksum differs" in out
    assert "media/chart.png: missing" in out and "left by a killed command" in out
    assert main(["verify", str(run_dir), "--repair"]) == 0
    out = capsys.readouterr().out
    assert "embeddings/fc.safetensors: made again" in out
    assert "media/chart.png: removed" in out
    # a damaged file does not say how it was made: it is made again with the defaults
    emb, info = Run.open(run_dir).embedding("fc")
    assert emb.shape == (2, 36, 2) and info["method"] == EmbedOptions().method
    assert Run.open(run_dir).verify() == [] and not list(run_dir.rglob(".tmp-*"))
    # what training wrote cannot be recomputed: reported, with what to do, and exit 1
    (run_dir / "checkpoints" / "0001.safetensors").write_bytes(b"damaged")
    assert main(["verify", str(run_dir), "--repair"]) == 1
    out = capsys.readouterr().out
    assert "checkpoints/0001.safetensors: checksum differs" in out and "--resume" in out


def test_a_train_killed_after_its_last_epoch_says_so_and_resume_completes_it(
    tmp_path: Path,
) -> None:
    """Killed after the last epoch was listed but before "complete": the run reads as
    ``interrupted`` (its writer is dead), and ``train --resume`` with the same epoch count
    marks it complete after checking it, without training again."""
    with _kill_after_write(None) as census:
        _train_run(tmp_path / "ref", epochs=1)
    assert census[-1] == "manifest.json"  # the last write marks the run complete
    out = tmp_path / "killed"
    with _kill_after_write(len(census) - 2), pytest.raises(_Killed):
        _train_run(out, epochs=1)
    run = Run.open(out / "victim")
    assert run.epochs == [1] and run.manifest.status == "recording"
    assert run.status == "recording"  # its writer (this process) is alive
    note = out / "victim" / ".writer.json"
    note.write_text(note.read_text().replace(str(os.getpid()), str(_dead_pid())))
    assert Run.open(run.path).status == "interrupted"
    checkpoint = (run.path / "checkpoints" / "0001.safetensors").read_bytes()

    assert _train_run(resume=run.path, epochs=1) == run.path
    done = Run.open(run.path)
    assert done.status == "complete" and done.epochs == [1] and done.verify() == []
    assert (run.path / "checkpoints" / "0001.safetensors").read_bytes() == checkpoint
    assert not note.exists()
