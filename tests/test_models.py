"""convlens.models: reference CNNs, model specs, safe weight loading, summaries."""

from __future__ import annotations

import sys
import textwrap
import types

import pytest
import torch
from safetensors.torch import save_file
from torch import nn

import convlens.models
from convlens.core import MissingExtraError, UserInputError
from convlens.models import (
    MODELS,
    build_model,
    default_layers,
    describe_model,
    load_weights,
)
from convlens.testing import has_no_hooks


def test_public_surface():
    assert set(convlens.models.__all__) == {
        "MODELS",
        "PaperCNN",
        "Pretrained",
        "TinyVGG",
        "build_model",
        "default_layers",
        "describe_model",
        "imagenet_classes",
        "load_pretrained",
        "load_weights",
        "weights_in_channels",
    }
    assert MODELS.names() == ["paper", "tinyvgg"]


@pytest.mark.parametrize("name", ["paper", "tinyvgg"])
@pytest.mark.parametrize(("channels", "size", "classes"), [(1, 16, 10), (3, 28, 4), (1, 64, 2)])
def test_reference_models_output_shapes(name, channels, size, classes):
    model = build_model(name, in_channels=channels, num_classes=classes, image_size=size)
    with torch.no_grad():
        out = model(torch.zeros(2, channels, size, size))
    assert out.shape == (2, classes)


def test_paper_model_layers():
    model = build_model("paper", in_channels=1, num_classes=10, image_size=64)
    names = [n for n, _ in model.named_modules() if n]
    assert names == [
        "conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "flatten", "fc1", "relu3",
        "dropout", "fc2",
    ]  # fmt: skip
    assert model.conv1.kernel_size == (5, 5) and model.conv1.out_channels == 32
    assert model.conv2.out_channels == 64 and model.fc1.out_features == 50
    assert model.fc1.in_features == 64 * 16 * 16 and model.dropout.p == 0.5
    assert default_layers(model) == ["conv2", "fc1"]


def test_tinyvgg_layers():
    model = build_model("tinyvgg", in_channels=3, num_classes=10, image_size=64)
    names = {n for n, _ in model.named_modules()}
    assert {"block1.conv1", "block1.relu2", "block2.conv2", "block2.pool", "classifier"} <= names
    assert model.block1.conv1.out_channels == 10 and model.block2.conv1.out_channels == 16
    assert default_layers(model) == ["block2.conv2", "classifier"]


def test_default_layers_for_any_model():
    model = nn.Sequential(
        nn.Conv2d(1, 2, 3), nn.Conv2d(2, 2, 3), nn.Flatten(), nn.Linear(8, 4), nn.ReLU(),
        nn.Linear(4, 3), nn.Linear(3, 2),
    )  # fmt: skip
    assert default_layers(model) == ["1", "5"]
    with pytest.raises(UserInputError, match="name the layers"):
        default_layers(nn.Sequential(nn.ReLU()))


def test_too_small_image_for_the_model():
    with pytest.raises(UserInputError, match="image_size >= 4"):
        build_model("paper", in_channels=1, num_classes=10, image_size=3)


# --- model specs -------------------------------------------------------------------------------

FACTORIES = """
from torch import nn

def make(num_classes, in_channels=1):
    return nn.Sequential(nn.Conv2d(in_channels, 4, 3), nn.Flatten(), nn.LazyLinear(num_classes))

def make_kw(**kwargs):
    return nn.Linear(kwargs["image_size"], kwargs["num_classes"])

def no_args():
    return nn.Linear(2, 3)

def not_a_model(num_classes):
    return "oops"

class Zoo:
    class Net(nn.Module):
        def __init__(self, in_channels, image_size):
            super().__init__()
            self.conv = nn.Conv2d(in_channels, 1, 1)
            self.size = image_size
"""


@pytest.fixture
def user_module(tmp_path, monkeypatch):
    name = f"convlens_user_models_{tmp_path.name}"
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(FACTORIES))
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    sys.modules.pop(name, None)


def test_import_path_factories(user_module):
    sizes = {"in_channels": 3, "num_classes": 7, "image_size": 12}
    model = build_model(f"{user_module}:make", **sizes)
    assert model(torch.zeros(1, 3, 12, 12)).shape == (1, 7)
    assert build_model(f"{user_module}:make_kw", **sizes).out_features == 7
    assert build_model(f"{user_module}:no_args", **sizes).out_features == 3
    net = build_model(f"{user_module}:Zoo.Net", **sizes)
    assert net.conv.in_channels == 3 and net.size == 12
    with pytest.raises(UserInputError, match="not a torch.nn.Module"):
        build_model(f"{user_module}:not_a_model", **sizes)


