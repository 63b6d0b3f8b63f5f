"""Plain layer names have one source (pipelines/_layer_names.py): the video's panel titles and
the server's lists of layers (the run's recorded layers, the model's layers), which the web's
layer pickers show as they are."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from convlens.pipelines import LayerShape as L
from convlens.pipelines import plain_layer_names
from convlens.pipelines._explain import layer_titles, ordinal
from convlens.server import Settings, create_app


def test_recorded_layers_are_named_from_their_shapes() -> None:
    names = plain_layer_names(
        [L("conv2", None, [16, 5, 5]), L("fc1", None, [120]), L("fc2", None, [10])], 10
    )
    assert names == ["2nd filter layer", "1st combining layer", "the answer layer"]


def test_a_models_layers_are_named_by_type_numbered_by_place_without_a_number() -> None:
    names = plain_layer_names(
        [
            L("features.0", "Conv2d", [8, 30, 30]),
            L("features.1", "ReLU", [8, 30, 30]),
            L("features.2", "MaxPool2d", [8, 15, 15]),
            L("features.3", "Conv2d", [16, 13, 13]),
            L("features.4", "BatchNorm2d", [16, 13, 13]),
            L("flatten", "Flatten", [2704]),
            L("head", "Linear", [3]),
            L("odd", "Identity", [3]),
        ],
        3,
    )
    assert names == [
        "1st filter layer",
        "on/off step",
        "shrinking step",
        "2nd filter layer",
        "rescaling step",
        "flattening step",
        "the answer layer",
        None,
    ]


def test_the_answer_layer_needs_one_number_per_class() -> None:
    assert plain_layer_names([L("fc1", None, [120])], 10) == ["1st combining layer"]
    assert plain_layer_names([L("fc", "Linear", [4])], 10) == ["1st combining layer"]
    assert plain_layer_names([L("mystery")], 10) == [None]


def test_the_videos_titles_use_the_same_names() -> None:
    titles = layer_titles(["conv2", "fc1", "fc2"], [[16, 5, 5], [120], [10]], 10)
    assert titles == ["2nd filter layer (conv2)", "1st combining layer (fc1)", "answer layer (fc2)"]
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111)] == [
        *("1st", "2nd", "3rd", "4th", "11th", "12th", "13th"),
        *("21st", "22nd", "23rd", "101st", "111th"),
    ]


def test_the_server_sends_each_layer_with_its_plain_name(fixture_run: Path) -> None:
    app = create_app(fixture_run.parent, Settings())
    with TestClient(app, base_url="http://127.0.0.1") as client:
        detail = client.get("/api/runs/fixture").json()
        recorded = {li["name"]: li["plain"] for li in detail["layer_info"]}
        assert recorded == {"conv": "1st filter layer", "fc": "the answer layer"}
        model = client.get("/api/runs/fixture/layers").json()["layers"]
    plain = {li["name"]: li["plain"] for li in model}
    assert plain["conv"] == "1st filter layer" and plain["fc"] == "the answer layer"
    assert all("plain" in li for li in model)
    steps = [li for li in model if li["type"] == "ReLU"]
    assert steps and all(li["plain"] == "on/off step" for li in steps)
