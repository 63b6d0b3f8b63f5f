"""The training timeline: every epoch's layout, the slider, the colours, the metrics."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from ._ui import colourful_fraction, json_of, open_view, shows_points, until

pytestmark = pytest.mark.browser


def test_timeline_draws_and_scrubs_through_epochs(page, served, api):
    detail = json_of(api, f"api/runs/{served.run_id}")
    epochs = detail["epochs"]
    assert len(epochs) == 3

    open_view(page, f"/timeline?run={served.run_id}&layer=fc1&epoch={epochs[-1]}")
    canvas = page.get_by_test_id("timeline-canvas")
    expect(canvas).to_be_visible()
    until(page, lambda: shows_points(canvas.screenshot()), "points on the canvas")
    expect(page.get_by_test_id("metrics-chart")).to_be_visible()
    timeline = json_of(api, f"api/runs/{served.run_id}/timeline", layer="fc1")
    expect(page.get_by_test_id("explanation").first).to_contain_text(timeline["explanation"])

    label = page.get_by_test_id("epoch-label")
    slider = page.get_by_test_id("epoch-slider")
    expect(label).to_have_text(re.compile(rf"Epoch {epochs[-1]}\b"))
    last = canvas.screenshot()
    slider.fill(str(epochs[0]))
    expect(label).to_have_text(re.compile(rf"Epoch {epochs[0]}\b"))
    expect(page).to_have_url(re.compile(rf"[?&]epoch={epochs[0]}(&|$)"))
    until(page, lambda: canvas.screenshot() != last, "the points to move to the first epoch")
    slider.fill(str(epochs[1]))
    expect(label).to_have_text(re.compile(rf"Epoch {epochs[1]}\b"))
    expect(page).to_have_url(re.compile(rf"[?&]epoch={epochs[1]}(&|$)"))


def test_timeline_colour_by_changes_the_picture(page, served):
    open_view(page, f"/timeline?run={served.run_id}&layer=conv2")
    canvas = page.get_by_test_id("timeline-canvas")
    until(page, lambda: shows_points(canvas.screenshot()), "points on the canvas")

    select = page.get_by_test_id("color-by")
    values = select.locator("option").evaluate_all("os => os.map(o => o.value)")
    assert len(values) >= 2, f"color-by offers {values}"
    current = select.input_value()
    other = next(v for v in values if v != current)
    before = canvas.screenshot()
    url_before = page.url
    select.select_option(other)
    expect(select).to_have_value(other)
    until(page, lambda: canvas.screenshot() != before, f"the canvas to recolour by {other!r}")
    until(page, lambda: page.url != url_before, "the colour choice kept in the URL")


def test_play_moves_through_the_epochs(page, served):
    open_view(page, f"/timeline?run={served.run_id}&layer=fc1&epoch=1")
    label = page.get_by_test_id("epoch-label")
    expect(label).to_have_text(re.compile(r"Epoch 1\b"))
    page.get_by_test_id("play-button").click()
    expect(label).to_have_text(re.compile(r"Epoch 3\b"))
    expect(page).to_have_url(re.compile(r"[?&]epoch=3(&|$)"))


def test_a_point_opens_its_panel_with_gradcam(page, served, api):
    point = json_of(api, f"api/runs/{served.run_id}/points/5")
    open_view(page, f"/timeline?run={served.run_id}&layer=fc1&point=5")
    panel = page.get_by_test_id("point-panel")
    expect(panel).to_be_visible()
    expect(panel).to_contain_text(point["label_name"])
    cam = page.get_by_test_id("point-gradcam")
    expect(cam).to_have_attribute("data-state", "ready")
    canvas = cam.locator("canvas").first
    until(page, lambda: colourful_fraction(canvas.screenshot()) > 0.15, "the Grad-CAM heatmap")


def test_wrong_guesses_are_open_circles_not_red_rings(page, served, tmp_path):
    """The palette's rule (render/_palette.py): a mistake is marked by shape, never by red."""
    import io

    import numpy as np
    from PIL import Image

    open_view(page, f"/timeline?run={served.run_id}&layer=conv2&color=true")
    canvas = page.get_by_test_id("timeline-canvas")
    until(page, lambda: shows_points(canvas.screenshot()), "points on the canvas")
    note = page.get_by_test_id("mistake-note")
    expect(note).to_contain_text("open circle")
    expect(note).not_to_contain_text("red")
    page.screenshot(path=str(tmp_path / "timeline.png"))  # kept in pytest's basetemp to look at
    px = np.asarray(Image.open(io.BytesIO(canvas.screenshot())).convert("RGB")).astype(int)
    r, g, b = px[..., 0], px[..., 1], px[..., 2]
    old_ring = (abs(r - 220) < 12) & (abs(g - 60) < 12) & (abs(b - 60) < 12)
    assert old_ring.mean() < 0.0005, "red wrong-guess rings still drawn"
    ink = (abs(r - 34) < 14) & (abs(g - 34) < 14) & (abs(b - 34) < 14)
    assert ink.sum() > 20, "no dark outlines around the wrong guesses"


def test_timeline_arrives_in_chunks_and_draws_the_first_epoch_first(page, served):
    """The first epoch alone, then the rest: the first is drawn, with the progress bar, while
    the rest are held back; once they arrive every epoch is there."""
    asked: list[str] = []
    held = []

    def hold_later_chunks(route) -> None:  # noqa: ANN001
        asked.append(route.request.url)
        if "start=0" in route.request.url:
            route.continue_()
        else:
            held.append(route)

    page.route(re.compile(r".*/timeline\?.*"), hold_later_chunks)
    page.goto(f"/#/timeline?run={served.run_id}&layer=fc1")
    page.wait_for_function("() => window.__convlens?.timeline?.epochs === 1")
    progress = page.get_by_test_id("timeline-progress")
    expect(progress).to_be_visible()
    expect(progress).to_have_attribute("max", "3")
    assert shows_points(page.get_by_test_id("timeline-canvas").screenshot())
    until(page, lambda: bool(held), "the second chunk to be asked for")
    for route in held:
        route.continue_()
    expect(page.locator("[data-state]").first).to_have_attribute("data-state", "ready")
    assert page.evaluate("() => window.__convlens.timeline.epochs") == 3
    expect(progress).to_have_count(0)
    assert "stop=1" in asked[0] and "start=1" in asked[1] and "stop=3" in asked[1]
