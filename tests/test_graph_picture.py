"""``graph.png`` of a run whose graph file is stored but whose picture is missing (a run made
before the picture was written first, or a job killed between the two): drawn again from the
graph file and listed in the run, never a 500."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from convlens.pipelines import graph_run
from convlens.server import Settings, create_app
from convlens.store import Run

PNG = b"\x89PNG\r\n\x1a\n"


def _listed(run_dir: Path) -> set[str]:
    return {a.path for a in Run.open(run_dir).manifest.artifacts}


@pytest.mark.parametrize("listed", [True, False], ids=["listed-but-gone", "never-listed"])
def test_a_missing_graph_picture_is_drawn_again_from_the_graph_file(
    fixture_run: Path, listed: bool
) -> None:
    made = graph_run(fixture_run, epoch=1, bundler="straight")
    drawn = made.picture.read_bytes()
    made.picture.unlink()
    if not listed:  # an older run: the manifest never heard of the picture
        mf = fixture_run / "manifest.json"
        data = json.loads(mf.read_text())
        data["artifacts"] = [a for a in data["artifacts"] if a["path"] != "media/graph-0001.png"]
        mf.write_text(json.dumps(data))
    assert "media/graph-0001.png" not in _listed(fixture_run) or listed
    app = create_app(fixture_run.parent, Settings())
    with TestClient(app, base_url="http://127.0.0.1") as client:
        r = client.get("/api/runs/fixture/graph.png", params={"epoch": 1})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/png" and r.content.startswith(PNG)
    assert r.content == drawn  # the same picture graph_run drew
    assert "media/graph-0001.png" in _listed(fixture_run)
    assert Run.open(fixture_run).verify() == []


def test_a_picture_that_cannot_be_drawn_again_is_a_409_saying_what_to_do(
    fixture_run: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from convlens.pipelines import _graph

    made = graph_run(fixture_run, epoch=1, bundler="straight")
    made.picture.unlink()

    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("a layout it cannot draw")

    monkeypatch.setattr(_graph, "draw_graph", broken)
    app = create_app(fixture_run.parent, Settings())
    with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as client:
        r = client.get("/api/runs/fixture/graph.png", params={"epoch": 1})
    assert r.status_code == 409, r.text
    assert "could not be drawn" in r.json()["detail"]
    assert "convlens graph" in r.json()["detail"] and "--checkpoint 1" in r.json()["detail"]
