"""``convlens serve`` stopped by Ctrl-C or SIGTERM after it ran a job: a clean end (exit status
0), no "leaked semaphore" warning from multiprocessing's resource tracker, no stray progress
bars from the job's worker process in the server's terminal."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from _serve import start_serve


def _json(url: str, method: str = "GET", origin: str | None = None) -> dict:
    headers = {"Origin": origin} if origin else {}
    req = urllib.request.Request(url, method=method, headers=headers)
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


@pytest.mark.timeout(180)
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_serve_ends_cleanly_after_a_job(fixture_run: Path, sig: signal.Signals) -> None:
    # not quiet: the worker's progress bars would show in the server's terminal
    proc, url = start_serve(str(fixture_run.parent), "--port", "0", quiet=False)
    try:
        assert proc.stderr is not None
        base = url.rstrip("/")
        # the graph job runs in a worker process and shows progress bars (tqdm) there
        job = _json(f"{base}/api/runs/fixture/graph/job", "POST", origin=base)
        end = time.monotonic() + 120
        while (state := _json(f"{base}/api/jobs/{job['id']}")["state"]) not in (
            "done",
            "failed",
            "cancelled",
        ):
            assert time.monotonic() < end, state
            time.sleep(0.05)  # polling the job, not waiting for a guess
        assert state == "done"
        proc.send_signal(sig)
        code = proc.wait(timeout=60)
        err = proc.stderr.read()
    finally:
        if proc.poll() is None:  # pragma: no cover - a hung server fails the test
            proc.kill()
            proc.wait()
    assert "leaked semaphore" not in err, err
    assert "Traceback" not in err and "bundling edges" not in err, err
    assert code == 0, (code, err)


_BAR_JOB = """
from convlens.core import progress


def bars_forever(report):
    for i in progress(range(10**12), desc="counting"):
        if i % 100_000 == 0:
            report(0.5, f"counted to {i}")
"""

_CANCEL = """
import time
from fastapi.testclient import TestClient
from convlens.server import Settings, create_app
app = create_app({runs!r}, Settings())
with TestClient(app, base_url="http://127.0.0.1") as c:
    job = app.state.jobs.start_process("graph", "bars", "barjob:bars_forever")
    while not job.message.startswith("counted"):
        time.sleep(0.02)  # polling the job, not waiting for a guess
    c.delete(f"/api/jobs/{{job.id}}")
    while job.state not in ("cancelled", "failed", "done"):
        time.sleep(0.02)
    print("STATE", job.state)
"""


@pytest.mark.timeout(180)
def test_a_cancelled_job_leaves_no_semaphore(fixture_run: Path, tmp_path: Path) -> None:
    """A cancelled job's process is terminated: whatever it held must not outlive it."""
    (tmp_path / "barjob.py").write_text(_BAR_JOB)
    script = tmp_path / "cancel_it.py"
    script.write_text(_CANCEL.format(runs=str(fixture_run.parent)))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    env.pop("CONVLENS_QUIET", None)
    out = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=170,
        cwd=tmp_path,
        env=env,
    )
    assert "STATE cancelled" in out.stdout, out.stdout + out.stderr[-2000:]
    assert "leaked semaphore" not in out.stderr, out.stderr[-2000:]
    assert "counting" not in out.stderr, out.stderr[-2000:]  # no bars from the job's process
