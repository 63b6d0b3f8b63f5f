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
    assert run.manifest.model["spec"] == "torchvision:mobilenet_v2"
    assert InputContract.from_json(run.manifest.model["input"]) == contract
    thumbs = run.probe()["thumbnails"]
    want = np.stack([prepare_image(photos[k], contract)[1] for k in ("cat", "cup")])
    assert np.abs(thumbs.astype(int) - want).max() <= 1


def test_a_recorder_run_of_a_fine_tuned_resnet18_knows_how_to_rebuild_it(tmp_path: Path) -> None:
    """ResNet's class needs arguments (block, layers), so the class alone cannot rebuild it:
    the spec is torchvision's own name, and the views rebuild the model from it."""
    _need("torchvision", "the model code is torchvision's")
    import warnings

    from torchvision.models import resnet18

    from convlens import views
    from convlens.core import ConvLensWarning
    from convlens.views import Inspector

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = resnet18()
        model.fc = torch.nn.Linear(model.fc.in_features, 3)  # fine-tuned for 3 classes
        model.eval()
    x = torch.rand(3, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    state = torch.random.get_rng_state()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvLensWarning)  # no "cannot tell how to rebuild"
        with Recorder(model, x, torch.tensor([0, 1, 2]), layers="layer4", out=tmp_path) as rec:
            rec.record_epoch()
    assert torch.equal(torch.random.get_rng_state(), state)  # the caller's random state
    run = Run.open(rec.writer.path)
    assert run.manifest.model["spec"] == "torchvision:resnet18"
    insp = Inspector(tmp_path)
    fm = views.featuremaps(insp, run, epoch=None, layer="layer4", image="probe:2")
    xin = insp.probe_tensor(run, np.array([2]))  # the picture as the views give it to the model
    with torch.no_grad():
        stem = model.maxpool(model.relu(model.bn1(model.conv1(xin))))
        want = model.layer4(model.layer3(model.layer2(model.layer1(stem))))
    np.testing.assert_allclose(np.asarray(fm["maps"]), want[0].numpy(), rtol=1e-4, atol=1e-4)
