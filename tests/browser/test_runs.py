"""The runs list and the navigation between views."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from ._ui import json_of, open_view, shows_value

pytestmark = pytest.mark.browser


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
