"""Why this decision: attribution heatmaps and their deletion/insertion scores."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from ._ui import colourful_fraction, open_view, shows_value, until

pytestmark = pytest.mark.browser


def _is_attribution(method: str):
    return lambda r: "/attributions?" in r.url and f"method={method}" in r.url and r.ok


def test_gradcam_draws_a_heatmap_with_scores(page, served):
    with page.expect_response(_is_attribution("gradcam")) as answer:
        open_view(page, f"/attributions?run={served.run_id}&image=probe:0&method=gradcam")
    got = answer.value.json()
    overlay = page.get_by_test_id("attr-overlay")
    expect(overlay).to_be_visible()
    until(page, lambda: colourful_fraction(overlay.screenshot()) > 0.15, "a heatmap on the sketch")

    scores = page.get_by_test_id("attr-scores")
    expect(scores).to_contain_text("Deletion")
    expect(scores).to_contain_text("Insertion")
    text = scores.inner_text()
    deletion_text, _, insertion_text = text.partition("Insertion")
    for name, part in (("deletion", deletion_text), ("insertion", insertion_text)):
        assert shows_value(part, got[name]), f"{name} {got[name]} is not shown in {text!r}"
    expect(page.get_by_test_id("explanation").first).to_contain_text(got["explanation"])
    expect(page.get_by_test_id("method-select")).to_have_value("gradcam")
    expect(page.get_by_test_id("target-select")).to_be_visible()


def test_switching_method_redraws(page, served):
    open_view(page, f"/attributions?run={served.run_id}&image=probe:3&method=gradcam")
    overlay = page.get_by_test_id("attr-overlay")
    until(page, lambda: colourful_fraction(overlay.screenshot()) > 0.15, "the Grad-CAM heatmap")
    before = overlay.screenshot()
    with page.expect_response(_is_attribution("saliency")):
        page.get_by_test_id("method-select").select_option("saliency")
    expect(page).to_have_url(re.compile(r"[?&]method=saliency(&|$)"))
    until(page, lambda: overlay.screenshot() != before, "the saliency heatmap")
    expect(page.get_by_test_id("attr-scores")).to_contain_text("Deletion")
