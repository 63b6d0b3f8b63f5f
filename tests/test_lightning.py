"""ConvLensCallback: one run from two DDP processes, equal to one process; resumes with fit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("lightning")

from safetensors.torch import load_file  # noqa: E402

from convlens.record import Recorder  # noqa: E402
from convlens.store import Run  # noqa: E402
from convlens.testing import TinyConvNet, probe_images  # noqa: E402

SCRIPT = Path(__file__).with_name("lightning_ddp_script.py")
SRC = Path(__file__).resolve().parents[1] / "src"


def _fit(out: Path, devices: int, batch: int) -> None:
    path = os.pathsep.join(p for p in (str(SRC), os.environ.get("PYTHONPATH", "")) if p)
    env = {**os.environ, "PYTHONPATH": path, "OMP_NUM_THREADS": "1", "CONVLENS_QUIET": "1"}
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(out), "--devices", str(devices), "--batch", str(batch)],
        env=env,
        capture_output=True,
        timeout=400,
    )
    assert done.returncode == 0, done.stderr.decode()[-3000:]


@pytest.mark.slow
def test_ddp_on_two_processes_writes_one_run_equal_to_one_process(tmp_path: Path) -> None:
    _fit(tmp_path / "two", devices=2, batch=6)
    _fit(tmp_path / "one", devices=1, batch=12)
    assert [p.name for p in (tmp_path / "two" / "runs").iterdir()] == ["pl"]
    two, one = Run.open(tmp_path / "two/runs/pl"), Run.open(tmp_path / "one/runs/pl")
    assert two.epochs == one.epochs == [1, 2] and two.manifest.status == "complete"
    assert two.verify() == []
    assert "train_loss" in two.metrics()  # the trainer's logged metrics
    for e in two.epochs:
        for layer in ("net.conv", "net.fc"):
            np.testing.assert_allclose(
                two.activations(e, layer), one.activations(e, layer), rtol=1e-3, atol=1e-3
            )
    for k in ("probe_accuracy", "probe_loss", "train_loss"):
        np.testing.assert_allclose(two.metrics()[k], one.metrics()[k], atol=1e-4)
    # every epoch is what one process records from that epoch's weights
    x, y = probe_images(7)
    for e in two.epochs:
        net = TinyConvNet()
        sd = load_file(two.checkpoint_path(e))
        net.load_state_dict({k.removeprefix("net."): v for k, v in sd.items()})
        cap = Recorder(net, x, y, layers="conv,fc").capture()
        np.testing.assert_allclose(
            two.activations(e, "net.fc"), cap.activations["fc"], rtol=1e-3, atol=1e-3
        )


@pytest.mark.slow
def test_resumes_the_same_run_from_the_trainers_checkpoint(tmp_path: Path) -> None:
    import torch
    from lightning.pytorch import Trainer
    from lightning.pytorch.callbacks import ModelCheckpoint
    from torch.utils.data import DataLoader, TensorDataset

    sys.path.insert(0, str(SCRIPT.parent))
    try:
        from lightning_ddp_script import Module
    finally:
        sys.path.remove(str(SCRIPT.parent))
    from convlens.lightning import ConvLensCallback

    x, y = probe_images(3)
    loader = DataLoader(TensorDataset(x, torch.as_tensor(y)), batch_size=3)

    def fit(epochs: int, ckpt: str | None) -> ConvLensCallback:
        cb = ConvLensCallback(x, y, layers="net.fc", out=tmp_path / "runs")
        Trainer(
            accelerator="cpu",
            devices=1,
            max_epochs=epochs,
            callbacks=[cb, ModelCheckpoint(dirpath=tmp_path / "ckpt", save_last=True)],
            logger=False,
            enable_progress_bar=False,
            enable_model_summary=False,
            default_root_dir=tmp_path,
        ).fit(Module(), loader, ckpt_path=ckpt)
        return cb

    first = fit(1, None)
    assert first.state_dict() == {"run": first.run_path}
    second = fit(3, str(tmp_path / "ckpt" / "last.ckpt"))
    assert second.run_path == first.run_path
    assert len(list((tmp_path / "runs").iterdir())) == 1
    run = Run.open(first.run_path)
    assert run.epochs == [1, 2, 3] and run.manifest.status == "complete"
    assert run.verify() == []


def test_other_recorder_arguments_reach_the_recorder(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from convlens.lightning import ConvLensCallback

    x, y = probe_images(n_per_class=2)
    cb = ConvLensCallback(
        x, y, out=tmp_path, layers="conv", keep=3, spec="convlens.testing:TinyConvNet"
    )
    cb.on_train_start(SimpleNamespace(current_epoch=0), TinyConvNet())
    try:
        assert cb.recorder is not None and cb.recorder.history.maxlen == 3
    finally:
        cb._close(None, None, None)
    assert Run.open(cb.run_path).manifest.model["spec"] == "convlens.testing:TinyConvNet"
