"""Long work as background jobs: progress, cancellation, and a server that answers meanwhile."""

from __future__ import annotations

import threading
import time
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


def _wait(client: TestClient, job_id: str, deadline: float = 120.0) -> dict:
    """Poll the job until it finishes."""
    end = time.monotonic() + deadline
    while True:
        body = client.get(f"/api/jobs/{job_id}").json()
        if body["state"] in ("done", "failed", "cancelled") or time.monotonic() > end:
            return body


@pytest.mark.timeout(120)
def test_cheap_requests_answer_while_a_slow_job_holds_the_locks(client: TestClient) -> None:
    """The job holds what the issue's slow requests held (the run's write lock and its model's
    lock) and never ends until cancelled: a cheap request that waited for any of it would never
    answer (the timeout fails the test). How fast they answer is a benchmark's business
    (bench/bench_load.py, bench/RESULTS.md), not a timed test's."""
    insp = client.app.state.inspector  # type: ignore[attr-defined]
    jobs = client.app.state.jobs  # type: ignore[attr-defined]
    run = insp.run("fixture")
    model = insp.models.get(run)
    started, pause = threading.Event(), threading.Event()

    def slow(job: Job) -> None:
        with insp.writing(run), model.lock:
            started.set()
            n = 0
            while True:
                for _ in range(5_000):  # about a millisecond of pure Python
                    n += 1
                job.report(0.5, f"counted to {n}")
                pause.wait(0.002)  # a job's I/O: the GIL is free meanwhile

    job = jobs.start("graph", "slow", slow)
    assert started.wait(30)
    for i in range(100):
        url = "/api/methods" if i % 2 else f"/api/jobs/{job.id}"
        assert client.get(url).status_code == 200
    assert client.get("/api/runs").status_code == 200
    seen = client.get(f"/api/jobs/{job.id}").json()
    assert seen["state"] == "running" and seen["message"].startswith("counted to")
    gone = client.delete(f"/api/jobs/{job.id}").json()
    assert gone["state"] in ("running", "cancelled")
    final = _wait(client, job.id)
    assert final["state"] == "cancelled" and "nothing was stored" in final["message"]


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
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    heard: list[tuple[float, str]] = []
    report = Job.report

    def recording(self: Job, progress: float, message: str) -> None:
        heard.append((progress, message))
        report(self, progress, message)

    monkeypatch.setattr(Job, "report", recording)
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
