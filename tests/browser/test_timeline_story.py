"""The timeline tells the run's story: markers on the epoch slider, the layer's verdict, and
glossary tooltips on the technical words of its explanation."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from ._ui import json_of, open_view

pytestmark = pytest.mark.browser

GLOSSARY = json.loads(
    (Path(__file__).resolve().parents[2] / "web/src/lib/glossary.json").read_text("utf-8")
)["terms"]


def test_story_markers_sit_on_the_slider_and_jump_to_their_epoch(page, served, api):
    story = json_of(api, f"api/runs/{served.run_id}/story")
    epochs = story["epochs"]
    shown = sorted({e["epoch"] for e in story["events"] if e["layer"] in (None, "fc1")})
    assert shown, f"the browser run's story has no event to mark: {story['events']}"
    page.set_viewport_size({"width": 1440, "height": 900})
    open_view(page, f"/timeline?run={served.run_id}&layer=fc1&epoch={epochs[-1]}")

    markers = page.get_by_test_id("story-marker")
    expect(markers).to_have_count(len(shown))
    assert [int(markers.nth(i).get_attribute("data-epoch")) for i in range(len(shown))] == shown
    slider = page.get_by_test_id("epoch-slider").bounding_box()
    lo, hi = epochs[0], epochs[-1]
    for i, epoch in enumerate(shown):  # each over the slider, where the thumb stands at its epoch
        box = markers.nth(i).bounding_box()
        centre = box["x"] + box["width"] / 2
        want = slider["x"] + 8 + (slider["width"] - 16) * (epoch - lo) / (hi - lo)
        assert abs(centre - want) <= 3, (epoch, centre, want)
        assert box["y"] + box["height"] <= slider["y"] + 2  # just above the track

    target = next(e for e in story["events"] if e["epoch"] == shown[0])
    first = markers.first
    first.hover()
    tip = page.get_by_test_id("story-marker-tip")
    expect(tip).to_be_visible()
    expect(tip).to_contain_text(target["text"][1:])  # the sentence, first letter capitalised
    first.click()
    expect(page.get_by_test_id("epoch-label")).to_have_text(re.compile(rf"Epoch {shown[0]}\b"))
    expect(page).to_have_url(re.compile(rf"[?&]epoch={shown[0]}(&|$)"))
    expect(page.get_by_test_id("story-now")).to_contain_text(target["text"][1:])


def test_the_layer_verdict_is_shown_and_its_pair_highlighted(page, served, api):
    story = json_of(api, f"api/runs/{served.run_id}/story")
    open_view(page, f"/timeline?run={served.run_id}&layer=fc1")
    verdict = next(v for v in story["layers"] if v["layer"] == "fc1")
    box = page.get_by_test_id("layer-verdict")
    expect(box).to_contain_text(verdict["sentence"])
    conv = next(v for v in story["layers"] if v["layer"] == "conv2")
    page.get_by_test_id("layer-select").select_option("conv2")
    expect(box).to_contain_text(conv["sentence"])
    expect(box).to_have_attribute("data-separates", str(conv["separates_kinds"]).lower())
    for v in story["layers"]:
        if v["tangled"]:
            page.get_by_test_id("layer-select").select_option(v["layer"])
            expect(page.locator("[data-state]").first).to_have_attribute("data-state", "ready")
            box.hover()
            expect(box).to_have_attribute("data-highlight", ",".join(v["tangled"]))
            page.mouse.move(5, 5)
            expect(box).not_to_have_attribute("data-highlight", re.compile("."))


def test_hovering_a_glossary_term_shows_its_definition(page, served):
    open_view(page, f"/timeline?run={served.run_id}&layer=fc1")
    term = page.get_by_test_id("explanation").get_by_test_id("term").first
    expect(term).to_be_visible()
    name = term.get_attribute("data-term")
    definition = next(e["text"] for e in GLOSSARY if e["term"] == name)
    expect(page.get_by_test_id("term-tip")).to_have_count(0)
    term.hover()
    tip = page.get_by_test_id("term-tip")
    expect(tip).to_be_visible()
    expect(tip).to_contain_text(definition)
    # the subtitle's terms carry tooltips too
    expect(page.get_by_test_id("view-subtitle").get_by_test_id("term").first).to_be_visible()


def test_the_verdict_says_what_an_earlier_epoch_shows(page, served, api):
    """The verdict speaks of the last epoch; at an earlier one it adds that epoch's share."""
    story = json_of(api, f"api/runs/{served.run_id}/story")
    fc1 = next(v for v in story["layers"] if v["layer"] == "fc1")
    first, last = story["epochs"][0], story["epochs"][-1]
    open_view(page, f"/timeline?run={served.run_id}&layer=fc1&epoch={first}")
    now = page.get_by_test_id("verdict-now")
    share = int(fc1["mean_purity"][0] * 100 + 0.5)  # Math.round, not banker's rounding
    said = f"That is at the last epoch. At epoch {first}, that share is {share}%."
    expect(now).to_have_text(said)
    open_view(page, f"/timeline?run={served.run_id}&layer=fc1&epoch={last}")
    expect(page.get_by_test_id("layer-verdict")).to_contain_text(fc1["sentence"])
    expect(now).to_have_count(0)


def test_the_side_panel_stays_still_while_the_slider_moves(page, served, api):
    """While scrubbing, the epoch sentence and the charts' marker must not be redrawn every frame
    (that halved the frame rate on a software GPU): the sentence waits until the slider rests,
    and the marker lives on a layer of its own over the charts."""
    story = json_of(api, f"api/runs/{served.run_id}/story")
    first = story["epochs"][0]
    open_view(page, f"/timeline?run={served.run_id}&layer=fc1&epoch={first}")
    now = page.get_by_test_id("verdict-now")
    expect(now).to_contain_text(f"At epoch {first},")
    texts = page.evaluate(
        """async () => {
          const tl = window.__convlens.timeline, seen = [];
          for (let f = 0; f < 20; f++) {  // a scrub of 20 frames across the first two epochs
            tl.setEpoch((f % 10) / 10);
            await new Promise(r => requestAnimationFrame(r));
            const el = document.querySelector('[data-testid="verdict-now"]');
            seen.push(el ? el.textContent : "");
          }
          return seen;
        }"""
    )
    assert len(set(texts)) == 1, texts  # unchanged while it moved
    chart = page.get_by_test_id("metrics-chart")
    assert chart.locator("svg.marker-layer line").count() >= 1
    assert chart.locator("svg:not(.marker-layer) g.marker").count() == 0
