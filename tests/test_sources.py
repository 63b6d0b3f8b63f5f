"""Model sources without torchvision: class names shipped, specs refused with what to do."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from convlens.core import MissingExtraError, UserInputError
from convlens.models import imagenet_classes, load_pretrained


def test_imagenet_class_names_are_shipped_in_output_order() -> None:
    names = imagenet_classes()
    assert len(names) == 1000 and len(set(names)) >= 998
    assert names[0] == "tench" and names[281] == "tabby" and names[967] == "espresso"


def test_unknown_spec_and_missing_onnx_file(tmp_path: Path) -> None:
    with pytest.raises(UserInputError, match="torchvision:NAME"):
        load_pretrained("resnet18")
    with pytest.raises(UserInputError, match="does not exist"):
        load_pretrained(str(tmp_path / "model.onnx"))


@pytest.mark.skipif(importlib.util.find_spec("torchvision") is not None, reason="installed")
def test_torchvision_missing_names_the_extra() -> None:
    with pytest.raises(MissingExtraError, match="torchvision"):
        load_pretrained("torchvision:mobilenet_v2")
