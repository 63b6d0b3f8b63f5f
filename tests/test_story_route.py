"""GET /api/runs/{run}/story: the run's events and layer verdicts, as the web reads them."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from convlens.pipelines import load_story, run_story, story_run
from convlens.server import create_app
from convlens.store import Run


def _client(run_dir: Path) -> TestClient:
    return TestClient(create_app(run_dir.parent), base_url="http://127.0.0.1")


def test_story_route_serves_the_stored_story(fixture_run: Path) -> None:
    story_run(fixture_run)
    told = load_story(Run.open(fixture_run))  # as stored (float32)
    assert told is not None
    r = _client(fixture_run).get("/api/runs/fixture/story")
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["epochs"] == told.epochs and got["classes"] == told.class_names
    assert [(e["epoch"], e["kind"], e["text"]) for e in got["events"]] == [
        (e.epoch, e.kind, e.text) for e in told.events
    ]
    assert [v["layer"] for v in got["layers"]] == list(told.layers)
    for v in got["layers"]:
        ls = told.layers[v["layer"]]
        assert v["sentence"] == told.layer_sentence(v["layer"])
        assert v["separates_kinds"] == ls.separates_kinds()
        assert ("does not separate" in v["sentence"]) == (not v["separates_kinds"])
        pair = ls.most_tangled()
        if v["tangled"] is None:
            assert " still overlap here" not in v["sentence"]
        else:
            assert pair is not None and v["tangled"] == [told.class_names[pair[0]],
                                                         told.class_names[pair[1]]]  # fmt: skip
            assert f"{v['tangled'][0].capitalize()} and {v['tangled'][1]}" in v["sentence"]


def test_story_route_without_a_stored_story_measures_it_and_writes_nothing(
    fixture_run: Path,
) -> None:
    before = sorted(p.name for p in fixture_run.rglob("*"))
    r = _client(fixture_run).get("/api/runs/fixture/story")
    assert r.status_code == 200, r.text
    assert len(r.json()["events"]) == len(run_story(Run.open(fixture_run)).events)
    assert sorted(p.name for p in fixture_run.rglob("*")) == before


def test_story_route_refuses_an_unknown_run_in_one_line(fixture_run: Path) -> None:
    r = _client(fixture_run).get("/api/runs/nope/story")
    assert r.status_code == 404
    assert "\n" not in r.json()["detail"] and "fixture" in r.json()["detail"]


def test_the_tour_tells_a_stored_event_and_never_measures_one(
    fixture_run: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import convlens.pipelines._story as story_module

    client = _client(fixture_run)

    def cold(*args: object, **kwargs: object) -> None:
        raise AssertionError("the tour measured the story (a cold computation)")

    monkeypatch.setattr(story_module, "compute_story", cold)
    steps = {s["id"]: s for s in client.get("/api/tour").json()["steps"]}
    assert "marks on the slider" not in steps["timeline"]["text"]  # nothing stored yet
    monkeypatch.undo()

    told = story_run(fixture_run)
    monkeypatch.setattr(story_module, "compute_story", cold)
    steps = {s["id"]: s for s in client.get("/api/tour").json()["steps"]}
    last = Run.open(fixture_run).layers[-1]
    mine = [e.text for e in told.events if e.layer == last]
    event = (mine or [e.text for e in told.events if e.layer is None])[0]
    assert event in steps["timeline"]["text"]
    timeline = steps["timeline"]
    assert timeline["target"] == "epoch-player" and timeline["play"] is True
    assert "&epoch=1" in timeline["route"]
    assert steps["classgrads"]["target"] == "classgrad-chart"
    assert all(s["target"] for s in steps.values())


def test_a_probe_set_without_labels_gets_no_events_and_says_why(fixture_run: Path) -> None:
    import numpy as np

    from convlens.views import story

    run = Run.open(fixture_run)

    class Unlabelled:  # a snapshot of a flat folder of pictures: every label is -1
        def probe(self, r: Run) -> dict[str, np.ndarray]:
            return {"labels": -np.ones(24, np.int64)}

    got = story(Unlabelled(), run)  # type: ignore[arg-type]
    assert got["events"] == [] and [v["layer"] for v in got["layers"]] == run.layers
    assert all("no labels" in v["sentence"] and v["tangled"] is None for v in got["layers"])


def test_each_epoch_is_measured_once_per_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A live run's story is asked for at every epoch: each epoch's measure is kept in the
    server's array cache under its activations file, so a new epoch measures that epoch only."""
    import convlens.pipelines._story as story_mod
    from convlens import views
    from convlens.record import Recorder
    from convlens.testing import TinyConvNet, make_fixture_run, probe_images
    from convlens.views import Inspector

    calls: list[int] = []
    real = story_mod.class_separation

    def counting(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(story_mod, "class_separation", counting)
    run_dir = make_fixture_run(tmp_path / "runs", epochs=3, run_id="measured")
    insp = Inspector(tmp_path / "runs")
    run = Run.open(run_dir)
    first = views.story(insp, run)
    assert len(calls) == 3 * len(run.layers)
    x, y = probe_images(8, 0)
    with Recorder(TinyConvNet(scale=2.0), x, y, layers=["conv", "fc"], resume=run_dir) as rec:
        rec.record_epoch({"train_loss": 0.2, "test_accuracy": 0.9})
    grown = views.story(insp, Run.open(run_dir))
    assert len(calls) == 4 * len(run.layers)  # only epoch 4 was measured
    assert grown["epochs"] == [1, 2, 3, 4]
    for a, b in zip(first["layers"], grown["layers"], strict=True):
        assert a["mean_purity"] == b["mean_purity"][:3]
