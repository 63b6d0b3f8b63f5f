"""The run's media over HTTP: the video with Range requests (browsers seek with them), its last
frame as a poster, and nothing outside the run's ``media/`` folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from convlens.server import Settings, create_app
from convlens.store import Run

VIDEO = bytes(range(256)) * 40  # 10,240 bytes, every offset's value known


@pytest.fixture
def client(fixture_run: Path):
    app = create_app(fixture_run.parent, Settings(live_interval=0.02))
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c


@pytest.fixture
def with_video(fixture_run: Path) -> Path:
    media = fixture_run / "media"
    media.mkdir(exist_ok=True)
    (media / "video.mp4").write_bytes(VIDEO)
    (media / "last_frame.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 64)
    return fixture_run


def test_a_run_without_a_video_says_so(client: TestClient, fixture_run: Path) -> None:
    card = client.get("/api/runs").json()[0]
    assert card["video"] is None and card["poster"] is None
    test = Run.open(fixture_run).metrics()["test_accuracy"]
    assert card["accuracy"]["test"] == pytest.approx(test.tolist())  # the sparkline's numbers
    r = client.get("/api/runs/fixture/media/video.mp4")
    assert r.status_code == 404
    assert "convlens video RUN" in r.json()["detail"]


def test_the_video_answers_range_requests(client: TestClient, with_video: Path) -> None:
    card = client.get("/api/runs").json()[0]
    assert (card["video"], card["poster"]) == ("video.mp4", "last_frame.png")

    whole = client.get("/api/runs/fixture/media/video.mp4")
    assert whole.status_code == 200 and whole.content == VIDEO
    assert whole.headers["content-type"] == "video/mp4"
    assert whole.headers["accept-ranges"] == "bytes"

    part = client.get("/api/runs/fixture/media/video.mp4", headers={"Range": "bytes=1000-1099"})
    assert part.status_code == 206
    assert part.content == VIDEO[1000:1100]
    assert part.headers["content-range"] == f"bytes 1000-1099/{len(VIDEO)}"

    tail = client.get("/api/runs/fixture/media/video.mp4", headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == VIDEO[-10:]

    past = client.get("/api/runs/fixture/media/video.mp4", headers={"Range": "bytes=99999-"})
    assert past.status_code == 416

    poster = client.get("/api/runs/fixture/media/last_frame.png")
    assert poster.status_code == 200 and poster.headers["content-type"] == "image/png"


@pytest.mark.parametrize(
    "name",
    [
        "..%2Fmanifest.json",
        "%2E%2E%2Fmanifest.json",
        "..%5Cmanifest.json",
        ".hidden.mp4",
        "notes.txt",
        "outside.png",
    ],
)
def test_nothing_outside_the_media_folder_is_served(
    client: TestClient, with_video: Path, name: str
) -> None:
    media = with_video / "media"
    (media / "notes.txt").write_text("not media")
    (media / ".hidden.mp4").write_bytes(VIDEO)
    secret = with_video.parent / "secret.png"
    secret.write_bytes(b"secret")
    os.symlink(secret, media / "outside.png")  # a link that leads out of the run
    r = client.get(f"/api/runs/fixture/media/{name}")
    assert r.status_code == 404, (name, r.status_code, r.content[:80])
    assert b"secret" not in r.content and b"not media" not in r.content
    assert b'"epochs"' not in r.content  # not the manifest
