"""``convlens demo`` leaves nothing cold for the tour (issue 12): the graph is already stored."""

from __future__ import annotations

from pathlib import Path

import pytest

from convlens.core import VideoOptions
from convlens.pipelines import demo, graph_path
from convlens.pipelines._catalogue import checkpoint_epoch
from convlens.store import Run


@pytest.mark.slow
def test_the_demo_stores_the_network_graph_the_tour_shows(tmp_path: Path) -> None:
    small = VideoOptions(width=640, height=360, fps=4, seconds_per_epoch=1.0, thumbnails=False)
    files = demo(tmp_path / "runs", epochs=1, video=small)
    run = Run.open(files["run"])
    epoch = checkpoint_epoch(run, None)  # the last checkpoint: what the Network view opens
    assert files["graph"] == run.path / graph_path(epoch)
    assert graph_path(epoch) in {a.path for a in run.manifest.artifacts}
    assert run.arrays(graph_path(epoch)) is not None  # the view reads it, nothing to lay out
