"""Pretrained models from torchvision's local weights: built, labelled and prepared exactly."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from convlens.core import UserInputError
from convlens.data import prepare_image
from convlens.models import imagenet_classes, load_pretrained


@pytest.fixture
def hub_dir(tmp_path: Path):
    old = torch.hub.get_dir()
    torch.hub.set_dir(str(tmp_path / "hub"))
    try:
        yield tmp_path / "hub"
    finally:
        torch.hub.set_dir(old)


def _top(model: torch.nn.Module, x: np.ndarray) -> tuple[int, float]:
    with torch.no_grad():
        p = model(torch.from_numpy(x)[None]).softmax(1)[0]
    return int(p.argmax()), float(p.max())


def test_mobilenet_from_the_hub_cache_names_cat_and_espresso(
    mobilenet_weights: Path, hub_dir: Path, photos: dict[str, np.ndarray]
) -> None:
    with pytest.raises(UserInputError, match="never downloads.*mobilenet_v2-b0353104.pth"):
        load_pretrained("torchvision:mobilenet_v2:IMAGENET1K_V1")
    (hub_dir / "checkpoints").mkdir(parents=True)
    shutil.copy(mobilenet_weights, hub_dir / "checkpoints" / mobilenet_weights.name)
    pre = load_pretrained("torchvision:mobilenet_v2:IMAGENET1K_V1")
    assert pre.class_names == imagenet_classes()
    assert pre.contract is not None and pre.contract.size == (224, 224)
    assert pre.contract.resize_to == 256 and pre.contract.mean == (0.485, 0.456, 0.406)
    assert not pre.model.training
    cat, p_cat = _top(pre.model, prepare_image(photos["cat"], pre.contract)[0])
    cup, _ = _top(pre.model, prepare_image(photos["cup"], pre.contract)[0])
    assert pre.class_names[cat] in {"tabby", "tiger cat", "Egyptian cat"}, pre.class_names[cat]
    assert p_cat > 0.5
    assert pre.class_names[cup] in {"espresso", "cup", "coffee mug"}, pre.class_names[cup]


def test_weights_file_given_explicitly_and_bad_names(mobilenet_weights: Path) -> None:
    pre = load_pretrained("torchvision:mobilenet_v2:IMAGENET1K_V1", weights=mobilenet_weights)
    assert pre.weights == str(mobilenet_weights)
    with pytest.raises(UserInputError, match="no weights 'V9'.*IMAGENET1K_V1"):
        load_pretrained("torchvision:mobilenet_v2:V9")
    with pytest.raises(UserInputError, match="no classification model 'mobilenet_v9'"):
        load_pretrained("torchvision:mobilenet_v9")
    with pytest.raises(UserInputError, match="do not fit"):
        load_pretrained("torchvision:resnet18", weights=mobilenet_weights)
