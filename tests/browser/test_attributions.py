"""Why this decision: attribution heatmaps and their deletion/insertion scores."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from ._ui import (
    colourful_fraction,
    json_of,
    noise_pictures,
    open_view,
    paper_snapshot,
    shows_value,
    until,
)

pytestmark = pytest.mark.browser


def _is_attribution(method: str):
    return lambda r: "/attributions?" in r.url and f"method={method}" in r.url and r.ok


def _is_check(r) -> bool:
    return "/attributions/check?" in r.url and r.ok


def test_gradcam_draws_a_heatmap_with_a_colour_bar(page, served):
    with page.expect_response(_is_attribution("gradcam")) as answer:
        open_view(page, f"/attributions?run={served.run_id}&image=probe:0&method=gradcam")
    got = answer.value.json()
    overlay = page.get_by_test_id("attr-overlay")
    expect(overlay).to_be_visible()
    until(page, lambda: colourful_fraction(overlay.screenshot()) > 0.15, "a heatmap on the sketch")
    bar = page.get_by_test_id("attr-colorbar")
    expect(bar).to_be_visible()
    assert shows_value(bar.inner_text(), got["heat_max"], percent_ok=False), bar.inner_text()
    expect(page.get_by_test_id("explanation").first).to_contain_text(got["explanation"])
    expect(page.get_by_test_id("method-select")).to_have_value("gradcam")
    expect(page.get_by_test_id("target-select")).to_be_visible()
    expect(page.get_by_test_id("model-input-picture")).to_be_visible()


def test_the_verdict_quotes_the_curves_beside_a_random_baseline(page, served):
    with page.expect_response(_is_check) as answer:
        open_view(page, f"/attributions?run={served.run_id}&image=probe:0&method=gradcam")
    check = answer.value.json()
    verdict = page.get_by_test_id("attr-verdict")
    expect(verdict).to_have_text(check["explanation"])
    text = verdict.inner_text()
    if check["verdict"] != "none":
        k = max(1, round(0.1 * (len(check["fractions"]) - 1)))
        pattern = r"(?:from (\d+)% to (\d+)%|at (\d+)%); hiding \d+% at random gives (\d+)%"
        said = re.search(pattern, text)
        assert said, text
        a, b, same, rand = said.groups()
        shown = [int(a), int(b), int(rand)] if same is None else [int(same)] * 2 + [int(rand)]
        expect_pct = [check["deletion_curve"][0], check["deletion_curve"][k]]
        expect_pct.append(check["random_deletion_curve"][k])
        assert shown == [round(100 * v) for v in expect_pct], (shown, check)
        assert "does not hurt" not in text
    for kind in ("deletion", "insertion"):
        curve = page.get_by_test_id(f"curve-{kind}")
        expect(curve).to_contain_text(f"random pixels (mean of {check['random_orders']})")
        # the map's curve (solid) and the random baseline (dashed) are both drawn
        assert curve.locator("path[stroke-dasharray]").count() == 1
        assert curve.locator("path").count() >= 2
        expect(curve.get_by_test_id("y-axis-name")).to_contain_text("chance of")
        expect(curve).to_contain_text("% of pixels")
        area = curve.get_by_test_id(f"area-{kind}").inner_text()
        assert shows_value(area, check[kind], percent_ok=False), (area, check[kind])


@pytest.fixture(scope="module")
def sure_run(served, tmp_path_factory) -> Iterator[str]:
    """A snapshot run beside the trained one whose network is very sure of its answers (the
    paper CNN with its class scores scaled up), so most classes get under 5 %."""
    pics = noise_pictures(tmp_path_factory.mktemp("sure-pics"), {"": 4}, seed=0)
    with paper_snapshot(served.runs_dir, pics, "sure-paper", sure=400.0) as run_id:
        yield run_id


def test_no_verdict_for_a_class_the_network_hardly_gives(page, api, sure_run):
    got = json_of(api, f"api/runs/{sure_run}/attributions", image="probe:0", method="saliency")
    probs = got["probabilities"]
    low = min(range(len(probs)), key=lambda c: probs[c])
    assert probs[low] < 0.05, probs
    with page.expect_response(_is_check) as answer:
        open_view(page, f"/attributions?run={sure_run}&image=probe:0&method=gradcam&target={low}")
    check = answer.value.json()
    assert check["verdict"] == "none"
    verdict = page.get_by_test_id("attr-verdict")
    expect(verdict).to_have_text(check["explanation"])
    expect(verdict).to_contain_text("no verdict")
    said = "under 1%" if probs[low] < 0.005 else f"only {round(100 * probs[low])}%"
    expect(verdict).to_contain_text(said)
    assert not re.search(r"points at|take it with care|trust it in part", verdict.inner_text())


SEEN_JOB = """
window.__jobSeen = [];
new MutationObserver(() => {
  const bar = document.querySelector('[data-testid=attr-sanity] [data-testid=job-progress]');
  if (bar) window.__jobSeen.push(bar.textContent);
}).observe(document, { childList: true, subtree: true, characterData: true });
"""


def test_the_sanity_check_shows_its_progress_then_reports(page, served):
    page.add_init_script(SEEN_JOB)  # records the bar however briefly it shows
    open_view(page, f"/attributions?run={served.run_id}&image=probe:0&method=gradcam")
    expect(page.get_by_test_id("attr-verdict")).to_be_visible()
    expect(page.get_by_test_id("sanity-result")).to_have_count(0)
    with page.expect_response(lambda r: "/attributions/sanity?" in r.url and r.ok) as answer:
        page.get_by_test_id("sanity-button").click()
    got = answer.value.json()
    result = page.get_by_test_id("sanity-result")
    expect(result).to_be_visible()
    seen = page.evaluate("window.__jobSeen")
    assert seen and any("Cancel" in t and "%" in t for t in seen), seen  # bar, percent, Cancel
    assert any("Scrambling" in t for t in seen), seen  # says what it is doing
    sanity = page.get_by_test_id("attr-sanity")
    expect(sanity.get_by_test_id("job-progress")).to_have_count(0)  # gone once the result is in
    expect(result).to_contain_text(got["explanation"])
    rows = result.locator("tbody tr")
    expect(rows).to_have_count(len(got["steps"]))
    first = got["steps"][0]
    expect(rows.first).to_contain_text(f"{first['spearman']:.2f}")
    # plain numbers, 2 decimals in every row (a small SSIM once read 0.0041 beside 0.99)
    plain = lambda v: "0.00" if abs(v) < 0.005 else f"{v:.2f}"  # noqa: E731
    for row, step in zip(rows.all(), got["steps"], strict=True):
        cells = row.locator("td").all_inner_texts()
        assert cells[1:] == [plain(step["spearman"]), plain(step["ssim"])], (cells, step)
        assert str(step["count"]) in cells[0] and "layer" in cells[0], cells
    expect(page.get_by_test_id("sanity-overlay")).to_be_visible()


def test_switching_method_redraws(page, served):
    open_view(page, f"/attributions?run={served.run_id}&image=probe:3&method=gradcam")
    overlay = page.get_by_test_id("attr-overlay")
    until(page, lambda: colourful_fraction(overlay.screenshot()) > 0.15, "the Grad-CAM heatmap")
    before = overlay.screenshot()
    with page.expect_response(_is_attribution("saliency")):
        page.get_by_test_id("method-select").select_option("saliency")
    expect(page).to_have_url(re.compile(r"[?&]method=saliency(&|$)"))
    until(page, lambda: overlay.screenshot() != before, "the saliency heatmap")
    expect(page.get_by_test_id("attr-scores")).to_contain_text("deletion")
