"""The layer explorer: feature maps of a probe or an uploaded photo, their order, errors."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from playwright.sync_api import expect

from ._ui import colourful_fraction, distinct_colours, json_of, open_view, until

pytestmark = pytest.mark.browser


def _channels(page) -> list[int]:
    return page.get_by_test_id("fmap-cell").evaluate_all(
        "cells => cells.map(c => Number(c.dataset.channel))"
    )


def _fields(body: bytes) -> dict:
    """The non-array fields of the page's binary feature-map answer (docs/api.md)."""
    assert body[8:9] == b"{", "the page asked for JSON, not the binary answer"
    n = int.from_bytes(body[:8], "little")
    meta = json.loads(json.loads(body[8 : 8 + n])["__metadata__"]["convlens"])
    assert meta["arrays"]["maps"]["encoding"] == "u8"
    return dict(meta["fields"])


def _is_featuremaps(order: str):
    return lambda r: "/featuremaps?" in r.url and f"order={order}" in r.url and r.ok


def test_explorer_shows_every_channel_and_reorders(page, served, api):
    fm = json_of(api, f"api/runs/{served.run_id}/featuremaps", layer="conv2", image="probe:0")
    n_channels = fm["shape"][0]
    assert n_channels == 64

    open_view(page, f"/explorer?run={served.run_id}&layer=conv2&image=probe:0&order=natural")
    cells = page.get_by_test_id("fmap-cell")
    expect(cells).to_have_count(n_channels)
    assert _channels(page) == fm["order"] == list(range(n_channels))
    expect(page.get_by_test_id("fmap-grid")).to_be_visible()
    expect(page.get_by_test_id("weights-grid")).to_be_visible()
    expect(page.get_by_test_id("probe-thumb").first).to_be_visible()

    with page.expect_response(_is_featuremaps("kmeans")) as answer:
        page.get_by_test_id("order-select").select_option("kmeans")
    answered = _fields(answer.value.body())
    kmeans = answered["order"]
    asked = dict(parse_qsl(urlsplit(answer.value.url).query))
    assert json_of(api, urlsplit(answer.value.url).path.lstrip("/"), **asked)["order"] == kmeans
    expect(page).to_have_url(re.compile(r"[?&]order=kmeans(&|$)"))
    assert sorted(kmeans) == list(range(n_channels))
    assert kmeans != list(range(n_channels)), "k-means kept the natural order"
    until(page, lambda: _channels(page) == kmeans, "the cells in the k-means order")
    expect(page.get_by_test_id("explanation").first).to_contain_text(answered["explanation"])


def test_upload_a_photo_shows_its_maps(page, served, tmp_path):
    from PIL import Image
    from skimage import data

    photo = tmp_path / "astronaut.png"
    Image.fromarray(data.astronaut()).save(photo)

    open_view(page, f"/explorer?run={served.run_id}&layer=conv2&image=probe:0")
    expect(page.get_by_test_id("fmap-cell")).to_have_count(64)
    page.get_by_test_id("image-upload").set_input_files(photo)
    expect(page).to_have_url(re.compile(r"[?&]image=upload(:|%3A)[0-9a-f]+"))
    expect(page.locator("[data-state]").first).to_have_attribute("data-state", "ready")
    expect(page.get_by_test_id("fmap-cell")).to_have_count(64)
    grid = page.get_by_test_id("fmap-grid")
    until(page, lambda: colourful_fraction(grid.screenshot()) > 0.1, "the feature maps drawn")
    expect(page.get_by_test_id("error-banner")).to_have_count(0)
    # how the network receives the picture is said once, in the panel beside the pictures, with
    # what was handed in (the photo's size and colour)
    expect(page.get_by_text(re.compile("The network sees each picture"))).to_have_count(1)
    panel = page.get_by_test_id("model-input")
    expect(panel.get_by_test_id("input-description")).to_contain_text("in grey")
    expect(panel.get_by_test_id("handed-in")).to_have_text("512×512 pixels, in colour")
    expect(page.locator(".image-source").get_by_test_id("model-input")).to_have_count(1)
    expect(panel.get_by_test_id("model-input-picture")).to_be_visible()


