"""A spec given for a torchvision model must rebuild it: ``torchvision.models:googlenet`` for a
``googlenet(num_classes=3, aux_logits=False)`` was stored, and every view answered 409 later
("weights ... do not fit GoogLeNet: missing aux1..."). Refused when the run is made."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from convlens.core import UserInputError
from convlens.pipelines import snapshot
from convlens.record import Recorder
from convlens.testing import picture_folder

from .conftest import _need


def test_a_torchvision_factory_that_builds_another_googlenet_is_refused(tmp_path: Path) -> None:
    _need("torchvision", "the model code is torchvision's")
    from torchvision.models import googlenet

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = googlenet(num_classes=3, aux_logits=False, init_weights=False)
    x = torch.rand(2, 3, 64, 64)
    state = torch.random.get_rng_state()
    spec = "torchvision.models:googlenet"  # builds aux_logits=True: aux1.*, aux2.* too
    with (
        pytest.raises(UserInputError) as got,
        Recorder(model, x, layers="fc", out=tmp_path / "runs", spec=spec),
    ):
        pass
    msg = str(got.value)
    assert "\n" not in msg and msg.startswith(f"spec '{spec}' does not rebuild your GoogLeNet")
    assert "weights yours lacks (aux1." in msg
    assert "def make(num_classes): return googlenet(num_classes=num_classes" in msg
    assert torch.equal(torch.random.get_rng_state(), state)
    assert not (tmp_path / "runs").exists() or list((tmp_path / "runs").iterdir()) == []

    data = picture_folder(tmp_path / "pics", ["a", "b", "c"])
    with pytest.raises(UserInputError, match="does not rebuild your GoogLeNet"):
        snapshot(model, out=tmp_path / "runs", data=data, preprocess="imagenet", spec=spec)
    assert not (tmp_path / "runs").exists() or list((tmp_path / "runs").iterdir()) == []
