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
    assert all(p["channels"] == [] for p in parts if p not in (silent, strong))


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