def test_upload_of_a_non_image_shows_the_servers_message(page, served, api, console, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("these are notes, not a picture\n")
    refused = api.post("api/uploads", files={"file": ("notes.txt", notes.read_bytes())})
    assert refused.status_code == 415
    message = refused.json()["detail"]
    console.allow(r"status of 415")  # Chromium logs every failed request as a console error

    open_view(page, f"/explorer?run={served.run_id}&layer=conv2&image=probe:0")
    page.get_by_test_id("image-upload").set_input_files(notes)
    banner = page.get_by_test_id("error-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text(message)

    # the page still works: another probe image shows its maps
    page.locator('[data-testid="probe-thumb"][data-index="1"]').click()
    expect(page).to_have_url(re.compile(r"[?&]image=probe(:|%3A)1(&|$)"))
    expect(page.locator("[data-state]").first).to_have_attribute("data-state", "ready")
    expect(page.get_by_test_id("fmap-cell")).to_have_count(64)


def test_explorer_fully_connected_layer(page, served, api):
    fm = json_of(api, f"api/runs/{served.run_id}/featuremaps", layer="fc1", image="probe:2")
    open_view(page, f"/explorer?run={served.run_id}&layer=fc1&image=probe:2")
    expect(page.get_by_test_id("fmap-cell")).to_have_count(fm["shape"][0])


def test_a_clicked_map_shows_the_probes_that_excite_it(page, served, api):
    open_view(page, f"/explorer?run={served.run_id}&layer=conv2&image=probe:0")
    expect(page.get_by_test_id("volume-view")).to_be_visible()
    page.locator('[data-testid="fmap-cell"][data-channel="5"]').click()
    top = page.get_by_test_id("top-probes")
    expect(top).to_have_attribute("data-state", "ready")
    expect(top).to_contain_text("channel 5")
    want = json_of(api, f"api/runs/{served.run_id}/top", layer="conv2", channel=5, k=9)
    images = top.locator("img")
    expect(images).to_have_count(len(want["indices"]))
    sources = images.evaluate_all("imgs => imgs.map(i => i.getAttribute('src'))")
    shown = [int(re.search(r"probe/(\d+)\.png", s).group(1)) for s in sources]
    assert shown == want["indices"]


def test_the_3d_volume_is_drawn_in_the_middle_of_its_box(page, served):
    """On first draw the camera looks at the volume (it once looked past it: a corner showed)."""
    import io

    import numpy as np
    from PIL import Image

    open_view(page, f"/explorer?run={served.run_id}&layer=conv1&image=probe:0")
    canvas = page.get_by_test_id("volume-canvas")
    expect(canvas).to_be_visible()
    canvas.scroll_into_view_if_needed()

    seen: list[tuple[float, float]] = []

    def drawn() -> bool:
        rgb = np.asarray(Image.open(io.BytesIO(canvas.screenshot())).convert("RGB"), dtype=int)
        ys, xs = np.nonzero(rgb.max(axis=2) - rgb.min(axis=2) > 40)  # the red and blue points
        if len(xs) < 200:
            return False
        seen.append((xs.mean() / rgb.shape[1], ys.mean() / rgb.shape[0]))
        return True

    until(page, drawn, "the 3-D volume's points")
    c = seen[-1]
    assert 0.3 < c[0] < 0.7 and 0.3 < c[1] < 0.7, f"the volume's points centre at {c}"


_PAINTED = """cells => cells.map(cell => {
  const c = cell.querySelector('canvas');
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let opaque = true, lo = 765, hi = 0;
  for (let i = 0; i < d.length; i += 4) {
    if (d[i + 3] === 0) opaque = false;
    const v = d[i] + d[i + 1] + d[i + 2];
    lo = Math.min(lo, v); hi = Math.max(hi, v);
  }
  return { channel: Number(cell.dataset.channel), opaque, varied: hi > lo };
})"""


def _blank_maps(page) -> list[int]:
    """Channels whose canvas was never painted (a fresh canvas is transparent, a map is opaque)."""
    cells = page.get_by_test_id("fmap-cell").evaluate_all(_PAINTED)
    return [c["channel"] for c in cells if not c["opaque"]]


def _varied_maps(page) -> int:
    return sum(c["varied"] for c in page.get_by_test_id("fmap-cell").evaluate_all(_PAINTED))


def test_switching_pictures_in_kmeans_order_leaves_no_map_blank(page, served, tmp_path):
    from PIL import Image
    from skimage import data

    photo = tmp_path / "astronaut.png"
    Image.fromarray(data.astronaut()).save(photo)
    open_view(page, f"/explorer?run={served.run_id}&layer=conv2&image=probe:0&order=kmeans")
    expect(page.get_by_test_id("fmap-group").first).to_be_visible()
    until(page, lambda: _blank_maps(page) == [], "every map of probe:0 drawn")
    for pick in ("probe:1", "probe:2", "upload"):
        order = _channels(page)
        with page.expect_response(_is_featuremaps("kmeans")):
            if pick == "upload":
                page.get_by_test_id("image-upload").set_input_files(photo)
            else:
                page.locator(f'[data-testid="probe-thumb"][data-index="{pick[-1]}"]').click()
        expect(page.locator("[data-state]").first).to_have_attribute("data-state", "ready")
        until(page, lambda old=order: _channels(page) != old, f"the k-means order of {pick}")
        until(page, lambda: _blank_maps(page) == [], f"every map of {pick} drawn")
        expect(page.get_by_test_id("fmap-cell")).to_have_count(64)
        # a dead filter paints one flat colour; most maps of a picture vary
        assert _varied_maps(page) >= 32, f"most maps of {pick} drawn flat"


def test_a_clicked_map_is_enlarged_with_values_on_hover(page, served):
    open_view(page, f"/explorer?run={served.run_id}&layer=conv2&image=probe:0")
    expect(page.get_by_test_id("fmap-big")).to_have_count(0)
    page.locator('[data-testid="fmap-cell"][data-channel="5"]').click()
    big = page.get_by_test_id("fmap-big-canvas")
    expect(big).to_be_visible()
    box = big.bounding_box()
    assert box["width"] >= 200 and box["height"] >= 200
    value = page.get_by_test_id("fmap-big-value")
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    expect(value).to_contain_text(re.compile(r"Row \d+, column \d+: -?[\d.,]+$"))
    assert _one_style(value.inner_text().split(": ")[-1]), value.inner_text()
    # the click still finds the probes that excite the map
    expect(page.get_by_test_id("top-probes")).to_contain_text("channel 5")
    page.locator('[data-testid="fmap-cell"][data-channel="7"]').click()
    expect(page.get_by_test_id("fmap-big")).to_have_attribute("data-channel", "7")


def test_output_units_carry_class_names(page, served, api):
    layers = json_of(api, f"api/runs/{served.run_id}/layers")["layers"]
    classes = json_of(api, f"api/runs/{served.run_id}")["classes"]
    last = layers[-1]["name"]
    open_view(page, f"/explorer?run={served.run_id}&layer={last}&image=probe:0")
    names = page.get_by_test_id("unit-name")
    expect(names).to_have_count(len(classes))
    shown = [t.rsplit(" ", 1)[0] for t in names.all_inner_texts()]
    assert shown == classes
    for t in names.all_inner_texts():
        assert _one_style(t.rsplit(" ", 1)[1]), t


def test_pointing_at_a_sentence_lights_up_the_maps_it_names(page, served, api):
    run = served.run_id
    route = f"/explorer?run={run}&layer=conv1&image=probe:0"
    body = json_of(api, f"api/runs/{run}/featuremaps", layer="conv1", image="probe:0")
    named = [p for p in body["explanation_parts"] if p["channels"]]
    assert any("most strongly" in p["text"] for p in named), body["explanation_parts"]
    page.set_viewport_size({"width": 1440, "height": 900})
    open_view(page, route)
    cells = page.get_by_test_id("fmap-cell")
    lit = page.locator('[data-testid="fmap-cell"].lit')
    sentences = page.get_by_test_id("linked-sentence")
    expect(sentences).to_have_count(len(named))
    for i, part in enumerate(named):
        sentence = sentences.nth(i)
        expect(sentence).to_have_text(part["text"])
        sentence.hover()
        expect(lit).to_have_count(len(part["channels"]))
        shown = lit.evaluate_all("cs => cs.map(c => Number(c.dataset.channel))")
        assert sorted(shown) == sorted(part["channels"]), (part["text"], shown)
        dim = page.locator('[data-testid="fmap-cell"].dim')
        expect(dim).to_have_count(cells.count() - len(part["channels"]))
        page.get_by_role("heading", name=re.compile("Feature maps of")).hover()
        expect(lit).to_have_count(0)


def test_the_output_layer_shows_class_scores_and_its_weight_matrix(page, served, api):
    layers = json_of(api, f"api/runs/{served.run_id}/layers")["layers"]
    classes = json_of(api, f"api/runs/{served.run_id}")["classes"]
    last = layers[-1]["name"]
    open_view(page, f"/explorer?run={served.run_id}&layer={last}&image=probe:0")
    expect(page.get_by_role("heading", name=re.compile(f"^Class scores of {last}"))).to_be_visible()
    expect(page.get_by_test_id("explanation").first).to_contain_text(
        f"{len(classes)} class scores that layer {last} gives"
    )
    card = page.get_by_test_id("weights-grid")
    expect(card.get_by_test_id("weights-linear")).to_be_visible()
    names = card.get_by_test_id("weights-row-name")
    expect(names).to_have_count(len(classes))
    assert names.all_inner_texts() == classes
    canvas = card.get_by_test_id("weights-canvas")
    until(page, lambda: distinct_colours(canvas.screenshot()) > 20, "the weight matrix drawn")
    expect(card.locator("p")).to_have_count(1)  # one caption, not the server's text again
    box = canvas.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] * 2.5 / len(classes))
    expect(page).to_have_url(re.compile(r"[?&]channel=2(&|$)"))
    top = page.get_by_test_id("top-probes")
    expect(top.get_by_role("heading")).to_have_text(f"Pictures that raise the {classes[2]} score")
    expect(top).to_contain_text(f"raise the {classes[2]} score of layer {last} the most")
    expect(page.get_by_test_id("volume-none")).to_contain_text("class scores, not maps")
    expect(page.get_by_test_id("volume-canvas")).to_have_count(0)


