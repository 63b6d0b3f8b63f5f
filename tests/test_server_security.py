"""Origin checks, strong tokens, and upload limits applied while the bytes arrive."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from starlette.websockets import WebSocketDisconnect

from convlens.core import UserInputError
from convlens.server import Settings, create_app
from convlens.server._security import resolve_token
from convlens.server._uploads import LIMIT
from convlens.views import MAX_UPLOAD_BYTES


def _png(shape: tuple[int, ...]) -> bytes:
    arr = np.random.default_rng(0).integers(0, 255, shape, dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture
def client(fixture_run: Path):
    app = create_app(fixture_run.parent, Settings(allowed_origins=("https://lab.example:8443",)))
    with TestClient(app, base_url="http://127.0.0.1:8000") as c:
        yield c


def _upload(client: TestClient, data: bytes, **headers: str):
    return client.post(
        "/api/uploads", files={"file": ("a.png", data, "image/png")}, headers=headers
    )


def test_a_foreign_origin_cannot_post_but_the_apps_own_page_can(client: TestClient) -> None:
    png = _png((40, 30, 3))
    r = _upload(client, png, origin="https://evil.example")
    assert r.status_code == 403 and "Origin" in r.json()["detail"]
    r = _upload(client, png, origin="http://127.0.0.1:8000.evil.example")
    assert r.status_code == 403
    r = _upload(client, png, **{"sec-fetch-site": "cross-site"})  # no Origin, but a browser's
    assert r.status_code == 403
    assert _upload(client, png, origin="http://127.0.0.1:8000").status_code == 200  # own page
    assert _upload(client, png, origin="https://lab.example:8443").status_code == 200  # listed
    assert _upload(client, png).status_code == 200  # no Origin: not a browser (curl, scripts)
    # reading is not a cross-site risk the browser lets pages exploit: GETs pass
    got = client.get("/api/runs", headers={"origin": "https://evil.example"})
    assert got.status_code == 200


def test_the_live_websocket_refuses_a_foreign_origin(client: TestClient) -> None:
    with (
        pytest.raises(WebSocketDisconnect) as refused,
        client.websocket_connect(
            "ws://127.0.0.1:8000/api/live", headers={"origin": "https://evil.example"}
        ) as ws,
    ):
        ws.receive_json()
    assert refused.value.code == 1008
    with client.websocket_connect(
        "ws://127.0.0.1:8000/api/live", headers={"origin": "http://127.0.0.1:8000"}
    ) as ws:
        assert ws.receive_json()["runs"][0]["id"] == "fixture"


def test_the_upload_answer_reports_the_picture_as_uploaded(client: TestClient) -> None:
    png = _png((1500, 2100, 3))  # larger than the 1024 pixels a side kept in memory
    body = _upload(client, png).json()
    assert (body["width"], body["height"], body["bytes"]) == (2100, 1500, len(png))
    assert "2100×1500" in body["explanation"]


def _asgi_upload(app, chunks: int, chunk: int, *, length: int | None = None):  # noqa: ANN001
    """POST /api/uploads straight through ASGI, counting how many body bytes the app read."""
    boundary = b"b0undary"
    head = (
        b"--" + boundary + b'\r\nContent-Disposition: form-data; name="file"; filename="a.png"'
        b"\r\nContent-Type: image/png\r\n\r\n"
    )
    headers = [
        (b"host", b"127.0.0.1"),
        (b"content-type", b"multipart/form-data; boundary=" + boundary),
    ]
    if length is not None:
        headers.append((b"content-length", str(length).encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/uploads",
        "raw_path": b"/api/uploads",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 80),
        "root_path": "",
    }
    read = {"bytes": 0, "i": 0}
    sent: list[dict] = []

    async def receive() -> dict:
        i = read["i"]
        read["i"] += 1
        if i >= chunks:
            return {"type": "http.disconnect"}
        body = head if i == 0 else b"\x00" * chunk
        read["bytes"] += len(body)
        return {"type": "http.request", "body": body, "more_body": i + 1 < chunks}

    async def send(message: dict) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    return status, read["bytes"], b"".join(m.get("body", b"") for m in sent if "body" in m)


def test_a_chunked_upload_is_refused_as_soon_as_it_passes_the_limit(fixture_run: Path) -> None:
    app = create_app(fixture_run.parent)
    chunk = 2**20
    status, read, body = _asgi_upload(app, chunks=1024, chunk=chunk)  # 1 GiB offered, no length
    assert status == 413 and b"MB" in body
    assert read <= LIMIT + chunk  # never more than the limit and one chunk held
    assert LIMIT < MAX_UPLOAD_BYTES + 2**20  # the limit is the image limit plus the form
    status, read, _ = _asgi_upload(app, chunks=1024, chunk=chunk, length=2**30)
    assert status == 413 and read == 0  # a declared length over the limit: nothing read


def test_tokens_must_be_long_and_can_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CONVLENS_TOKEN", raising=False)
    with pytest.raises(UserInputError, match="at least 16"):
        resolve_token("x")
    assert resolve_token(None) is None
    monkeypatch.setenv("CONVLENS_TOKEN", "short")
    with pytest.raises(UserInputError, match="at least 16"):
        resolve_token(None)
    monkeypatch.setenv("CONVLENS_TOKEN", "a-long-enough-token-1234")
    assert resolve_token(None) == "a-long-enough-token-1234"
    assert resolve_token("given-on-the-command-line") == "given-on-the-command-line"
