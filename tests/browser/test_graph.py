"""The 3-D network graph view (issue 4): drawn from the server's graph file."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ._ui import json_of, open_view, shows_points, until

pytestmark = pytest.mark.browser


def test_network_graph_draws_and_keeps_the_threshold_in_the_url(page, served, api):
    got = json_of(api, f"api/runs/{served.run_id}/graph")
    open_view(page, f"/graph?run={served.run_id}")
    canvas = page.get_by_test_id("graph-canvas")
    until(page, lambda: shows_points(canvas.screenshot()), "the graph on the canvas")
    expect(page.get_by_test_id("explanation").first).to_contain_text(got["explanation"][:60])
    units = str(got["description"]["counts"]["nodes"])
    expect(page.locator("section.view")).to_contain_text(units)
    threshold = page.get_by_test_id("graph-controls").locator("input[type=range]").last
    threshold.fill("0.5")
    until(page, lambda: "threshold=0.5" in page.url, "the threshold in the URL")


SEEN_JOB = """
window.__jobSeen = [];
new MutationObserver(() => {
  const bar = document.querySelector('[data-testid=job-progress]');
  if (bar) window.__jobSeen.push(bar.textContent);
}).observe(document, { childList: true, subtree: true, characterData: true });
"""


def test_a_graph_not_yet_laid_out_shows_the_jobs_progress_then_the_graph(page, served, api):
    from convlens.pipelines import graph_path
    from convlens.store import Run

    first = json_of(api, f"api/runs/{served.run_id}")["checkpoints"][0]
    run = Run.open(served.runs_dir / served.run_id)
    assert run.arrays(graph_path(first)) is None  # cold: the job has to lay it out
    page.add_init_script(SEEN_JOB)  # records the bar however briefly it shows
    open_view(page, f"/graph?run={served.run_id}&epoch={first}")
    canvas = page.get_by_test_id("graph-canvas")
    until(page, lambda: shows_points(canvas.screenshot()), "the graph on the canvas")
    seen = page.evaluate("window.__jobSeen")
    assert seen and any("Cancel" in t and "%" in t for t in seen), seen  # bar, percent, Cancel
    expect(page.get_by_test_id("job-progress")).to_have_count(0)  # gone once the graph is in
    assert Run.open(run.path).arrays(graph_path(first)) is not None  # the job stored it
