"""A probe set without labels (a snapshot of the user's model over a flat folder of pictures):
the timeline, the projection and class gradients say so, and no picture is called wrong."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from ._ui import noise_pictures, open_view, paper_snapshot

pytestmark = pytest.mark.browser

N_PICTURES = 4


@pytest.fixture(scope="module")
def flat_run(served, tmp_path_factory) -> Iterator[str]:
    """A snapshot run over a flat folder (no labels), beside the trained one."""
    pics = noise_pictures(tmp_path_factory.mktemp("flat-pics"), {"": N_PICTURES}, seed=1)
    with paper_snapshot(served.runs_dir, pics, "flat-paper") as run_id:
        yield run_id


def test_timeline_says_the_pictures_have_no_labels(page, flat_run):
    open_view(page, f"/timeline?run={flat_run}")
    explanation = page.get_by_test_id("explanation")
    expect(explanation).to_contain_text("came without labels")
    assert not re.search(r"\d+% right", explanation.inner_text())  # was "gets 0% right"
    legend = page.get_by_test_id("legend")
    expect(legend).to_contain_text("no labels")
    expect(legend.get_by_test_id("legend-item")).to_have_count(1)
    expect(page.get_by_test_id("mistake-note")).to_have_count(0)  # no dot ringed as wrong
    page.get_by_test_id("color-by").select_option("correct")
    items = legend.get_by_test_id("legend-item")
    expect(items).to_have_count(3)
    assert [" ".join(t.split()) for t in items.all_inner_texts()] == [
        "right 0",
        "wrong 0",
        f"no label {N_PICTURES}",
    ]


def test_projection_colours_pictures_without_labels_grey(page, flat_run):
    open_view(page, f"/projection?run={flat_run}&method=pca")
    legend = page.get_by_test_id("legend")
    items = legend.get_by_test_id("legend-item")
    expect(items).to_have_count(1)
    said = " ".join(items.inner_text().split())
    assert said == f"no labels: these pictures came without their kind {N_PICTURES}", said
    quality = page.get_by_test_id("quality-text").inner_text()
    assert not re.search(r"\b1 pictures\b|\b1 are\b", quality), quality


def test_the_runs_page_says_what_not_measured_means(page, flat_run):
    open_view(page, "/")
    row = page.get_by_test_id("run-row").filter(has_text=flat_run)
    expect(row).to_contain_text("not measured")
    expect(page.get_by_test_id("explanation")).to_contain_text(
        '"Not measured" marks a run with no test score'
    )


def test_class_gradients_say_the_pair_comes_from_the_networks_answers(page, flat_run):
    """Without labels nothing is "mixed up": the pair is where the network's answers split."""
    open_view(page, f"/classgrads?run={flat_run}")
    text = " ".join(page.get_by_test_id("explanation").inner_text().split())
    said = re.sub(r"^what am i looking at\? ", "", text, flags=re.I)  # the box's heading
    assert said.startswith("The probe pictures have no labels"), text  # the note comes first
    assert "often split between" in text, text
    assert not re.search(r"mixed up|confuse", text), text
    similar = page.locator('[data-testid="classgrad-group"][data-role="similar"]')
    expect(similar).to_contain_text("the class the network most often gives beside it")
    chart = page.get_by_test_id("classgrad-chart")
    assert not re.search(r"confuse", chart.inner_text()), chart.inner_text()
    subtitle = page.locator(".classgrads-view").first.inner_text()
    assert "confuses it with" not in subtitle
    note = page.get_by_test_id("classgrad-note").inner_text()
    assert "pictures the network gives that class" in note and "mixes" not in note, note


def test_class_gradients_of_labelled_pictures_still_speak_of_confusion(page, served):
    open_view(page, f"/classgrads?run={served.run_id}")
    expect(page.get_by_test_id("explanation")).to_contain_text("are often mixed up")
    similar = page.locator('[data-testid="classgrad-group"][data-role="similar"]')
    expect(similar).to_contain_text("the class the network confuses with it most")
