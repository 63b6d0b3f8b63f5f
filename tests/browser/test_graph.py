"""The 3-D network graph view (issue 4): drawn from the server's graph file."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from ._ui import SEEN_JOB, json_of, open_view, shows_points, until

WIDE = {"width": 1440, "height": 900}

pytestmark = pytest.mark.browser


def test_network_graph_draws_and_keeps_the_threshold_in_the_url(page, served, api):
    got = json_of(api, f"api/runs/{served.run_id}/graph")
    open_view(page, f"/graph?run={served.run_id}")
    canvas = page.get_by_test_id("graph-canvas")
    until(page, lambda: shows_points(canvas.screenshot()), "the graph on the canvas")
    expect(page.get_by_test_id("explanation").first).to_contain_text(got["explanation"][:60])
    units = str(got["description"]["counts"]["nodes"])
    expect(page.locator("section.view")).to_contain_text(units)
    threshold = page.get_by_test_id("graph-threshold")
    threshold.fill("0.5")
    until(page, lambda: "threshold=0.5" in page.url, "the threshold in the URL")


def test_a_graph_not_yet_laid_out_shows_the_jobs_progress_then_the_graph(page, served, api):
    from convlens.pipelines import graph_path
    from convlens.store import Run

    first = json_of(api, f"api/runs/{served.run_id}")["checkpoints"][0]
    run = Run.open(served.runs_dir / served.run_id)
    assert run.arrays(graph_path(first)) is None  # cold: the job has to lay it out
    page.add_init_script(SEEN_JOB)  # records the bar however briefly it shows
    open_view(page, f"/graph?run={served.run_id}&epoch={first}")
    canvas = page.get_by_test_id("graph-canvas")
    until(page, lambda: shows_points(canvas.screenshot()), "the graph on the canvas")
    seen = page.evaluate("window.__jobSeen")
    assert seen and any("Cancel" in t and "%" in t for t in seen), seen  # bar, percent, Cancel
    expect(page.get_by_test_id("job-progress")).to_have_count(0)  # gone once the graph is in
    assert Run.open(run.path).arrays(graph_path(first)) is not None  # the job stored it


def _inside(inner: dict, outer: dict, slack: float = 0.5) -> bool:
    return (
        inner["x"] >= outer["x"] - slack
        and inner["y"] >= outer["y"] - slack
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + slack
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + slack
    )


def test_the_network_names_its_layers_and_its_sliders_fit_their_card(page, served, api):
    got = json_of(api, f"api/runs/{served.run_id}/graph")
    names = [layer["name"] for layer in got["description"]["layers"]]
    page.set_viewport_size(WIDE)
    open_view(page, f"/graph?run={served.run_id}")
    canvas = page.get_by_test_id("graph-canvas")
    until(page, lambda: shows_points(canvas.screenshot()), "the graph on the canvas")

    labels = page.get_by_test_id("graph-layer-label")
    expect(labels).to_have_count(len(names))
    stage = canvas.bounding_box()
    for i, name in enumerate(names):  # the front view shows every slice of this small net
        label = labels.nth(i)
        expect(label).to_be_visible()
        expect(label).to_contain_text(name)
        assert _inside(label.bounding_box(), stage), (name, label.bounding_box(), stage)
    boxes = [labels.nth(i).bounding_box() for i in range(len(names))]
    xs = sorted((b["x"], b["x"] + b["width"]) for b in boxes)
    assert all(a[1] <= b[0] + 0.5 for a, b in zip(xs, xs[1:], strict=False)), xs  # no overlap

    card = page.get_by_test_id("graph-controls")
    expect(card).not_to_contain_text("Depth exponent")  # plain names, with a hint each
    card_box = card.bounding_box()
    parts = card.locator("label, input, output, .hint")
    assert parts.count() >= 18
    for i in range(parts.count()):
        box = parts.nth(i).bounding_box()
        assert box is not None and _inside(box, card_box), (i, box, card_box)
    hints = card.locator(".hint")
    expect(hints).to_have_count(card.locator("input[type=range]").count())
    expect(page.get_by_test_id("graph-line-legend")).to_contain_text("connection")


def _dot_centres(png: bytes, limit: int = 40) -> list[tuple[int, int]]:
    """Centres of solid coloured 5×5 patches in a canvas screenshot (dots, not thin lines)."""
    import io

    import numpy as np
    from PIL import Image

    with Image.open(io.BytesIO(png)) as im:
        rgb = np.asarray(im.convert("RGB"), dtype=np.int16)
    chroma = rgb.max(axis=2) - rgb.min(axis=2)
    solid = chroma >= 60
    h, w = solid.shape
    ok = np.ones((h - 4, w - 4), bool)
    for dy in range(5):
        for dx in range(5):
            ok &= solid[dy : dy + h - 4, dx : dx + w - 4]
    ys, xs = np.nonzero(ok)
    out: list[tuple[int, int]] = []
    for y, x in zip(ys.tolist(), xs.tolist(), strict=True):
        if all(abs(x - a) > 8 or abs(y - b) > 8 for a, b in out):
            out.append((x + 2, y + 2))
        if len(out) >= limit:
            break
    return out


def test_a_clicked_unit_opens_the_explorer_at_its_channel(page, served):
    page.set_viewport_size(WIDE)
    open_view(page, f"/graph?run={served.run_id}")
    canvas = page.get_by_test_id("graph-canvas")
    until(page, lambda: shows_points(canvas.screenshot()), "the graph on the canvas")
    panel = page.get_by_test_id("graph-node-panel")
    link = page.get_by_test_id("graph-node-explorer")
    for x, y in _dot_centres(canvas.screenshot()):
        canvas.click(position={"x": x, "y": y})
        if panel.count() and link.count():
            break
    else:
        raise AssertionError("no click on a dot opened a conv or linear unit with a link")
    title = panel.locator("h2").inner_text()
    m = re.search(r"(\S+) · (channel|neuron) (\d+)", title)
    assert m, title
    layer, unit = m.group(1), m.group(3)
    link.click()
    expect(page).to_have_url(
        re.compile(rf"#/explorer\?(?=.*layer={re.escape(layer)}(&|$))(?=.*channel={unit}(&|$))")
    )
    expect(page.locator("[data-state]").first).to_have_attribute("data-state", "ready")
    expect(page.get_by_test_id("layer-select")).to_have_value(layer)
