"""The guided tour: shown on the first visit, stepped through, closed, remembered."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ._ui import json_of

pytestmark = pytest.mark.browser


def test_tour_opens_once_and_steps_through(new_page, served, api):
    steps = json_of(api, "api/tour", run=served.run_id)["steps"]
    assert len(steps) >= 2

    page = new_page(tour_seen=False)
    page.goto("/")
    dialog = page.get_by_test_id("tour-dialog")
    expect(dialog).to_be_visible()
    for i, step in enumerate(steps):
        expect(dialog).to_contain_text(step["title"])
        if i < len(steps) - 1:
            page.get_by_test_id("tour-next").click()
    page.get_by_test_id("tour-close").click()
    expect(dialog).to_have_count(0)

    page.reload()
    expect(page.locator("[data-state]").first).to_have_attribute("data-state", "ready")
    expect(dialog).to_have_count(0)
    page.get_by_test_id("tour-button").click()
    expect(dialog).to_be_visible()
    page.get_by_test_id("tour-close").click()
    expect(dialog).to_have_count(0)
