"""The projection view of a run with one or two probe pictures (a snapshot of a model on a photo
or two): every method falls back to PCA, whose layout is exact for so few points, and the page
says so instead of "Something went wrong"."""

from __future__ import annotations

import base64
import time

import numpy as np
import pytest
import textstat
from fastapi.testclient import TestClient

from convlens.server import Settings, create_app


@pytest.fixture(params=[1, 2], ids=["one", "two"])
def few(few_picture_run, request: pytest.FixtureRequest):
    runs = few_picture_run(request.param).parent
    with TestClient(create_app(runs, Settings()), base_url="http://127.0.0.1") as c:
        yield c, request.param


def _check(body: dict, n: int, asked: str) -> None:
    assert body["method"] == "pca" and body["n_shown"] == n, body
    c = body["coords"]
    coords = np.frombuffer(base64.b64decode(c["data"]), "<f4").reshape(c["shape"])
    assert coords.shape == (n, 2)
    if n == 2:  # two different pictures: two different dots
        assert not np.allclose(coords[0], coords[1])
    assert np.isfinite(coords).all()
    note = "only two pictures" if n == 2 else "only one picture"
    assert note in body["explanation"]
    if asked != "pca":  # never says it used the method it did not use
        assert "PCA" in body["explanation"] and "instead" in body["explanation"]
    assert textstat.flesch_kincaid_grade(body["explanation"]) <= 9, body["explanation"]


@pytest.mark.parametrize("method", ["pca", "umap", "tsne"])
@pytest.mark.parametrize("layer", ["fc", "pool"])  # recorded, and one the model must run for
def test_a_projection_of_one_or_two_pictures(few, method: str, layer: str) -> None:
    client, n = few
    r = client.get("/api/runs/few/projection", params={"layer": layer, "method": method})
    assert r.status_code == 200, r.text
    _check(r.json(), n, method)


def test_a_projection_job_of_two_pictures(few) -> None:
    client, n = few
    q = {"layer": "fc", "method": "umap"}
    job = client.post("/api/runs/few/projection/job", params=q).json()
    end = time.monotonic() + 120
    while (body := client.get(f"/api/jobs/{job['id']}").json())["state"] not in (
        "done",
        "failed",
        "cancelled",
    ):
        assert time.monotonic() < end, body
    assert body["state"] == "done", body
    _check(client.get("/api/runs/few/projection", params=q).json(), n, "umap")
