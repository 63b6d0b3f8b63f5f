"""The runs list and the navigation between views."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from ._ui import json_of, open_view, shows_value, until

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def with_video(served):
    """The served run with a short real video (``convlens video``'s pipeline, small frames)."""
    from convlens.core import VideoOptions
    from convlens.pipelines import make_video

    options = VideoOptions(width=640, height=360, fps=8, seconds_per_epoch=0.5, thumbnails=False)
    return make_video(served.runs_dir / served.run_id, options)


def test_a_run_without_a_video_says_how_to_make_one(page, served, api):
    summary = next(r for r in json_of(api, "api/runs") if r["id"] == served.run_id)
    if summary["video"] is not None:
        pytest.skip("the run has a video already (this test runs before the video test)")
    open_view(page, "/")
    row = page.locator(f'[data-testid="run-row"][data-run-id="{served.run_id}"]')
    expect(row.get_by_test_id("run-no-video")).to_contain_text(f"convlens video {served.run_id}")
    expect(row.get_by_test_id("run-video-thumb")).to_have_count(0)


def test_the_runs_video_plays_and_its_accuracy_is_drawn(page, served, api, with_video):
    summary = next(r for r in json_of(api, "api/runs") if r["id"] == served.run_id)
    assert summary["video"] == "video.mp4" and summary["poster"] == "last_frame.png"
    open_view(page, "/")
    row = page.locator(f'[data-testid="run-row"][data-run-id="{served.run_id}"]')

    spark = row.get_by_test_id("sparkline")
    expect(spark).to_be_visible()
    expect(spark).to_contain_text("train")
    expect(spark).to_contain_text("test")
    points = spark.locator("path").evaluate_all(
        "ps => ps.map(p => (p.getAttribute('d').match(/[ML]/g) || []).length)"
    )
    assert points == [len(summary["epochs"])] * 2, points  # one point per epoch, both lines

    thumb = row.get_by_test_id("run-video-thumb")
    poster = thumb.locator("img")
    expect(poster).to_be_visible()
    until(page, lambda: poster.evaluate("i => i.complete && i.naturalWidth > 0"), "the poster")
    thumb.click()
    video = page.get_by_test_id("run-video")
    expect(video).to_be_visible()
    # Playable: the browser read the file's metadata (a duration) and reports no error.
    until(
        page,
        lambda: video.evaluate("v => v.readyState >= 1 && v.duration > 0 && !v.error"),
        "the video's metadata",
    )
    src = video.evaluate("v => v.currentSrc")
    assert src.endswith(f"/api/runs/{served.run_id}/media/video.mp4"), src
    size = with_video["video"].stat().st_size
    r = api.get(src, headers={"Range": "bytes=100-199"})
    assert r.status_code == 206 and r.headers["content-range"] == f"bytes 100-199/{size}"
    assert r.content == with_video["video"].read_bytes()[100:200]


def test_runs_list_shows_the_run_with_its_accuracy(page, served, api):
    summary = next(r for r in json_of(api, "api/runs") if r["id"] == served.run_id)
    assert summary["test_accuracy"] is not None

    open_view(page, "/")
    row = page.locator(f'[data-testid="run-row"][data-run-id="{served.run_id}"]')
    expect(row).to_be_visible()
    expect(row).to_contain_text(served.run_id)
    expect(row).to_contain_text(summary["dataset"])
    text = row.inner_text()
    assert shows_value(text, summary["test_accuracy"]), (
        f"the row does not show the test accuracy {summary['test_accuracy']}: {text!r}"
    )


def test_navigation_keeps_the_run(page, served):
    open_view(page, f"/timeline?run={served.run_id}")
    for view in ("explorer", "attributions", "classgrads", "projection", "timeline"):
        page.get_by_test_id(f"nav-{view}").click()
        expect(page).to_have_url(re.compile(rf"#/{view}\?(.*&)?run={served.run_id}"))
        expect(page.locator("[data-state]").first).to_have_attribute("data-state", "ready")
    page.get_by_test_id("nav-runs").click()
    expect(page.get_by_test_id("run-row")).to_have_count(1)