def test_a_cut_weight_matrix_says_how_much_of_it_is_drawn(page, served, api):
    got = json_of(api, f"api/runs/{served.run_id}/weights", layer="fc1")
    units, inputs = got["shape"]
    assert got["truncated"] and units == 50 and inputs > 1024, got["shape"]
    open_view(page, f"/explorer?run={served.run_id}&layer=fc1&image=probe:0")
    caption = page.get_by_test_id("weights-grid").locator("p")
    expect(caption).to_contain_text(
        f"Rows: the 50 units · columns: the first 1,024 of the {inputs:,} inputs each unit reads"
    )


def test_the_weights_card_says_in_one_line_when_a_layer_has_no_weights(page, served, api):
    layers = json_of(api, f"api/runs/{served.run_id}/layers")["layers"]
    bare = next(lay for lay in layers if lay["params"] == 0)
    open_view(page, f"/explorer?run={served.run_id}&layer={bare['name']}&image=probe:0")
    card = page.get_by_test_id("weights-grid")
    expect(card.get_by_test_id("weights-note")).to_contain_text("no weights of its own")
    expect(card.locator("p")).to_have_count(1)
    expect(card.get_by_test_id("weights-canvas")).to_have_count(0)
    # a filter layer: one caption under its stencils, the server's words not repeated
    open_view(page, f"/explorer?run={served.run_id}&layer=conv1&image=probe:0")
    expect(card.get_by_test_id("weights-canvas")).to_be_visible()
    expect(card.locator("p")).to_have_count(1)


