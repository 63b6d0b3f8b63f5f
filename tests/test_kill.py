"""A recording process killed at any instant leaves a run readable up to its last epoch."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from convlens.record import Recorder
from convlens.store import Run
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
