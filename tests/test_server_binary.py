"""Binary answers (``Accept: application/octet-stream``): the JSON answer as safetensors, with the
stated precision, and JSON stays the default."""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from safetensors.numpy import load

from convlens.server import Settings, create_app
from convlens.server._binary import Quant, decode_binary, encode_binary

BINARY = {"Accept": "application/octet-stream"}


def decode_json(arr: dict) -> np.ndarray:
    return np.frombuffer(base64.b64decode(arr["data"]), dtype=arr["dtype"]).reshape(arr["shape"])


def read(body: bytes) -> tuple[dict, dict[str, np.ndarray]]:
    """(metadata, arrays dequantised as the docs say) of a binary answer."""
    return decode_binary(body)


@pytest.fixture
def client(fixture_run: Path):
    with TestClient(create_app(fixture_run.parent, Settings()), base_url="http://127.0.0.1") as c:
        yield c


def test_timeline_binary_equals_json_within_16_bits(client: TestClient) -> None:
    url, params = "/api/runs/fixture/timeline", {"layer": "fc"}
    js = client.get(url, params=params).json()
    r = client.get(url, params=params, headers=BINARY)
    assert r.headers["content-type"] == "application/octet-stream"
    assert "accept" in r.headers["vary"].lower()
    meta, arrays = read(r.content)
    assert meta["format"] == "convlens-arrays" and meta["version"] == 1
    assert meta["fields"] == {k: v for k, v in js.items() if k not in meta["arrays"]}
    assert set(meta["arrays"]) == {"coords", "labels", "predicted", "split"}
    assert meta["arrays"]["coords"]["encoding"] == "u16-delta"
    assert meta["arrays"]["predicted"]["encoding"] == "u8-delta"
    coords = decode_json(js["coords"])
    span = float(coords.max() - coords.min())
    assert np.abs(arrays["coords"] - coords).max() <= span / 65535 / 2 * 1.01
    for name in ("labels", "predicted", "split"):  # integers: lossless, in uint8 here
        assert load(r.content)[name].dtype == np.uint8
        np.testing.assert_array_equal(arrays[name], decode_json(js[name]))


def test_timeline_chunks_are_slices_of_the_whole(client: TestClient) -> None:
    url, whole = "/api/runs/fixture/timeline", {"layer": "fc"}
    _, full = read(client.get(url, params=whole, headers=BINARY).content)
    meta, one = read(
        client.get(url, params={**whole, "start": 1, "stop": 3}, headers=BINARY).content
    )
    assert meta["fields"]["start"] == 1 and meta["fields"]["epochs"] == [1, 2, 3]
    assert set(one) == {"coords", "predicted"}  # labels and split come with the chunk at 0
    np.testing.assert_array_equal(one["predicted"], full["predicted"][1:3])
    step = float(np.ptp(full["coords"])) / 65535  # each answer quantises over its own range
    assert np.abs(one["coords"] - full["coords"][1:3]).max() <= step * 1.01
    js = client.get(url, params={**whole, "start": 2}).json()
    assert js["labels"] is None and decode_json(js["coords"]).shape[0] == 1
    bad = client.get(url, params={**whole, "start": 3})
    assert bad.status_code == 404 and "start < stop" in bad.json()["detail"]


def test_timeline_is_gzipped_only_when_accepted(client: TestClient) -> None:
    url, params = "/api/runs/fixture/timeline", {"layer": "fc"}
    zipped = client.get(url, params=params, headers={**BINARY, "Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in zipped.headers["vary"].lower()
    plain = client.get(url, params=params, headers={**BINARY, "Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.content == zipped.content  # the client undoes the compression


def test_featuremaps_binary_is_8_bits_per_map(client: TestClient) -> None:
    url, params = "/api/runs/fixture/featuremaps", {"layer": "conv", "image": "probe:3"}
    js = client.get(url, params=params).json()
    r = client.get(url, params=params, headers=BINARY)
    meta, arrays = read(r.content)
    assert meta["arrays"]["maps"] == {"dtype": "float32", "shape": js["shape"], "encoding": "u8"}
    maps = decode_json(js["maps"])
    per_map = (maps.max(axis=(1, 2)) - maps.min(axis=(1, 2)))[:, None, None]
    assert (np.abs(arrays["maps"] - maps) <= per_map / 255 / 2 + 1e-6).all()
    assert load(r.content)["maps"].dtype == np.uint8  # a quarter of float32


def test_json_stays_the_default_and_preferred_json_wins(client: TestClient) -> None:
    url = "/api/runs/fixture/timeline"
    assert client.get(url).headers["content-type"] == "application/json"
    both = {"Accept": "application/json, application/octet-stream"}
    assert client.get(url, headers=both).headers["content-type"] == "application/json"
    assert client.get(url, headers={"Accept": "*/*"}).headers["content-type"] == "application/json"


def test_errors_stay_json_when_binary_is_asked(client: TestClient) -> None:
    r = client.get("/api/runs/fixture/timeline", params={"layer": "nope"}, headers=BINARY)
    assert r.status_code == 404 and "fc" in r.json()["detail"]


def test_openapi_documents_the_binary_answer(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    for path in ("/api/runs/{run}/timeline", "/api/runs/{run}/featuremaps"):
        content = doc["paths"][path]["get"]["responses"]["200"]["content"]
        assert set(content) == {"application/json", "application/octet-stream"}


def test_delta_encodings_round_trip_exactly() -> None:
    rng = np.random.default_rng(0)
    walk = np.cumsum(rng.normal(0, 1, (6, 50, 2)), axis=0).astype(np.float32)
    classes = rng.integers(0, 200, (6, 50))
    body = encode_binary(
        {"walk": walk, "classes": classes, "one": walk[:1], "none": walk[:0]},
        {n: Quant(bits=16, delta=True) for n in ("walk", "one", "none")},
        delta=("classes",),
    )
    meta, arrays = read(body)
    assert load(body)["walk"].shape == (2, walk.size)  # byte planes: low bytes, then high
    step = float(np.ptp(walk)) / 65535
    for name in ("walk", "one"):
        assert meta["arrays"][name]["encoding"] == "u16-delta"
        assert np.abs(arrays[name] - walk[: len(arrays[name])]).max() <= step / 2 * 1.01
    assert arrays["none"].shape == (0, 50, 2)
    assert meta["arrays"]["classes"]["encoding"] == "u8-delta"
    np.testing.assert_array_equal(arrays["classes"], classes)


def test_encode_binary_edge_cases() -> None:
    meta, arrays = read(
        encode_binary(
            {
                "flat": np.full((3, 2), 5.0, np.float32),  # zero range: exact
                "neg": np.array([-300, 7], np.int64),  # does not fit uint8: int32
                "empty": np.zeros((0, 4), np.float32),
                "x": 1,
            },
            {"flat": Quant(bits=8, per_row=True), "empty": Quant(bits=16)},
        )
    )
    np.testing.assert_array_equal(arrays["flat"], 5.0)
    np.testing.assert_array_equal(arrays["neg"], [-300, 7])
    assert arrays["empty"].shape == (0, 4) and meta["fields"] == {"x": 1}
    with pytest.raises(ValueError, match="8 or 16"):
        encode_binary({"a": np.zeros(2, np.float32)}, {"a": Quant(bits=4)})
