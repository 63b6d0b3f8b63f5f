"""A model with many classes (1,000 for ImageNet): the explorer's class scores show the top 20
first and the class legends the classes the pictures hold, and all of them after one click."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from ._ui import json_of, noise_pictures, open_view, paper_snapshot

pytestmark = pytest.mark.browser

N_CLASSES = 60
# labelled probe pictures: class index -> how many (the legend's most common come first)
PICTURES = {37: 3, 5: 2, 50: 1}


@pytest.fixture(scope="module")
def many_run(served, tmp_path_factory) -> Iterator[str]:
    """A snapshot run beside the trained one: the paper CNN with 60 classes."""
    counts = {str(c): n for c, n in PICTURES.items()}
    pics = noise_pictures(tmp_path_factory.mktemp("many-pics"), counts, seed=0)
    with paper_snapshot(served.runs_dir, pics, "many-paper", n_classes=N_CLASSES) as run_id:
        yield run_id


def _names(cells) -> list[str]:
    return cells.evaluate_all("cs => cs.map(c => c.getAttribute('aria-label'))")


def test_class_scores_show_the_top_20_then_all(page, api, many_run):
    got = json_of(api, f"api/runs/{many_run}/featuremaps", layer="fc2", image="probe:0")
    probs = got["probabilities"]
    top = sorted(range(N_CLASSES), key=lambda c: -probs[c])[:20]
    open_view(page, f"/explorer?run={many_run}&layer=fc2&image=probe:0")
    grid = page.get_by_test_id("fmap-grid")
    cells = grid.get_by_test_id("fmap-cell")
    expect(cells).to_have_count(20)
    assert _names(cells) == [f"kind {c}" for c in top]  # highest score first
    expect(grid.get_by_test_id("fmap-top-note")).to_have_text(
        f"The 20 highest of {N_CLASSES} class scores, highest first."
    )
    button = grid.get_by_test_id("fmap-show-all")
    expect(button).to_have_text(f"Show all {N_CLASSES} class scores")
    button.click()
    expect(cells).to_have_count(N_CLASSES)
    assert _names(cells) == [f"kind {c}" for c in range(N_CLASSES)]
    expect(grid.get_by_test_id("fmap-top-note")).to_have_count(0)
    expect(button).to_have_text("Show only the top 20")
    button.click()
    expect(cells).to_have_count(20)


def test_class_legend_shows_the_classes_the_pictures_hold_then_all(page, many_run):
    """Of 60 classes the pictures hold 3: the legend names those 3, most common first (57 rows
    of "0" said nothing), and all 60 after one click."""
    open_view(page, f"/projection?run={many_run}&method=pca")
    legend = page.get_by_test_id("legend")
    items = legend.get_by_test_id("legend-item")
    expect(items).to_have_count(3)
    texts = items.all_inner_texts()
    assert [" ".join(t.split()) for t in texts] == ["kind 37 3", "kind 5 2", "kind 50 1"]
    expect(legend).to_contain_text(f"the 3 classes these pictures show, of {N_CLASSES}")
    legend.get_by_test_id("legend-show-all").click()
    expect(items).to_have_count(N_CLASSES)
    expect(legend.get_by_test_id("legend-show-all")).to_have_text("Show only 3")
