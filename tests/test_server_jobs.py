"""Long work as background jobs: progress, cancellation, and a server that answers meanwhile."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from convlens.server import Settings, create_app
from convlens.server._jobs import Job
from convlens.store import Run


@pytest.fixture
def client(fixture_run: Path):
    with TestClient(create_app(fixture_run.parent, Settings()), base_url="http://127.0.0.1") as c:
        yield c


def _until(ready: Callable[[], bool], deadline: float = 60.0) -> None:
    """Poll ``ready`` (a job's state, a counter) until it holds or ``deadline`` seconds pass."""
    end = time.monotonic() + deadline
    while not ready() and time.monotonic() < end:
        time.sleep(0.01)  # polling the state, not waiting for time to pass


def _wait(client: TestClient, job_id: str, deadline: float = 120.0) -> dict:
    """Poll the job until it finishes."""
    body: dict = {}

    def finished() -> bool:
        body.update(client.get(f"/api/jobs/{job_id}").json())
        return body["state"] in ("done", "failed", "cancelled")

    _until(finished, deadline)
    return body


@pytest.fixture
def heard(monkeypatch: pytest.MonkeyPatch) -> list[tuple[float, str]]:
    """Every (progress, message) a job reports while the test runs, in order."""
    said: list[tuple[float, str]] = []
    report = Job.report

    def recording(self: Job, progress: float, message: str) -> None:
        said.append((progress, message))
        report(self, progress, message)

    monkeypatch.setattr(Job, "report", recording)
    return said


def slow_forever(report: Callable[[float, str], None], folder: str) -> None:
    """A deliberately slow job (pure Python, never ends): leaves a temporary file the way a
    killed store write would, then counts."""
    Path(folder, f".tmp-p{os.getpid()}-half.safetensors.x").write_bytes(b"half")
    n = 0
    while True:
        for _ in range(200_000):
            n += 1
        report(0.5, f"pid {os.getpid()} counted to {n}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.timeout(120)
def test_cheap_requests_answer_while_a_slow_job_runs_in_its_own_process(
    client: TestClient, tmp_path: Path
) -> None:
    """The job runs pure Python in a worker process: cheap requests keep answering (a generous
    bound here; the real p99 target is bench/bench_load.py's), cancelling terminates the process
    and removes the temporary it left."""
    jobs = client.app.state.jobs  # type: ignore[attr-defined]
    job = jobs.start_process("graph", "slow", slow_forever, str(tmp_path), clean=[tmp_path])
    _until(lambda: job.message.startswith("pid"))
    assert job.message.startswith("pid"), job.message
    pid = int(job.message.split()[1])
    assert pid != os.getpid() and _alive(pid)  # the work runs in another process
    assert list(tmp_path.glob(".tmp-*"))
    took = []
    for i in range(40):
        t0 = time.perf_counter()
        url = "/api/methods" if i % 2 else f"/api/jobs/{job.id}"
        assert client.get(url).status_code == 200
        took.append(time.perf_counter() - t0)
    took.sort()
    assert took[len(took) // 2] < 0.5 and took[-1] < 3.0, took
    seen = client.get(f"/api/jobs/{job.id}").json()
    assert seen["state"] == "running" and "counted to" in seen["message"]
    gone = client.delete(f"/api/jobs/{job.id}").json()
    assert gone["state"] in ("running", "cancelled")
    final = _wait(client, job.id)
    assert final["state"] == "cancelled" and "nothing was stored" in final["message"]
    assert not _alive(pid)  # terminated, not left running
    assert not list(tmp_path.glob(".tmp-*"))  # its half-written file is gone


def test_the_graph_job_reports_progress_then_the_graph_answers(
    client: TestClient, fixture_run: Path
) -> None:
    r = client.post("/api/runs/fixture/graph/job", params={"epoch": 2})
    assert r.status_code == 202
    job = r.json()
    assert job["kind"] == "graph" and 0 <= job["progress"] <= 1
    again = client.post("/api/runs/fixture/graph/job", params={"epoch": 2}).json()
    assert again["id"] == job["id"]  # the same work is joined, not started twice
    done = _wait(client, job["id"])
    assert done["state"] == "done" and done["progress"] == 1.0
    assert "graph/0002.safetensors" in {a.path for a in Run.open(fixture_run).manifest.artifacts}
    assert client.get("/api/runs/fixture/graph", params={"epoch": 2}).json()["epoch"] == 2


def test_the_graph_jobs_progress_rises_with_the_real_steps_of_the_layout(
    client: TestClient, heard: list[tuple[float, str]]
) -> None:
    job = client.post("/api/runs/fixture/graph/job", params={"epoch": 1}).json()
    assert _wait(client, job["id"])["state"] == "done"
    messages = [m for _, m in heard]
    steps = [
        "importance",
        "laying out and bundling",
        "writing the graph file",
        "drawing the picture",
    ]
    assert all(s in messages for s in steps), messages  # graph_run's own steps, not a clock
    at = [heard[messages.index(s)][0] for s in steps]
    assert at == sorted(at) and len(set(at)) == len(at), heard  # each step further along
    assert at[0] > 0 and at[-1] < 1
    progress = [p for p, _ in heard]
    assert progress == sorted(progress), heard  # never goes back


def test_a_projection_job_keeps_its_answer_for_the_view(client: TestClient) -> None:
    q = {"layer": "fc", "method": "pca", "max_points": 12}
    job = client.post("/api/runs/fixture/projection/job", params=q).json()
    assert _wait(client, job["id"])["state"] == "done"
    direct = client.get("/api/runs/fixture/projection", params=q).json()
    assert direct["n_shown"] == 12 and direct["method"] == "pca"


def test_bad_jobs_are_refused_and_failures_say_why(client: TestClient) -> None:
    assert client.get("/api/jobs/0123456789abcdef").status_code == 404
    assert client.get("/api/jobs/not-a-job").status_code == 422
    assert client.delete("/api/jobs/0123456789abcdef").status_code == 404
    r = client.post("/api/runs/fixture/graph/job", params={"epoch": 9})
    assert r.status_code == 404 and "1, 2, 3" in r.json()["detail"]
    r = client.post("/api/runs/fixture/projection/job", params={"layer": "fc", "method": "x"})
    assert r.status_code == 422
    failed = client.post(
        "/api/runs/fixture/projection/job", params={"layer": "nope", "max_points": 10}
    ).json()
    final = _wait(client, failed["id"])
    assert final["state"] == "failed" and final["error_status"] == 404
    assert "nope" in final["message"]


def test_model_requests_take_turns_and_cheap_ones_answer_meanwhile(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At most MODEL_SLOTS model requests run at once (the rest wait on the event loop, not in
    request threads), so 48 queued model requests leave the cheap routes free."""
    import io
    import threading
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np
    from PIL import Image

    from convlens import views
    from convlens.core import UserInputError
    from convlens.server._deps import MODEL_SLOTS

    inside, most, release = [0], [0], threading.Event()
    lock = threading.Lock()

    def held(*args: object, **kw: object) -> dict:
        with lock:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        release.wait(60)
        with lock:
            inside[0] -= 1
        raise UserInputError("held")

    monkeypatch.setattr(views, "attributions", held)
    with ThreadPoolExecutor(48) as pool:
        asked = [pool.submit(client.get, "/api/runs/fixture/attributions") for _ in range(48)]
        _until(lambda: inside[0] >= MODEL_SLOTS)
        png = io.BytesIO()
        Image.fromarray(np.zeros((8, 8), np.uint8)).save(png, "PNG")
        files = {"file": ("a.png", png.getvalue(), "image/png")}
        with ThreadPoolExecutor(1) as side:  # each must answer while the model requests wait
            for url in ("/api/runs", "/api/runs/fixture", "/api/methods"):
                assert side.submit(client.get, url).result(timeout=20).status_code == 200
            posted = side.submit(client.post, "/api/uploads", files=files)
            assert posted.result(timeout=20).status_code == 200  # an upload takes no slot
        release.set()
        assert [f.result().status_code for f in asked] == [400] * 48
    assert most[0] == MODEL_SLOTS


def test_the_sanity_check_is_a_job_with_a_step_per_scrambled_layer(
    client: TestClient, heard: list[tuple[float, str]]
) -> None:
    q = {"image": "probe:1", "method": "gradcam"}
    job = client.post("/api/runs/fixture/attributions/sanity/job", params=q)
    assert job.status_code == 202 and job.json()["state"] in ("queued", "running", "done")
    assert _wait(client, job.json()["id"])["state"] == "done"
    messages = [m for _, m in heard]
    steps = [
        "making the map of the unchanged network",
        "scrambled up to layer fc (step 1 of 2)",
        "scrambled up to layer conv (step 2 of 2)",
    ]
    assert [m for m in messages if m in steps] == steps, messages  # each layer a step, in order
    progress = [p for p, _ in heard]
    assert progress == sorted(progress) and progress[-1] == 1.0, heard
    first = client.get("/api/runs/fixture/attributions/sanity", params=q).json()
    again = client.get("/api/runs/fixture/attributions/sanity", params=q).json()
    assert first == again  # the job's answer, not a new computation (its own "seconds")
    assert [s["layer"] for s in first["steps"]] == ["fc", "conv"]
    # joining: the same check again is the finished job
    assert (
        client.post("/api/runs/fixture/attributions/sanity/job", params=q).json()["id"]
        == (job.json()["id"])
    )


def test_a_sanity_job_checks_an_upload_and_refuses_bad_input(client: TestClient) -> None:
    import io

    import numpy as np
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.tile(np.arange(16, dtype=np.uint8) * 16, (16, 1))).save(buf, "PNG")
    up = client.post("/api/uploads", files={"file": ("a.png", buf.getvalue(), "image/png")})
    ref = f"upload:{up.json()['id']}"
    job = client.post("/api/runs/fixture/attributions/sanity/job", params={"image": ref}).json()
    assert _wait(client, job["id"])["state"] == "done"  # the worker gets the cut picture
    answer = client.get("/api/runs/fixture/attributions/sanity", params={"image": ref}).json()
    assert answer["n_layers"] == 2
    url = "/api/runs/fixture/attributions/sanity/job"
    r = client.post(url, params={"method": "aligned"})
    assert r.status_code == 422 and "gradcam" in r.json()["detail"]
    assert client.post(url, params={"image": "probe:999"}).status_code == 404
    assert client.post(url, params={"image": "upload:0123456789abcdef"}).status_code == 404
    failed = client.post(url, params={"layer": "nope"}).json()
    final = _wait(client, failed["id"])
    assert final["state"] == "failed" and final["error_status"] in (400, 404)
    assert "nope" in final["message"]


@pytest.mark.parametrize(
    ("method", "steps"),
    [
        ("pca", ["finding the two main directions (PCA)"]),
        ("umap", ["nearest neighbours (UMAP)", "UMAP: step 0 of 500", "UMAP: step 475 of 500"]),
        ("tsne", ["t-SNE", "t-SNE: step 0 of 1000", "t-SNE: step 225 of 1000"]),
    ],
)
def test_a_projection_job_reports_the_methods_real_steps(
    client: TestClient, heard: list[tuple[float, str]], method: str, steps: list[str]
) -> None:
    q = {"layer": "fc", "method": method}
    job = client.post("/api/runs/fixture/projection/job", params=q).json()
    assert _wait(client, job["id"])["state"] == "done"
    messages = [m for _, m in heard]
    at = [next(i for i, m in enumerate(messages) if s in m) for s in steps]
    assert at == sorted(at), messages  # the method's own steps, in order
    progress = [p for p, _ in heard]
    assert progress == sorted(progress) and progress[-1] == 1.0, heard
    answer = client.get("/api/runs/fixture/projection", params=q).json()
    assert answer["method"] == method and 0.5 < answer["quality"]["trustworthiness"] <= 1


@pytest.mark.timeout(120)
def test_job_progress_is_pushed_over_the_live_socket(client: TestClient, tmp_path: Path) -> None:
    """Each move of a job reaches the page without polling: its progress messages while it
    runs, then its end (a fast job's steps may be merged: at most one message per 0.1 s)."""
    jobs = client.app.state.jobs  # type: ignore[attr-defined]
    with client.websocket_connect("ws://127.0.0.1/api/live") as ws:
        assert ws.receive_json()["type"] == "runs"
        job = jobs.start_process("graph", "pushed", slow_forever, str(tmp_path), clean=[tmp_path])
        counted: set[str] = set()
        while len(counted) < 2:  # two different progress messages, each pushed
            msg = ws.receive_json()
            if msg["type"] == "job" and msg["job"]["id"] == job.id:
                assert msg["job"]["state"] in ("queued", "running"), msg
                if "counted to" in msg["job"]["message"]:
                    counted.add(msg["job"]["message"])
        assert client.delete(f"/api/jobs/{job.id}").status_code == 200
        while True:
            msg = ws.receive_json()
            if msg["type"] == "job" and msg["job"]["state"] == "cancelled":
                break
    assert msg["job"]["id"] == job.id and "nothing was stored" in msg["job"]["message"]


def test_neighbours_are_found_in_the_layers_own_space(client: TestClient) -> None:
    """A picture's neighbours are its nearest rows of the layer's activations, not of the
    2-D map."""
    import numpy as np

    from convlens.views._projection import layer_neighbours

    answer = client.get("/api/runs/fixture/projection", params={"layer": "fc"}).json()
    near = np.frombuffer(base64.b64decode(answer["neighbours"]["data"]), "<i4")
    near = near.reshape(answer["neighbours"]["shape"])
    run = Run.open(client.app.state.inspector.run("fixture").path)  # type: ignore[attr-defined]
    x = run.activations(answer["epoch"], "fc")[answer["indices"]].reshape(len(near), -1)
    d = ((x[:, None, :] - x[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    assert (near[:, 0] == d.argmin(axis=1)).mean() > 0.95  # the nearest in the layer comes first
    assert (layer_neighbours(x.astype(np.float32), 3) == near[:, :3]).all()


@pytest.mark.timeout(300)
def test_a_script_without_a_main_guard_can_serve_jobs(fixture_run: Path, tmp_path: Path) -> None:
    """The worker processes never re-run the caller's script (multiprocessing would, and a
    script with no ``if __name__ == "__main__":`` guard would then fail in them)."""
    script = tmp_path / "serve_it.py"
    script.write_text(
        "import time\n"
        "from fastapi.testclient import TestClient\n"
        "from convlens.server import Settings, create_app\n"
        f"app = create_app({str(fixture_run.parent)!r}, Settings())\n"
        "with TestClient(app, base_url='http://127.0.0.1') as c:\n"
        "    q = {'layer': 'fc', 'method': 'pca'}\n"
        "    job = c.post('/api/runs/fixture/projection/job', params=q).json()\n"
        "    while job['state'] in ('queued', 'running'):\n"
        "        time.sleep(0.05)\n"
        "        job = c.get(f\"/api/jobs/{job['id']}\").json()\n"
        "    print('STATE', job['state'], job['message'][:200])\n"
    )
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=240, cwd=tmp_path
    )
    states = [line for line in out.stdout.splitlines() if line.startswith("STATE")]
    assert states == ["STATE done done"], out.stdout + out.stderr[-2000:]  # and ran once
