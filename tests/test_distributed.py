"""The Recorder under torch.distributed: shares, one writer, no host sync per batch.

The slow tests launch ``torchrun --nproc_per_node=2`` (two real CPU processes over gloo) on
``tests/ddp_record_script.py`` and compare with the same loop in one process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.distributed as dist
from torch import nn
from torch.overrides import TorchFunctionMode

from convlens.core import UserInputError
from convlens.record import Recorder
from convlens.record._distributed import ProbeShare
from convlens.store import Run
from convlens.testing import TinyConvNet, probe_images

SCRIPT = Path(__file__).with_name("ddp_record_script.py")
SRC = Path(__file__).resolve().parents[1] / "src"


def _env() -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(SRC), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, "OMP_NUM_THREADS": "1", "CONVLENS_QUIET": "1"}


def _torchrun(*args: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node=2",
        str(SCRIPT),
        *args,
    ]


def _assert_same_run(a: Run, b: Run) -> None:
    assert a.epochs == b.epochs and a.layers == b.layers
    np.testing.assert_array_equal(a.probe()["labels"], b.probe()["labels"])
    for e in a.epochs:
        for layer in a.layers:
            np.testing.assert_allclose(
                a.activations(e, layer), b.activations(e, layer), rtol=1e-3, atol=1e-3
            )
        np.testing.assert_allclose(a.outputs(e)["logits"], b.outputs(e)["logits"], atol=1e-4)
    for k in ("probe_accuracy", "probe_loss"):
        np.testing.assert_allclose(a.metrics()[k], b.metrics()[k], atol=1e-5)


# -- two real processes -----------------------------------------------------------------------


@pytest.mark.slow
def test_torchrun_writes_one_run_equal_to_one_process(tmp_path: Path) -> None:
    two, one = tmp_path / "two", tmp_path / "one"
    done = subprocess.run(_torchrun(str(two)), env=_env(), capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(one)], env=_env(), capture_output=True, timeout=300
    )
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    # exactly one run, written by rank 0; each rank ran its share (10 and 11 of 21) per epoch
    assert [p.name for p in two.iterdir() if p.is_dir()] == ["ddp"]
    assert [int((two / f"rows-{r}.txt").read_text()) for r in (0, 1)] == [20, 22]
    run = Run.open(two / "ddp")
    assert run.manifest.status == "complete" and run.verify() == []
    _assert_same_run(run, Run.open(one / "ddp"))
    # and each epoch is what one process records from that epoch's weights
    x, y = probe_images(7)
    for e in run.epochs:
        model = TinyConvNet()
        from safetensors.torch import load_file

        model.load_state_dict(load_file(run.checkpoint_path(e)))
        cap = Recorder(model, x, y, layers="conv,fc").capture()
        for layer in run.layers:
            np.testing.assert_allclose(
                run.activations(e, layer), cap.activations[layer], rtol=1e-3, atol=1e-3
            )


@pytest.mark.slow
def test_mismatched_probe_sets_are_refused(tmp_path: Path) -> None:
    done = subprocess.run(
        _torchrun(str(tmp_path), "--mismatch"), env=_env(), capture_output=True, timeout=300
    )
    err = done.stderr.decode()
    assert done.returncode != 0
    assert "error: the probe set differs between the 2 processes" in err, err[-3000:]
    assert not (tmp_path / "ddp").exists()


def _wait_for_epoch(run: Path, pids: list[Path], proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"torchrun exited early: {proc.stderr.read().decode()[-3000:]}")
        try:
            if all(p.is_file() for p in pids) and Run.open(run).epochs:
                return
        except Exception:
            pass
        time.sleep(0.05)
    raise AssertionError("no epoch recorded in time")


@pytest.mark.slow
def test_killed_rank_leaves_the_run_at_its_last_complete_epoch(tmp_path: Path) -> None:
    pids = [tmp_path / f"pid-{r}.txt" for r in (0, 1)]
    proc = subprocess.Popen(
        _torchrun(str(tmp_path), "--forever"),
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for_epoch(tmp_path / "ddp", pids, proc, timeout=120)
        time.sleep(0.3)  # a few more epochs: the kill lands anywhere in one
        os.kill(int(pids[1].read_text()), signal.SIGKILL)
        proc.wait(timeout=120)  # torchrun stops rank 0 too
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode != 0
    run = Run.open(tmp_path / "ddp")
    last = run.epochs[-1]
    assert run.epochs == list(range(1, last + 1))
    assert run.verify() == []
    assert run.activations(last, "fc").shape == (21, 3)
    x, y = probe_images(7)
    with Recorder(TinyConvNet(), x, y, layers="conv,fc", resume=run.path) as rec:
        rec.record_epoch()
    assert Run.open(run.path).epochs == [*run.epochs, last + 1]


# -- in one process ---------------------------------------------------------------------------


def test_shares_cover_the_probe_set_in_order() -> None:
    shares = [ProbeShare(r, 3, 10) for r in range(3)]
    assert [(s.start, s.stop) for s in shares] == [(0, 3), (3, 6), (6, 10)]
    assert [s.writes for s in shares] == [True, False, False]
    with pytest.raises(UserInputError, match="at least one probe example per process"):
        ProbeShare(0, 4, 3)


def test_a_ddp_wrapped_model_is_recorded_by_its_inner_names(tmp_path: Path) -> None:
    from torch.nn.parallel import DistributedDataParallel

    dist.init_process_group("gloo", store=dist.HashStore(), rank=0, world_size=1)
    try:
        model = TinyConvNet()
        x, y = probe_images(2)
        with Recorder(
            DistributedDataParallel(model), x, y, layers="conv,fc", out=tmp_path, run_id="r"
        ) as rec:
            cap = rec.record_epoch()
    finally:
        dist.destroy_process_group()
    assert Run.open(tmp_path / "r").layers == ["conv", "fc"]
    np.testing.assert_allclose(cap.logits, model(x).detach().numpy(), atol=1e-6)


class _HostCopies(TorchFunctionMode):
    """Counts the calls that copy a tensor to the host (each is a sync on a GPU)."""

    NAMES = {"cpu", "numpy", "item", "tolist"}

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def __torch_function__(self, func, types, args=(), kwargs=None):  # noqa: ANN001
        if getattr(func, "__name__", "") in self.NAMES:
            self.count += 1
        return func(*args, **(kwargs or {}))


def test_no_host_copy_per_batch() -> None:
    x, y = probe_images(8)  # 24 probes
    counts = []
    for batch_size in (24, 1):  # one batch, then 24 batches
        rec = Recorder(TinyConvNet(), x, y, layers="conv,relu,fc", batch_size=batch_size)
        with _HostCopies() as copies:
            rec.capture()
        counts.append(copies.count)
    assert counts[0] == counts[1], f"host copies grow with the batches: {counts}"


def test_in_place_operations_after_a_layer_do_not_change_its_record() -> None:
    model = nn.Sequential(nn.Linear(4, 4), nn.ReLU(inplace=True), nn.Linear(4, 2))
    x = torch.linspace(-1, 1, 24).reshape(6, 4)
    cap = Recorder(model, x, layers="0", reducer="none").capture()
    with torch.no_grad():
        expected = model[0](x).numpy()
    assert (expected < 0).any()
    np.testing.assert_allclose(cap.activations["0"], expected, atol=1e-6)
