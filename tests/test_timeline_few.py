"""A timeline of one or two probe pictures (a snapshot of a model on a photo or two): PCA's
layout is exact for so few points, so the view answers instead of refusing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from convlens import views
from convlens.core import InputContract
from convlens.pipelines import snapshot
from convlens.store import Run
from convlens.testing import TinyConvNet
from convlens.views import Inspector

GREY8 = InputContract(size=(8, 8), channels=1, resize="stretch", mean=(0.5,), std=(0.25,))


@pytest.mark.parametrize("n", [1, 2])
def test_a_timeline_of_one_or_two_pictures(tmp_path: Path, n: int) -> None:
    pics = tmp_path / "pics"
    pics.mkdir()
    rng = np.random.default_rng(n)
    for i in range(n):
        Image.fromarray(rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)).save(pics / f"{i}.png")
    path = snapshot(
        TinyConvNet(num_classes=3),
        out=tmp_path / "runs",
        data=pics,
        classes=["cat", "dog", "owl"],
        preprocess=GREY8,
        spec="convlens.testing:TinyConvNet",
        layers="conv,fc",
        run_id="few",
    )
    tl = views.timeline(Inspector(tmp_path / "runs"), Run.open(path), "fc")
    coords = np.asarray(tl["coords"])
    assert tl["method"] == "pca" and coords.shape == (1, n, 2) and np.isfinite(coords).all()
    if n == 2:  # two different pictures: two different dots
        a, b = coords[0]
        assert not np.allclose(a, b)
        assert "only two pictures" in tl["explanation"]
    else:
        assert "only one picture" in tl["explanation"]
