"""The projection view (issues 10 and 12): a readable default layout, a cold projection's real
progress, neighbours found in the layer's own space, and the map's quality figures."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import expect

from ._ui import SEEN_JOB, json_of, open_view, shows_points, until

pytestmark = pytest.mark.browser


def test_a_cold_projection_shows_its_progress_then_the_plot(page, served):
    page.add_init_script(SEEN_JOB)  # records the bar however briefly it shows
    open_view(page, f"/projection?run={served.run_id}&layer=conv2&method=tsne")
    canvas = page.get_by_test_id("projection-canvas")
    until(page, lambda: shows_points(canvas.screenshot()), "points on the canvas")
    seen = page.evaluate("window.__jobSeen")
    assert seen and any("Cancel" in t and "%" in t for t in seen), seen  # bar, percent, Cancel
    assert any("t-SNE" in t for t in seen), seen  # says what it is doing
    expect(page.get_by_test_id("job-progress")).to_have_count(0)  # gone once the plot is in
    expect(page.get_by_test_id("projection-count")).to_contain_text("t-SNE")


def _neighbours(got: dict) -> np.ndarray:
    raw = np.frombuffer(base64.b64decode(got["neighbours"]["data"]), "<i4")
    return raw.reshape(got["neighbours"]["shape"])


def test_the_projection_opens_on_umap_with_layer_neighbours_and_quality(page, served, api):
    got = json_of(api, f"api/runs/{served.run_id}/projection", layer="fc1", method="umap")
    point = got["indices"][5]
    open_view(page, f"/projection?run={served.run_id}&layer=fc1&point={point}")  # no method
    expect(page.get_by_test_id("projection-method")).to_have_value("umap")  # not PCA
    expect(page.get_by_test_id("projection-count")).to_contain_text("UMAP")
    quality = page.get_by_test_id("projection-quality")
    expect(quality.get_by_test_id("quality-trust")).to_have_text(
        f"{got['quality']['trustworthiness']:.2f}"
    )
    term = quality.locator('[data-testid="term"][data-term="trustworthiness"]')
    term.hover()  # the word is explained where it is shown
    expect(quality.get_by_test_id("term-tip")).to_contain_text("keeps each picture's close")
    kept = round(got["quality"]["knn_preservation"] * 100)
    expect(quality.get_by_test_id("quality-kept")).to_have_text(f"{kept}%")
    expect(quality.get_by_test_id("quality-text")).to_have_text(got["quality_text"])
    if got["stored_quality"]:
        expect(quality.get_by_test_id("quality-stored")).to_contain_text(
            f"{got['stored_quality']['trustworthiness']:.2f}"
        )
    near = page.get_by_test_id("neighbours")
    expect(near.get_by_test_id("neighbours-title")).to_have_text("Closest pictures in layer fc1")
    expect(near).to_contain_text("not by distance on this flat map")
    expected = [got["indices"][i] for i in _neighbours(got)[5]]
    shown = near.locator(".near img")
    expect(shown).to_have_count(len(expected))
    srcs = [shown.nth(i).get_attribute("src") or "" for i in range(len(expected))]
    assert [s.split("/probe/")[1].split(".png")[0] for s in srcs] == [str(i) for i in expected]
    canvas = page.get_by_test_id("projection-canvas")
    until(page, lambda: shows_points(canvas.screenshot()), "points on the canvas")
    shot = os.environ.get("CONVLENS_SCREENSHOTS")
    if shot:
        page.set_viewport_size({"width": 1440, "height": 900})
        page.screenshot(path=str(Path(shot) / "projection.png"))
