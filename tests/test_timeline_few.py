"""A timeline of one or two probe pictures (a snapshot of a model on a photo or two): PCA's
layout is exact for so few points, so the view answers instead of refusing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from convlens import views
from convlens.store import Run
from convlens.views import Inspector


@pytest.mark.parametrize("n", [1, 2])
def test_a_timeline_of_one_or_two_pictures(few_picture_run, tmp_path: Path, n: int) -> None:
    path = few_picture_run(n)
    tl = views.timeline(Inspector(tmp_path / "runs"), Run.open(path), "fc")
    coords = np.asarray(tl["coords"])
    assert tl["method"] == "pca" and coords.shape == (1, n, 2) and np.isfinite(coords).all()
    if n == 2:  # two different pictures: two different dots
        a, b = coords[0]
        assert not np.allclose(a, b)
        assert "only two pictures" in tl["explanation"]
    else:
        assert "only one picture" in tl["explanation"]
