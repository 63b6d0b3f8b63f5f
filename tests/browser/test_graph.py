"""The 3-D network graph view (issue 4): drawn from the server's graph file."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ._ui import json_of, open_view, shows_points, until

pytestmark = pytest.mark.browser


def test_network_graph_draws_and_keeps_the_threshold_in_the_url(page, served, api):
    got = json_of(api, f"api/runs/{served.run_id}/graph")
    open_view(page, f"/graph?run={served.run_id}")
    canvas = page.get_by_test_id("graph-canvas")
    until(page, lambda: shows_points(canvas.screenshot()), "the graph on the canvas")
    expect(page.get_by_test_id("explanation").first).to_contain_text(got["explanation"][:60])
    units = str(got["description"]["counts"]["nodes"])
    expect(page.locator("section.view")).to_contain_text(units)
    threshold = page.get_by_test_id("graph-controls").locator("input[type=range]").last
    threshold.fill("0.5")
    until(page, lambda: "threshold=0.5" in page.url, "the threshold in the URL")