@pytest.mark.parametrize(
    "spec",
    [
        "convlens_no_such_package.models:make",
        "{mod}:missing_factory",
        "{mod}:",
        "not a module:make",
        "{mod}:make:again",
    ],
)
def test_bad_import_paths_say_the_expected_form(user_module, spec):
    with pytest.raises(UserInputError, match=r"package\.module:factory"):
        build_model(spec.format(mod=user_module), in_channels=1, num_classes=2, image_size=8)


def test_unknown_model_name_lists_the_choices():
    with pytest.raises(UserInputError, match=r"paper, tinyvgg.*torchvision:"):
        build_model("resnet", in_channels=1, num_classes=2, image_size=8)


def test_torchvision_model_without_torchvision_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "torchvision", None)  # makes `import torchvision` fail
    with pytest.raises(MissingExtraError, match=r"pip install 'convlens\[torchvision\]'"):
        build_model("torchvision:resnet18", in_channels=1, num_classes=2, image_size=32)


class _FakeResNet(nn.Module):
    def __init__(self, num_classes: int):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, kernel_size=7, stride=2, padding=3, bias=False)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8, num_classes)

    def forward(self, x):
        return self.fc(self.pool(self.conv1(x)).flatten(1))


@pytest.fixture
def fake_torchvision(monkeypatch):
    """A stand-in torchvision, so the spec's wiring is tested without the real package."""
    calls = []

    def get_model(name, **kwargs):
        calls.append((name, kwargs))
        return _FakeResNet(kwargs["num_classes"])

    fake = types.ModuleType("torchvision")
    fake.models = types.SimpleNamespace(
        list_models=lambda module=None: ["resnet18"], get_model=get_model
    )
    monkeypatch.setitem(sys.modules, "torchvision", fake)
    return calls


def test_torchvision_spec_replaces_the_first_conv_for_one_channel(fake_torchvision):
    model = build_model("torchvision:resnet18", in_channels=1, num_classes=3, image_size=32)
    assert fake_torchvision == [("resnet18", {"weights": None, "num_classes": 3})]
    conv = model.conv1
    assert (conv.in_channels, conv.out_channels, conv.kernel_size) == (1, 8, (7, 7))
    assert (conv.stride, conv.padding, conv.bias) == ((2, 2), (3, 3), None)
    assert model(torch.zeros(2, 1, 32, 32)).shape == (2, 3)
    rgb = build_model("torchvision:resnet18", in_channels=3, num_classes=3, image_size=32)
    assert rgb.conv1.in_channels == 3
    with pytest.raises(UserInputError, match="no classification model 'resnet99'.*resnet18"):
        build_model("torchvision:resnet99", in_channels=3, num_classes=3, image_size=32)


def test_torchvision_model_with_one_channel():
    pytest.importorskip("torchvision")
    model = build_model("torchvision:resnet18", in_channels=1, num_classes=3, image_size=32)
    assert model.conv1.in_channels == 1
    with torch.no_grad():
        assert model.eval()(torch.zeros(1, 1, 32, 32)).shape == (1, 3)


# --- weights -----------------------------------------------------------------------------------


def _paper(classes: int = 10) -> nn.Module:
    return build_model("paper", in_channels=1, num_classes=classes, image_size=16)


def _assert_same_weights(a: nn.Module, b: nn.Module) -> None:
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        assert ka == kb
        torch.testing.assert_close(va, vb)


def test_load_weights_round_trip_safetensors(tmp_path):
    source = _paper()
    save_file(source.state_dict(), tmp_path / "w.safetensors")
    target = _paper()
    assert load_weights(target, tmp_path / "w.safetensors") is target
    _assert_same_weights(source, target)


def test_load_weights_round_trip_torch_save(tmp_path):
    source = _paper()
    torch.save(source.state_dict(), tmp_path / "w.pt")
    _assert_same_weights(source, load_weights(_paper(), str(tmp_path / "w.pt")))
    torch.save({"epoch": 3, "state_dict": source.state_dict()}, tmp_path / "ckpt.pt")
    _assert_same_weights(source, load_weights(_paper(), tmp_path / "ckpt.pt"))


class _Versioned(nn.Module):
    """Like torchvision's MNASNet: loading checks the module version the state dict carries."""

    _version = 2

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(3, 2)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, *args, **kwargs):  # type: ignore[no-untyped-def]
        version = local_metadata.get("version", None)
        if version not in (1, 2):
            raise ValueError(f"version should be set to 1 or 2 instead of {version}")
        if version == 1:
            raise RuntimeError("cannot load weights saved by version 1 of this module")
        super()._load_from_state_dict(state_dict, prefix, local_metadata, *args, **kwargs)


