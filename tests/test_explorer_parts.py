"""The explorer's explanation in sentences, each with the maps it names (``explanation_parts``):
the web highlights the silent maps and the strongest ones while their sentence is pointed at."""

from __future__ import annotations

import base64
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from fastapi.testclient import TestClient

from convlens.server import Settings, create_app
from convlens.views._explorer import featuremaps_explanation


def _maps() -> np.ndarray:
    """Six 4×4 maps: 1 and 4 silent (never above zero), 5 > 2 > 0 the strongest."""
    maps = np.full((6, 4, 4), -0.5, np.float32)
    for ch, peak in ((0, 1.0), (2, 2.0), (3, 0.25), (5, 3.0)):
        maps[ch, 1, 2] = peak
    return maps


def test_each_sentence_names_its_maps() -> None:
    run = SimpleNamespace(classes=["cat", "dog", "owl"])
    out = featuremaps_explanation(run, "conv2", _maps(), "natural", np.array([0.2, 0.7, 0.1]))
    parts = out["explanation_parts"]
    assert " ".join(p["text"] for p in parts) == out["explanation"]
    silent = next(p for p in parts if "find nothing" in p["text"])
    assert silent["channels"] == [1, 4] and silent["text"].startswith("2 of them")
    strong = next(p for p in parts if "most strongly" in p["text"])
    assert strong["channels"] == [5, 2, 0] and "Maps 5, 2 and 0" in strong["text"]
    # map 3 peaks at 0.25 of a scale of 3: it looks as white as the silent ones
    faint = next(p for p in parts if "too faint" in p["text"])
    assert faint["channels"] == [3]
    assert faint["text"] == "1 more finds only a trace of red, too faint to see."
    assert all(p["channels"] == [] for p in parts if p not in (silent, strong, faint))


def test_no_silent_sentence_when_every_map_fires() -> None:
    run = SimpleNamespace(classes=["cat", "dog", "owl"])
    maps = np.abs(_maps()) + 0.1
    parts = featuremaps_explanation(run, "c", maps, "kmeans", np.array([0.2, 0.7, 0.1]))[
        "explanation_parts"
    ]
    assert not any("find nothing" in p["text"] for p in parts)


def test_the_server_sends_the_silent_maps_of_the_picture(fixture_run: Path) -> None:
    app = create_app(fixture_run.parent, Settings())
    with TestClient(app, base_url="http://127.0.0.1") as client:
        for image in ("probe:0", "probe:3"):
            body = client.get(
                "/api/runs/fixture/featuremaps", params={"layer": "conv", "image": image}
            ).json()
            raw = base64.b64decode(body["maps"]["data"])
            maps = np.frombuffer(raw, np.float32).reshape(body["maps"]["shape"])
            want = [int(c) for c in np.flatnonzero(maps.reshape(len(maps), -1).max(1) <= 0)]
            parts = body["explanation_parts"]
            assert " ".join(p["text"] for p in parts) == body["explanation"]
            named = [p["channels"] for p in parts if "find nothing" in p["text"]]
            assert named == ([want] if want else [])


# -- layers whose output is one number per unit --------------------------------------------


def test_the_output_layer_is_called_class_scores_and_names_its_classes() -> None:
    run = SimpleNamespace(classes=["cat", "dog", "owl"])
    scores = np.array([0.5, 2.25, -1.0], np.float32).reshape(3, 1, 1)
    out = featuremaps_explanation(
        run, "fc", scores, "natural", np.array([0.2, 0.7, 0.1]), scores=True
    )
    text = out["explanation"]
    assert "3 class scores that layer fc gives" in text and "cat, dog, owl" in text
    assert "map" not in text and "find nothing" not in text
    top = next(p for p in out["explanation_parts"] if "scores highest" in p["text"])
    assert top["text"] == "Dog scores highest (2.25), then cat (0.50)."
    assert top["channels"] == [1, 0]


def test_a_hidden_layer_of_units_is_not_called_maps() -> None:
    run = SimpleNamespace(classes=["cat", "dog", "owl"])
    units = np.array([0.0, 1.5, -0.2, 0.3], np.float32).reshape(4, 1, 1)
    out = featuremaps_explanation(run, "fc1", units, "natural", np.array([0.2, 0.7, 0.1]))
    assert "4 numbers that layer fc1 makes" in out["explanation"]
    assert "map" not in out["explanation"] and "class scores" not in out["explanation"]
    zero = next(p for p in out["explanation_parts"] if "zero or below" in p["text"])
    assert zero["channels"] == [0, 2]


