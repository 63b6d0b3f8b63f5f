"""One layer picker in every view, each layer with a plain name in the video's words beside its
own ("conv2 — 2nd filter layer", "fc2 — the answer layer"), and each view's own choice of layers
(the timeline only the recorded ones, class gradients only layers with weights)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PLAIN = {
    "conv1": "conv1 — 1st filter layer",
    "relu1": "relu1 — on/off step",
    "pool1": "pool1 — shrinking step",
    "conv2": "conv2 — 2nd filter layer",
    "fc1": "fc1 — 1st combining layer",
    "dropout": "dropout — dropout step (training only)",
    "fc2": "fc2 — the answer layer",
}


def _open(page, route: str) -> None:
    page.goto("/#" + route)
    view = page.locator(f"section.{route[1:].split('?')[0]}-view")
    expect(view).to_have_attribute("data-state", "ready")


def _options(page) -> list[str]:
    picker = page.get_by_test_id("layer-select")
    expect(picker).to_have_count(1)
    expect(picker.locator("option").first).not_to_have_text("…")
    return [t.strip() for t in picker.locator("option").all_inner_texts()]


def test_every_view_names_its_layers_plainly(page, served):
    r = served.run_id
    _open(page, f"/explorer?run={r}&layer=conv2")
    shown = _options(page)
    assert set(PLAIN.values()) <= set(shown), shown
    expect(page.get_by_test_id("layer-select")).to_have_value("conv2")

    _open(page, f"/classgrads?run={r}&layer=conv2")
    shown = _options(page)  # layers with weights only
    assert shown == [PLAIN[n] for n in ("conv1", "conv2", "fc1", "fc2")], shown

    _open(page, f"/timeline?run={r}")
    shown = _options(page)  # the recorded layers, named from their stored shapes
    assert shown == [PLAIN["conv2"], PLAIN["fc1"]], shown

    _open(page, f"/projection?run={r}&method=pca&layer=conv2")
    picker = page.get_by_test_id("layer-select")
    recorded = picker.locator('optgroup[label="recorded every epoch"] option')
    expect(recorded).to_have_text([PLAIN["conv2"], PLAIN["fc1"]])
    expect(picker.locator("optgroup").nth(1).locator("option", has_text="fc2")).to_have_text(
        PLAIN["fc2"]
    )
    picker.select_option("fc1")
    expect(page).to_have_url(re.compile(r"layer=fc1"))