def test_safetensors_weights_load_into_a_module_that_checks_its_version(tmp_path):
    """safetensors keeps no module versions: the model's own are used (a ConvLens checkpoint of
    torchvision's MNASNet could not be loaded, and the view answered with a traceback)."""
    source = _Versioned()
    save_file(source.state_dict(), tmp_path / "w.safetensors")
    target = load_weights(_Versioned(), tmp_path / "w.safetensors")
    torch.testing.assert_close(target.fc.weight, source.fc.weight)
    old = source.state_dict()
    old._metadata[""]["version"] = 1  # type: ignore[attr-defined]
    torch.save(old, tmp_path / "old.pt")
    with pytest.raises(UserInputError, match=r"could not be loaded into _Versioned: cannot load"):
        load_weights(_Versioned(), tmp_path / "old.pt")


def test_pickled_model_is_refused(tmp_path):
    torch.save(_paper(), tmp_path / "whole.pt")
    with pytest.raises(UserInputError, match=r"pickled.*model\.state_dict\(\)"):
        load_weights(_paper(), tmp_path / "whole.pt")


def test_unreadable_and_missing_weight_files(tmp_path):
    (tmp_path / "junk.pt").write_text("hello")
    (tmp_path / "junk.safetensors").write_text("hello")
    for name in ("junk.pt", "junk.safetensors"):
        with pytest.raises(UserInputError, match="junk"):
            load_weights(_paper(), tmp_path / name)
    with pytest.raises(UserInputError, match="does not exist"):
        load_weights(_paper(), tmp_path / "nothing.pt")


def test_mismatched_weights_list_the_keys(tmp_path):
    save_file(_paper(classes=5).state_dict(), tmp_path / "five.safetensors")
    with pytest.raises(UserInputError, match=r"wrong shape.*fc2\.weight \[5, 50\] vs \[10, 50\]"):
        load_weights(_paper(), tmp_path / "five.safetensors")
    tiny = build_model("tinyvgg", in_channels=1, num_classes=10, image_size=16)
    torch.save(tiny.state_dict(), tmp_path / "tiny.pt")
    with pytest.raises(UserInputError) as info:
        load_weights(_paper(), tmp_path / "tiny.pt")
    message = str(info.value)
    assert "missing: conv1.weight" in message and "unexpected: block1.conv1.weight" in message
    assert "more" in message


# --- describe_model ----------------------------------------------------------------------------


def test_describe_model_summary():
    model = _paper()
    rows = describe_model(model, (1, 16, 16))
    assert [r["name"] for r in rows][:3] == ["conv1", "relu1", "pool1"]
    by_name = {r["name"]: r for r in rows}
    assert by_name["conv1"] == {
        "name": "conv1", "type": "Conv2d", "output_shape": [32, 16, 16], "n_params": 32 * 25 + 32,
    }  # fmt: skip
    assert by_name["pool2"]["output_shape"] == [64, 4, 4]
    assert by_name["fc2"]["output_shape"] == [10]
    assert by_name["relu3"]["n_params"] == 0
    assert describe_model(model, (2, 1, 16, 16)) == rows


def test_describe_model_restores_modes_and_removes_hooks():
    model = _paper()
    model.train()
    model.dropout.eval()
    describe_model(model, (1, 16, 16))
    assert model.training and model.conv1.training and not model.dropout.training
    assert has_no_hooks(model)


def test_describe_model_cleans_up_when_the_forward_pass_fails():
    model = _paper()
    model.train()
    with pytest.raises(UserInputError, match=r"cannot take input of shape \[1, 3, 16, 16\]"):
        describe_model(model, (3, 16, 16))
    assert model.training and all(m.training for m in model.modules())
    assert has_no_hooks(model)


def test_a_factory_with_kwargs_gets_only_the_sizes_it_takes(tmp_path, monkeypatch):
    """torchvision's resnet18(**kwargs) passes everything to ResNet, which takes num_classes but
    not in_channels: the signature cannot tell, so the size it refuses is dropped."""
    (tmp_path / "kwfactory.py").write_text(
        "from torch import nn\n"
        "class Net(nn.Module):\n"
        "    def __init__(self, num_classes=3):\n"
        "        super().__init__()\n"
        "        self.fc = nn.Linear(4, num_classes)\n"
        "def net(**kwargs):\n"
        "    return Net(**kwargs)\n"
        "def broken(**kwargs):\n"
        "    raise TypeError('something else')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    model = build_model("kwfactory:net", num_classes=7, in_channels=3, image_size=8)
    assert model.fc.out_features == 7
    with pytest.raises(UserInputError, match="something else"):
        build_model("kwfactory:broken", num_classes=7, in_channels=3, image_size=8)
