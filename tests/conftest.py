"""Shared fixtures: every test writes only under pytest's temporary folders."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from convlens.testing import make_fixture_run


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CONVLENS_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))
    monkeypatch.setenv("CONVLENS_QUIET", "1")


@pytest.fixture
def fixture_run(tmp_path: Path) -> Path:
    """A small real run: TinyConvNet, 24 probes, 3 epochs, layers conv and fc."""
    return make_fixture_run(tmp_path / "runs", epochs=3)


@pytest.fixture
def few_picture_run(tmp_path: Path) -> Callable[[int], Path]:
    """``few_picture_run(n)``: a snapshot of TinyConvNet (3 classes, grey 8 px) on ``n`` random
    photos, as run ``few``; returns the run folder."""
    import numpy as np
    from PIL import Image

    from convlens.core import InputContract
    from convlens.pipelines import snapshot
    from convlens.testing import TinyConvNet

    def make(n: int) -> Path:
        pics = tmp_path / "pics"
        pics.mkdir()
        rng = np.random.default_rng(n)
        for i in range(n):
            pixels = rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(pics / f"{i}.png")
        grey8 = InputContract(size=(8, 8), channels=1, resize="stretch", mean=(0.5,), std=(0.25,))
        return snapshot(
            TinyConvNet(num_classes=3),
            out=tmp_path / "runs",
            data=pics,
            classes=["cat", "dog", "owl"],
            preprocess=grey8,
            spec="convlens.testing:TinyConvNet",
            layers="conv,fc",
            run_id="few",
        )

    return make
