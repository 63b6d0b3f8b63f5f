"""The tour points at what it names: each step outlines its control and its card never covers
it (bounding boxes in Chromium at 1440×900), nor the timeline's loss and accuracy charts, nor the
explorer's picture picker and input sentence (scrolled into view with its maps); the timeline
step starts at epoch 1 and plays."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, expect

from ._ui import json_of, until

pytestmark = pytest.mark.browser


def _overlap(a: dict, b: dict) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


def test_every_step_outlines_its_control_and_never_covers_it(new_page, served, api):
    steps = json_of(api, "api/tour", run=served.run_id)["steps"]
    ids = [s["id"] for s in steps]
    assert "classgrads" in ids and all(s["target"] for s in steps)
    page = new_page(tour_seen=False)
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto("/")
    # every epoch label the timeline shows, from the moment it first appears
    page.evaluate(
        """() => { window.__labels = []; new MutationObserver(() => {
            const t = document.querySelector('[data-testid="epoch-label"] strong')?.textContent;
            if (t && t !== window.__labels.at(-1)) window.__labels.push(t);
        }).observe(document.body, { subtree: true, childList: true, characterData: true }); }"""
    )
    dialog = page.get_by_test_id("tour-dialog")
    ring = page.get_by_test_id("tour-highlight")
    for i, step in enumerate(steps):
        expect(dialog).to_contain_text(step["title"])
        expect(dialog).to_have_attribute("data-target", step["target"])
        expect(ring).to_be_visible()
        control = page.locator(f'[data-testid="{step["target"]}"]').first
        expect(control).to_be_visible()

        def settled(control=control) -> bool:
            r, c, t = ring.bounding_box(), dialog.bounding_box(), control.bounding_box()
            if not (r and c and t):
                return False
            inside = abs(r["x"] + 4 - t["x"]) < 2 and abs(r["y"] + 4 - t["y"]) < 2
            return inside and not _overlap(c, r) and c["x"] >= 0 and c["y"] >= 0

        until(page, settled, f"step {step['id']}: the outline on its control, the card beside it")
        card, box = dialog.bounding_box(), ring.bounding_box()
        assert not _overlap(card, box), (step["id"], card, box)
        assert card["x"] + card["width"] <= 1440 and card["y"] + card["height"] <= 900
        hint = page.locator('[data-testid="control-hint"], [data-testid="classgrad-link-note"]')
        if hint.count() and hint.first.is_visible():  # how to use the control stays readable
            until(
                page,
                lambda hint=hint: not _overlap(dialog.bounding_box(), hint.first.bounding_box()),
                f"step {step['id']}: the card clear of the line under its control",
            )
        if step["id"] == "explorer":
            # "Pick a picture": the picker it names is in view, and the card covers neither the
            # pictures, the sentence saying how the network receives them, nor the maps
            header = page.locator(".app-header").bounding_box()
            strip = page.get_by_test_id("probe-strip")
            sentence = page.get_by_test_id("input-description")
            expect(strip).to_be_visible()
            expect(sentence).to_be_visible()
            for what in (strip, sentence, page.get_by_test_id("probe-thumb").first):
                b = what.bounding_box()
                assert b and b["y"] >= header["y"] + header["height"] - 1, (step["id"], b)
                assert b["y"] + b["height"] <= 900, (step["id"], b)
                assert not _overlap(dialog.bounding_box(), b), (step["id"], b)
            assert page.locator(f'[data-tour-also~="{step["target"]}"]').count() == 1
        if step["id"] == "timeline":
            # the card talks about learning: the loss and accuracy charts stay in view too
            chart = page.get_by_test_id("metrics-chart")

            def clear_of_chart(chart: Locator = chart) -> bool:
                c, m = dialog.bounding_box(), chart.bounding_box()
                return bool(c and m) and not _overlap(c, m)

            until(page, clear_of_chart, "the card beside the loss and accuracy charts")
            assert re.search(r"[?&]epoch=1(&|$)", step["route"])
            label = page.get_by_test_id("epoch-label")
            epochs = json_of(api, f"api/runs/{served.run_id}")["epochs"]
            expect(label).to_have_text(re.compile(rf"Epoch {epochs[-1]}\b"))
            seen = [t for t in page.evaluate("window.__labels") if t != "Epoch –"]
            # it opened at epoch 1 and the tour pressed Play: on to the last epoch
            assert seen[0] == f"Epoch {epochs[0]}" and seen[-1] == f"Epoch {epochs[-1]}", seen
        if i < len(steps) - 1:
            page.get_by_test_id("tour-next").click()
