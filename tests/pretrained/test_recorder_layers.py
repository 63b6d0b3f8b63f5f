"""torchvision's MobileNetV2: every conv is selectable, containers record, a Recorder run of it
is complete (contract from the weights' transforms, inferred spec, thumbnails)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from convlens.core import InputContract
from convlens.data import prepare_image
from convlens.modelkit import default_layers, leaf_layers
from convlens.record import Recorder, resolve_layers
from convlens.store import Run

from .conftest import _need


def test_mobilenet_v2_layers_and_a_complete_recorder_run(
    mobilenet_weights: Path, photos: dict[str, np.ndarray], tmp_path: Path
) -> None:
    _need("torchvision", "the model code is torchvision's")
    from torchvision.models import MobileNet_V2_Weights, mobilenet_v2

    model = mobilenet_v2()
    model.load_state_dict(torch.load(mobilenet_weights, weights_only=True))
    convs = [n for n, m in model.named_modules() if isinstance(m, torch.nn.Conv2d)]
    assert resolve_layers(model, "Conv2d") == convs and len(convs) == 52
    x1 = torch.zeros(1, 3, 224, 224)
    names = {i.name for i in leaf_layers(model, x1)}
    assert set(convs) <= names
    every = {i.name: i for i in leaf_layers(model, x1, every=True)}
    assert type(model.features[0]).__name__ == "Conv2dNormActivation"
    assert every["features.0"].out_shape == (32, 112, 112)
    assert default_layers(model, x1) == ["features.18.0", "classifier.1"]

    contract = InputContract.from_torchvision(MobileNet_V2_Weights.IMAGENET1K_V1.transforms())
    x = torch.from_numpy(np.stack([prepare_image(photos[k], contract)[0] for k in ("cat", "cup")]))
    with Recorder(
        model, x, layers="features.18,classifier.1", out=tmp_path, run_id="r", preprocess=contract
    ) as rec:
        cap = rec.record_epoch()
    assert list(cap.logits.argmax(1)) == [285, 967]  # Egyptian cat, espresso
    run = Run.open(tmp_path / "r")
    assert run.manifest.model["spec"] == "torchvision.models.mobilenetv2:MobileNetV2"
    assert InputContract.from_json(run.manifest.model["input"]) == contract
    thumbs = run.probe()["thumbnails"]
    want = np.stack([prepare_image(photos[k], contract)[1] for k in ("cat", "cup")])
    assert np.abs(thumbs.astype(int) - want).max() <= 1