def test_kmeans_groups_are_grey_and_numbered_not_class_coloured(page, served):
    open_view(page, f"/explorer?run={served.run_id}&layer=conv2&image=probe:0&order=kmeans")
    groups = page.locator('[data-testid="fmap-group"][data-cluster]')
    expect(groups.first).to_be_visible()
    looks = groups.evaluate_all(
        """gs => gs.map(g => [g.dataset.cluster, getComputedStyle(g).borderTopColor,
            getComputedStyle(g.querySelector('[data-testid=group-label]')).backgroundColor,
            g.querySelector('[data-testid=group-label]').textContent])"""
    )
    assert len(looks) > 1, looks
    for cluster, border, label_bg, label in looks:
        for colour in (border, label_bg):
            r, g, b = (int(v) for v in re.findall(r"\d+", colour)[:3])
            assert max(r, g, b) - min(r, g, b) <= 24, (colour, "is not a grey")
        assert label.startswith(f"group {int(cluster) + 1} · "), label


def test_maps_of_the_old_layer_never_stand_under_the_new_title(page, served):
    open_view(page, f"/explorer?run={served.run_id}&layer=conv2&image=probe:0")
    held = []
    page.route(
        lambda url: "/featuremaps?" in url and "layer=fc1" in url,
        lambda route, *_: held.append(route),
    )
    page.get_by_test_id("layer-select").select_option("fc1")
    grid = page.get_by_test_id("fmap-grid")
    expect(grid).to_have_attribute("data-stale", "true")  # faded, with a note, while it loads
    expect(page.get_by_role("status").filter(has_text="Computing the units of fc1")).to_be_visible()
    assert grid.evaluate("g => Number(getComputedStyle(g).opacity)") < 0.5
    expect(page.get_by_test_id("explanation").first).not_to_contain_text("conv2")
    until(page, lambda: bool(held), "the held feature-map request")
    for route in held:
        route.continue_()
    expect(page.locator("[data-stale]")).to_have_count(0)
    expect(page.get_by_test_id("fmap-cell")).to_have_count(50)
    expect(page.get_by_test_id("explanation").first).to_contain_text("numbers that layer fc1")


