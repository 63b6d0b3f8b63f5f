"""Class gradients and the projection view."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ._ui import json_of, open_view, shows_points, until

pytestmark = pytest.mark.browser


def test_classgrads_shows_three_groups(page, served, api):
    got = json_of(api, f"api/runs/{served.run_id}/classgrads", layer="conv2")
    open_view(page, f"/classgrads?run={served.run_id}&layer=conv2")
    chart = page.get_by_test_id("classgrad-chart")
    expect(chart).to_be_visible()
    groups = chart.get_by_test_id("classgrad-group")
    expect(groups).to_have_count(3)
    for shown, group in zip(groups.all(), got["groups"], strict=True):
        expect(shown).to_contain_text(group["name"])
    expect(page.get_by_test_id("explanation").first).to_contain_text(got["explanation"])


def test_projection_draws_its_points(page, served, api):
    got = json_of(api, f"api/runs/{served.run_id}/projection", layer="fc1", method="pca")
    open_view(page, f"/projection?run={served.run_id}&layer=fc1&method=pca")
    canvas = page.get_by_test_id("projection-canvas")
    until(page, lambda: shows_points(canvas.screenshot()), "points on the canvas")
    expect(page.get_by_test_id("projection-count")).to_contain_text(str(got["n_shown"]))
    expect(page.get_by_test_id("explanation").first).to_contain_text(got["explanation"])
