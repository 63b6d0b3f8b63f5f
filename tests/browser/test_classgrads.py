"""Class gradients link to the Layer explorer: a bar opens the explorer at that channel."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from ._ui import json_of, open_view

pytestmark = pytest.mark.browser


def test_a_class_gradient_bar_opens_the_explorer_at_its_channel(page, served, api):
    got = json_of(api, f"api/runs/{served.run_id}/classgrads", layer="conv2")
    norms = got["groups"][0]["norms"]
    channel = max(range(len(norms)), key=norms.__getitem__)  # the tallest bar: easy to hit
    open_view(page, f"/classgrads?run={served.run_id}&layer=conv2")
    note = page.get_by_test_id("classgrad-link-note")
    expect(note).to_contain_text("Click a bar")
    group = page.locator('[data-testid="classgrad-group"][data-role="reference"]')
    group.locator("svg rect").nth(channel).click()
    expect(page).to_have_url(
        re.compile(
            rf"#/explorer\?(?=.*run={re.escape(served.run_id)})(?=.*layer=conv2)"
            rf"(?=.*channel={channel}(&|$))(?=.*epoch={got['epoch']})"
        )
    )
    expect(page.locator("[data-state]").first).to_have_attribute("data-state", "ready")
    expect(page.get_by_test_id("layer-select")).to_have_value("conv2")
    expect(page.locator("section.view")).to_contain_text(f"channel {channel}")


def test_every_sentence_of_the_explanations_starts_with_a_capital(page, served):
    """Sentences that open with a class name ("bear and teddy-bear are often mixed up") are
    capitalised, in the class gradients and the explorer's class scores."""
    open_view(page, f"/classgrads?run={served.run_id}")
    expect(page.get_by_test_id("explanation")).to_contain_text("are often mixed up")
    said = page.get_by_test_id("explanation").inner_text()
    assert not re.search(r"[.;] +[a-z]", said), said
    open_view(page, f"/explorer?run={served.run_id}&layer=fc2&image=probe:0")
    expect(page.get_by_test_id("explanation")).to_contain_text("scores highest")
    said = page.get_by_test_id("explanation").inner_text()
    assert not re.search(r"\. +[a-z]", said), said


@pytest.mark.parametrize("width", [1440, 1280])
def test_the_three_charts_are_large_and_readable(page, served, width):
    """Charts tall enough to compare bars, tick labels at 12 px or more, all three side by side
    inside their card and on screen, nothing spilling sideways (at 1440 and 1280 wide)."""
    page.set_viewport_size({"width": width, "height": 900})
    open_view(page, f"/classgrads?run={served.run_id}&layer=conv2")
    card = page.get_by_test_id("classgrad-chart").bounding_box()
    charts = page.locator('[data-testid="classgrad-group"] svg')
    expect(charts).to_have_count(3)
    boxes = [charts.nth(i).bounding_box() for i in range(3)]
    for b in boxes:
        assert b["height"] >= 260 and b["width"] >= 240, b
        assert b["x"] >= card["x"] - 1 and b["x"] + b["width"] <= card["x"] + card["width"] + 1
        assert b["y"] + b["height"] <= 900, b  # the whole chart on screen, no scrolling
    assert len({round(b["y"]) for b in boxes}) == 1, boxes  # one row, level
    assert boxes[0]["x"] + boxes[0]["width"] <= boxes[1]["x"] <= boxes[2]["x"] - boxes[1]["width"]
    ticks = page.get_by_test_id("bar-tick")
    expect(ticks.first).to_be_visible()
    for i in range(ticks.count()):
        size = ticks.nth(i).evaluate("t => parseFloat(getComputedStyle(t).fontSize)")
        shown = ticks.nth(i).bounding_box()["height"]  # as drawn: an SVG scaled down shrinks it
        assert size >= 12 and shown >= 12, (size, shown)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
