"""Bad input gets a 4xx with a message, never a 5xx, and the server keeps serving after it."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from convlens.server import create_app
from convlens.views import NotAnImageError, UploadTooLargeError, decode_image, to_model_input

BAD_RUN_IDS = ["nope", "..", "%2e%2e", "..%2f..%2fetc", "fixture%00", "a" * 300, "fixture.."]
BAD_QUERIES = [
    {"layer": "no_such_layer"},
    {"layer": "conv", "epoch": "999"},
    {"layer": "conv", "epoch": "-1"},
    {"layer": "conv", "epoch": "two"},
    {"layer": "conv", "image": "probe:9999"},
    {"layer": "conv", "image": "upload:0123456789abcdef"},
    {"layer": "conv", "image": "../../etc/passwd"},
    {"layer": "conv", "image": "probe:-1"},
    {"layer": "conv", "channel": "99"},
    {"layer": "conv", "channel": "-3"},
    {"layer": "conv", "order": "random"},
    {"layer": "conv", "clusters": "1"},
    {"layer": "conv", "method": "magic"},
    {"layer": "conv", "target": "giraffe"},
    {"layer": "conv", "target": "17"},
    {"layer": "relu", "channel": "0"},
    {"layer": "conv", "max_points": "3"},
    {"layer": "conv", "method": "gradcam", "target": "vertical", "k": "0"},
    {"layer": "fc", "reference": "giraffe"},
    {},
]


def _png(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(side: int = 50_000) -> bytes:
    """A small file whose header claims ``side``×``side`` grey pixels (2.5 gigapixels)."""
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (side + 1) * 64, 9)  # the first rows only: enough to look real
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", rows) + _chunk(b"IEND", b"")
    )


@pytest.fixture
def client(fixture_run: Path):
    with TestClient(
        create_app(fixture_run.parent), base_url="http://127.0.0.1", raise_server_exceptions=False
    ) as c:
        yield c


def _get_paths(client: TestClient) -> list[str]:
    """Every GET endpoint the app publishes (its OpenAPI document lists them all)."""
    paths = client.get("/openapi.json").json()["paths"]
    return [p for p, ops in paths.items() if "get" in ops]


def test_every_endpoint_answers_bad_input_with_4xx(client: TestClient) -> None:
    checked = 0
    endpoints = _get_paths(client)
    assert len(endpoints) >= 12
    for endpoint in endpoints:
        paths = []
        for run in ["fixture", *BAD_RUN_IDS]:
            p = endpoint.replace("{run}", run).replace("{index}", "99999")
            p = p.replace("{upload_id}", "zz")
            paths.append(p)
        for path in paths:
            for query in BAD_QUERIES:
                r = client.get(path, params=query)
                checked += 1
                assert r.status_code < 500, (path, query, r.status_code, r.text)
                if r.status_code >= 400 and r.headers["content-type"].startswith("application"):
                    detail = r.json()["detail"]
                    assert detail, (path, query)
    assert checked > 500
    assert client.get("/api/runs").status_code == 200  # still serving


@pytest.mark.parametrize(
    ("path", "query", "status", "says"),
    [
        ("/api/runs/nope", {}, 404, "runs are fixture"),
        ("/api/runs/fixture/featuremaps", {"layer": "zz"}, 404, "conv, relu, pool"),
        ("/api/runs/fixture/featuremaps", {"layer": "conv", "epoch": 9}, 404, "1, 2, 3"),
        ("/api/runs/fixture/attributions", {"target": "giraffe"}, 404, "vertical"),
        ("/api/runs/fixture/attributions", {"method": "magic"}, 422, "gradcam"),
        ("/api/runs/fixture/top", {"layer": "conv", "channel": 5}, 404, "0..1"),
        ("/api/runs/fixture/weights", {"layer": "relu"}, 404, "conv, fc"),
        (
            "/api/runs/fixture/featuremaps",
            {"layer": "conv", "image": "upload:0123456789abcdef"},
            404,
            "upload the image again",
        ),
        ("/api/runs/fixture/featuremaps", {"layer": "conv", "image": "x"}, 422, "probe:N"),
        ("/api/runs/fixture/featuremaps", {"epoch": 1}, 422, "layer: Field required"),
    ],
)
def test_errors_name_what_exists(
    client: TestClient, path: str, query: dict, status: int, says: str
) -> None:
    r = client.get(path, params=query)
    assert r.status_code == status, r.text
    assert says in r.json()["detail"]


def test_run_ids_cannot_escape_the_runs_folder(client: TestClient, fixture_run: Path) -> None:
    outside = fixture_run.parent.parent / "outside"
    outside.mkdir()
    (outside / "manifest.json").write_text((fixture_run / "manifest.json").read_text())
    for rid in ("../outside", "..%2Foutside", "%2e%2e/outside"):
        r = client.get(f"/api/runs/{rid}")
        assert r.status_code == 404, rid
    assert client.get("/api/runs/fixture").status_code == 200


def _upload(client: TestClient, data: bytes, name: str = "x.png"):
    return client.post("/api/uploads", files={"file": (name, data, "application/octet-stream")})


def test_bad_uploads_are_refused_with_a_message(client: TestClient) -> None:
    noise = np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    good = _png(noise)
    cases = [
        (b"", 415, "empty"),
        (b"this is not an image at all", 415, "PNG, JPEG"),
        (good[: len(good) // 2], 415, "damaged"),
        (png_bomb(), 413, "megapixels"),
        (b"\x89PNG" + b"\x00" * (11 * 2**20), 413, "MB"),
        (b"\x80\x04\x95" + b"cos\nsystem\n(S'echo pwned'\ntR.", 415, "PNG, JPEG"),  # a pickle
    ]
    for data, status, says in cases:
        r = _upload(client, data)
        assert r.status_code == status, (says, r.text)
        assert says in r.json()["detail"]
    assert client.post("/api/uploads").status_code in (400, 422)
    assert _upload(client, good).status_code == 200  # still serving uploads


def test_bomb_is_refused_before_decoding() -> None:
    import tracemalloc

    tracemalloc.start()
    with pytest.raises(UploadTooLargeError):
        decode_image(png_bomb())
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 20 * 2**20  # decoding 2.5 gigapixels would need gigabytes


def test_image_modes_become_grey_or_rgb() -> None:
    rgba = np.zeros((4, 5, 4), np.uint8)
    rgba[..., 3] = 0  # fully transparent: laid on white
    assert decode_image(_png(rgba)).shape == (4, 5, 3)
    assert (decode_image(_png(rgba)) == 255).all()
    assert decode_image(_png(np.zeros((6, 6), np.uint8))).shape == (6, 6, 1)
    deep = Image.fromarray(np.arange(64, dtype=np.uint16).reshape(8, 8) * 1000)
    buf = io.BytesIO()
    deep.save(buf, format="PNG")
    grey = decode_image(buf.getvalue())
    assert grey.shape == (8, 8, 1) and grey.max() == 255 and grey.min() == 0
    cmyk = io.BytesIO()
    Image.new("CMYK", (3, 3), (0, 255, 0, 0)).save(cmyk, format="JPEG")
    assert decode_image(cmyk.getvalue()).shape == (3, 3, 3)


def test_model_input_conversion() -> None:
    img = np.zeros((30, 40, 3), np.uint8)
    img[:, 5:35] = 200
    out = to_model_input(img, 1, 8)
    assert out.shape == (8, 8, 1) and out.dtype == np.uint8 and out.flags.writeable
    assert to_model_input(out, 3, 8).shape == (8, 8, 3)
    with pytest.raises(ValueError, match="2-channel"):
        to_model_input(img, 2, 8)


def test_not_an_image_error_is_a_user_error() -> None:
    with pytest.raises(NotAnImageError):
        decode_image(b"GIF89a broken")


def test_allow_names_every_method_of_a_path(client: TestClient) -> None:
    """OPTIONS and a 405 list every method the path answers (not the first route's only)."""
    assert client.options("/api/uploads").status_code == 204
    assert client.options("/api/uploads").headers["allow"] == "OPTIONS, POST"
    assert client.options("/api/methods").headers["allow"] == "GET, OPTIONS"
    for method in ("GET", "PUT", "DELETE"):
        response = client.request(method, "/api/uploads")
        assert response.status_code == 405, method
        assert response.headers["allow"] == "OPTIONS, POST"
        assert "POST" in response.json()["detail"]