def test_the_server_calls_only_the_models_output_class_scores(fixture_run: Path) -> None:
    app = create_app(fixture_run.parent, Settings())
    with TestClient(app, base_url="http://127.0.0.1") as client:
        get = lambda layer: client.get(  # noqa: E731
            "/api/runs/fixture/featuremaps", params={"layer": layer, "image": "probe:0"}
        ).json()["explanation"]
        assert "class scores that layer fc gives" in get("fc")
        flat = get("flatten")
        assert "numbers that layer flatten makes" in flat and "class scores" not in flat


def test_a_fully_connected_layers_weights_are_sent_as_a_bounded_matrix(
    fixture_run: Path, monkeypatch
) -> None:
    from convlens.views import _explorer

    monkeypatch.setattr(_explorer, "MAX_WEIGHT_INPUTS", 5)
    app = create_app(fixture_run.parent, Settings())
    with TestClient(app, base_url="http://127.0.0.1") as client:
        body = client.get("/api/runs/fixture/weights", params={"layer": "fc"}).json()
    assert body["shape"] == [3, 18] and body["truncated"] is True
    assert body["weights"]["shape"] == [3, 5]
    assert "one row for each of its 3 units" in body["explanation"]


def test_the_unit_and_score_texts_read_at_grade_9_or_below() -> None:
    import pytest

    textstat = pytest.importorskip("textstat")
    from convlens.views._explorer import weights_text

    run = SimpleNamespace(classes=["cat", "dog", "owl"])
    vec = np.array([0.5, 2.25, -1.0], np.float32).reshape(3, 1, 1)
    probs = np.array([0.2, 0.7, 0.1])
    texts = [
        featuremaps_explanation(run, "fc", vec, "natural", probs, scores=True)["explanation"],
        featuremaps_explanation(run, "fc1", vec, "kmeans", probs)["explanation"],
        weights_text("fc", "Linear", [10, 50], np.zeros(1)),
        featuremaps_explanation(run, "pool2", np.clip(_maps(), 0, None), "natural", probs)[
            "explanation"
        ],
    ]
    grades = [(textstat.flesch_kincaid_grade(t), t) for t in texts]
    assert all(g <= 9 for g, _ in grades), grades


def test_the_top_pictures_name_a_map_a_unit_or_a_class_score(fixture_run: Path) -> None:
    app = create_app(fixture_run.parent, Settings())
    with TestClient(app, base_url="http://127.0.0.1") as client:
        said = {
            layer: client.get(
                "/api/runs/fixture/top", params={"layer": layer, "channel": 1, "k": 3}
            ).json()["explanation"]
            for layer in ("conv", "flatten", "fc")
        }
    assert said["conv"].startswith("These probe pictures excite map 1 of layer conv the most.")
    assert said["flatten"].startswith("These probe pictures excite unit 1 of layer flatten")
    assert (
        said["fc"].startswith("These probe pictures raise the ")
        and " score of layer fc" in said["fc"]
    )
    # and what the number under each picture is
    assert said["conv"].endswith("its strength: the map's average over that picture.")
    assert said["flatten"].endswith("its strength: the unit's value for that picture.")
    assert said["fc"].endswith("The number under each is that score.")


def test_the_colours_named_are_the_colours_drawn() -> None:
    """The web draws maps with negative values blue-white-red and maps all >= 0 (after a ReLU
    or a pool) dark-to-yellow; the words name the colours on screen."""
    run = SimpleNamespace(classes=["cat", "dog", "owl"])
    probs = np.array([0.2, 0.7, 0.1])
    signed = featuremaps_explanation(run, "conv2", _maps(), "natural", probs)["explanation"]
    assert "Red means" in signed and "no red at all" in signed and "Yellow" not in signed
    relu = np.clip(_maps(), 0, None)
    plain = featuremaps_explanation(run, "pool2", relu, "natural", probs)["explanation"]
    assert "Yellow means the layer found its pattern there" in plain
    assert "find nothing in this picture: they stay dark." in plain
    assert "red" not in plain.lower() and "blue" not in plain.lower()
    units = featuremaps_explanation(
        run, "relu3", relu.reshape(-1)[:6].reshape(6, 1, 1), "pca", probs
    )
    assert "Yellow means a unit is strongly on" in units["explanation"]
