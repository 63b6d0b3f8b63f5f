"""The tour's timeline step names two kinds only as the run's own story measures them (the pair
its layer still mixes most, the same pair the layer's verdict names), else speaks in general
words: never a claim about kinds the run may not have."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient

from convlens.analyze.story import LayerStory, RunStory
from convlens.pipelines import story_run
from convlens.server import create_app
from convlens.store import Run
from convlens.views._story import still_tangled
from convlens.views._tour import tour_steps

GENERAL = "Kinds that look alike may stay close for longer."


def _story(purity: float, mixing: float) -> RunStory:
    names = ["bear", "teddy-bear", "car"]
    mix = np.zeros((1, 3, 3))
    mix[0, 0, 1] = mix[0, 1, 0] = mixing
    mix[0, 1, 2] = mix[0, 2, 1] = mixing / 2
    layer = LayerStory("fc", np.full((1, 3), purity), mix, 5)
    return RunStory([1], names, np.array([0.5]), {"fc": layer})


def test_the_pair_is_the_storys_most_tangled_when_the_layer_names_it() -> None:
    assert still_tangled(_story(0.8, 0.3), "fc") == ("bear", "teddy-bear")
    assert still_tangled(_story(0.8, 0.05), "fc") is None  # hardly mixed: nothing to watch
    assert still_tangled(_story(0.2, 0.3), "fc") is None  # all kinds mixed: no one pair
    assert still_tangled(_story(0.8, 0.3), "conv") is None  # a layer the story lacks


def test_the_timeline_step_names_the_pair_or_speaks_generally(fixture_run: Path) -> None:
    run = Run.open(fixture_run)
    confused = (run.classes[0], run.classes[1], 3)
    named = tour_steps(run, "fc", None, confused, None, ("vertical", "blank"))
    assert "Watch vertical and blank: they stay close." in named[1]["text"]
    general = tour_steps(run, "fc", None, confused, None, None)[1]["text"]
    assert general.endswith(GENERAL)
    assert not any(name in general for name in run.classes)  # no kind named without data


def test_the_served_tour_agrees_with_the_stored_story(fixture_run: Path) -> None:
    told = story_run(fixture_run)
    last = Run.open(fixture_run).layers[-1]
    with TestClient(create_app(fixture_run.parent), base_url="http://127.0.0.1") as client:
        text = client.get("/api/tour").json()["steps"][1]["text"]
        verdicts = client.get("/api/runs/fixture/story").json()["layers"]
    pair = still_tangled(told, last)
    assert [v["tangled"] for v in verdicts if v["layer"] == last] == [list(pair) if pair else None]
    if pair:
        assert f"Watch {pair[0]} and {pair[1]}: they stay close." in text
    else:
        assert text.endswith(GENERAL) and "Watch" not in text