def test_maps_too_faint_to_see_are_counted_with_the_silent_ones(page, served, api):
    """The text's count of maps that find nothing matches what the eye sees: maps whose peak is a
    trace of the colour scale look white, and a sentence names them."""
    run = served.run_id
    found = None
    for layer in ("conv1", "conv2"):
        for i in range(6):
            body = json_of(api, f"api/runs/{run}/featuremaps", layer=layer, image=f"probe:{i}")
            part = next((p for p in body["explanation_parts"] if "too faint" in p["text"]), None)
            if part:
                found = (layer, i, part)
                break
        if found:
            break
    assert found, "no faint maps in the first pictures of conv1 or conv2"
    layer, i, part = found
    open_view(page, f"/explorer?run={run}&layer={layer}&image=probe:{i}")
    sentence = page.get_by_test_id("linked-sentence").filter(has_text="too faint to see")
    expect(sentence).to_have_text(part["text"])
    sentence.hover()
    lit = page.locator('[data-testid="fmap-cell"].lit')
    expect(lit).to_have_count(len(part["channels"]))
    page.get_by_role("heading", name=re.compile("Feature maps of")).hover()
    for ch in part["channels"]:  # no clearly red pixel in any of them (blue may be strong)
        cell = page.locator(f'[data-testid="fmap-cell"][data-channel="{ch}"] canvas')
        assert _red_fraction(cell.screenshot()) < 0.01, ch
    for ch in _top_maps(api, run, layer, i):  # while the strongest maps are clearly red
        cell = page.locator(f'[data-testid="fmap-cell"][data-channel="{ch}"] canvas')
        assert _red_fraction(cell.screenshot()) > 0.01, ch


def _top_maps(api, run: str, layer: str, i: int) -> list[int]:
    body = json_of(api, f"api/runs/{run}/featuremaps", layer=layer, image=f"probe:{i}")
    return next(p["channels"] for p in body["explanation_parts"] if "most strongly" in p["text"])


def _red_fraction(png: bytes) -> float:
    """The share of a screenshot's pixels that are clearly red (the diverging scale's plus)."""
    import io

    import numpy as np
    from PIL import Image

    with Image.open(io.BytesIO(png)) as im:
        rgb = np.asarray(im.convert("RGB"), dtype=np.int16)
    return float((rgb[..., 0] - rgb[..., 2] >= 40).mean())


def _one_style(shown: str) -> bool:
    """A value written by the explorer's one rule: a plain decimal with two significant digits
    (0.0081, 0.16, 3.2), a whole number from 10 up (14, 1,234), or 0; no scientific notation."""
    if (
        shown == "0"
        or re.fullmatch(r"-?\d{1,3}(,\d{3})*", shown)
        and abs(int(shown.replace(",", ""))) >= 10
    ):
        return True
    m = re.fullmatch(r"-?(\d+)\.(\d+)", shown)
    if not m:
        return False
    digits = (m[1] + m[2]).lstrip("0")
    return len(digits) == 2


def test_numbers_follow_one_rule_and_top_pictures_say_what_their_number_is(page, served, api):
    run = served.run_id
    open_view(page, f"/explorer?run={run}&layer=conv2&image=probe:0&channel=8")
    items = page.get_by_test_id("top-value")
    expect(items).to_have_count(9)
    got = json_of(api, f"api/runs/{run}/top", layer="conv2", channel=8, k=9)
    for text, value in zip(items.all_inner_texts(), got["values"], strict=True):
        label, shown = text.rsplit(" ", 1)
        assert label == "strength" and _one_style(shown), text
        assert abs(float(shown.replace(",", "")) - value) <= 0.05 * abs(value) + 1e-6, (text, value)
    expect(page.get_by_test_id("top-probes")).to_contain_text("its strength")
    # the enlarged map's lowest, highest and average, and the colour bar: the same rule
    caption = page.get_by_test_id("fmap-big").locator("figcaption").inner_text()
    stats = re.search(r"Lowest (\S+), highest (\S+), average (\S+)\.", caption)
    assert stats and all(_one_style(v) for v in stats.groups()), caption
    ticks = page.locator(".colorbar .tick").all_inner_texts()
    assert ticks and all(_one_style(t) for t in ticks), ticks
    # every decimal above the step-by-step panel (percentages aside) follows it too
    above = page.locator(".explorer-view").inner_text().split("How map")[0]
    decimals = re.findall(r"-?\d+\.\d+(?![\d%])", above)
    assert decimals and all(_one_style(d) for d in decimals), decimals
