"""What a layer computes, in the explorer: a clicked conv map's filter slides over the real input,
step by step, and the value shown at each stop is the map's own value there."""

from __future__ import annotations

import base64
import os
import re
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import expect

from ._ui import json_of, open_view, until

pytestmark = pytest.mark.browser


def _maps(api, run_id: str, layer: str, image: str) -> np.ndarray:
    """The layer's maps as float32, from the JSON answer (not the page's 8-bit one)."""
    body = json_of(api, f"api/runs/{run_id}/featuremaps", layer=layer, image=image)
    arr = body["maps"]
    return np.frombuffer(base64.b64decode(arr["data"]), dtype=arr["dtype"]).reshape(arr["shape"])


def _shown(page) -> tuple[int, int, float]:
    """(row, column) of the current stop, 1-based, and the value the panel shows there."""
    pos = page.get_by_test_id("compute-position").inner_text()
    m = re.search(r"row (\d+), column (\d+)$", pos)
    assert m, pos
    value = page.get_by_test_id("compute-value").inner_text()
    assert re.fullmatch(r"-?\d+\.\d+", value), value  # a plain decimal
    return int(m[1]), int(m[2]), float(value)


def test_a_conv_filter_slides_and_builds_its_map(page, served, api, tmp_path: Path) -> None:
    maps = _maps(api, served.run_id, "conv2", "probe:0")
    channel = int(maps.max(axis=(1, 2)).argmax())  # a map that finds something: ReLU keeps some
    open_view(page, f"/explorer?run={served.run_id}&layer=conv2&image=probe:0")
    page.locator(f'[data-testid="fmap-cell"][data-channel="{channel}"]').click()
    panel = page.get_by_test_id("compute-panel")
    expect(panel).to_have_attribute("data-state", "ready")
    expect(page.get_by_test_id("compute-input")).to_have_count(4)  # the 4 that add the most
    expect(panel).to_contain_text("and 28 more input maps")
    stages = page.get_by_test_id("compute-stage")
    expect(stages).to_have_count(3)  # conv2 -> relu2 -> pool2
    expect(stages.nth(2)).to_contain_text("16×16 to 8×8")

    slider = page.get_by_test_id("compute-step")
    for stop in (0, 37, 200, 255):
        slider.fill(str(stop))
        expect(page.get_by_test_id("compute-position")).to_contain_text(f"Stop {stop + 1} of 256")
        row, col, value = _shown(page)
        assert (row - 1) * 16 + (col - 1) == stop
        assert value == pytest.approx(float(maps[channel, row - 1, col - 1]), abs=1.5e-3)

    # play moves the filter on; pause stops it
    slider.fill("0")
    page.get_by_test_id("compute-play").click()
    until(page, lambda: int(panel.get_attribute("data-step")) > 3, "the animation to move")
    page.get_by_test_id("compute-play").click()
    expect(page.get_by_test_id("compute-play")).to_have_text("Play")

    # pointing at an output point shows its window and its value
    out = page.get_by_test_id("compute-output")
    box = out.bounding_box()
    out.hover(position={"x": box["width"] * (9.5 / 16), "y": box["height"] * (3.5 / 16)})
    expect(page.get_by_test_id("compute-position")).to_contain_text("row 4, column 10")
    row, col, value = _shown(page)
    assert value == pytest.approx(float(maps[channel, 3, 9]), abs=1.5e-3)
    expect(page.get_by_test_id("compute-window")).to_be_visible()
    cells = page.get_by_test_id("compute-window").locator("td")
    assert cells.count() == 25  # 5×5 filter
    # each "input × weight" on one line (at 1400 px they broke at the ×, two lines a cell)
    heights = cells.evaluate_all("tds => tds.map(td => td.getBoundingClientRect().height)")
    line = cells.first.evaluate("td => parseFloat(getComputedStyle(td).lineHeight)")
    assert max(heights) < 1.6 * line + 8, (heights, line)

    page.set_viewport_size({"width": 1440, "height": 900})
    page.locator(".compute-card").evaluate("e => { e.scrollIntoView(); window.scrollBy(0, -60); }")
    shots = Path(os.environ.get("CONVLENS_SCREENSHOTS", tmp_path))
    page.screenshot(path=str(shots / "compute-conv.png"))
    page.get_by_test_id("compute-window").evaluate("e => e.scrollIntoView({ block: 'center' })")
    page.screenshot(path=str(shots / "compute-conv-below.png"))


def test_a_linear_unit_is_a_weighted_sum(page, served, api, tmp_path: Path) -> None:
    maps = _maps(api, served.run_id, "fc1", "probe:2")
    open_view(page, f"/explorer?run={served.run_id}&layer=fc1&image=probe:2&channel=3")
    expect(page.get_by_test_id("compute-panel")).to_have_attribute("data-state", "ready")
    expect(page.get_by_test_id("compute-term")).to_have_count(8)
    value = float(page.get_by_test_id("compute-value").inner_text())
    assert value == pytest.approx(float(maps.reshape(-1)[3]), abs=1.5e-3)
    expect(page.get_by_test_id("compute-term").first).to_contain_text(re.compile(r"map \d+, row"))
    page.set_viewport_size({"width": 1440, "height": 900})
    page.locator(".compute-card").evaluate("e => { e.scrollIntoView(); window.scrollBy(0, -60); }")
    page.screenshot(
        path=str(Path(os.environ.get("CONVLENS_SCREENSHOTS", tmp_path)) / "compute-fc.png")
    )


def test_a_channel_link_opens_that_map_enlarged_and_in_view(page, served) -> None:
    page.set_viewport_size({"width": 1440, "height": 700})
    open_view(page, f"/explorer?run={served.run_id}&layer=conv2&image=probe:1&channel=60")
    big = page.get_by_test_id("fmap-big")
    expect(big).to_have_attribute("data-channel", "60")
    expect(big).to_be_in_viewport()
    expect(page.get_by_test_id("compute-panel")).to_have_attribute("data-state", "ready")


def test_the_weights_caption_counts_one_input_map(page, served, tmp_path: Path) -> None:
    open_view(page, f"/explorer?run={served.run_id}&layer=conv1&image=probe:0&channel=3")
    grid = page.get_by_test_id("weights-grid")
    expect(grid).to_have_attribute("data-state", "ready")
    expect(grid).to_contain_text("over 1 input map.")
    assert "1 input maps" not in grid.inner_text()
    # the first layer's filter reads the picture itself: one input map, nothing summed away
    expect(page.get_by_test_id("compute-panel")).to_have_attribute("data-state", "ready")
    expect(page.get_by_test_id("compute-input")).to_have_count(1)
    expect(page.get_by_test_id("compute-panel")).to_contain_text("over its one input map.")
    page.set_viewport_size({"width": 1440, "height": 900})
    page.locator(".compute-card").evaluate("e => { e.scrollIntoView(); window.scrollBy(0, -60); }")
    page.screenshot(
        path=str(Path(os.environ.get("CONVLENS_SCREENSHOTS", tmp_path)) / "compute-conv1.png")
    )
