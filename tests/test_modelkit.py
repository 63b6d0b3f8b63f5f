"""convlens.modelkit: one guard for a caller's model state, one layer summary."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from convlens.core import RecordOptions, UserInputError
from convlens.modelkit import LayerInfo, default_layers, leaf_layers, preserve_model_state
from convlens.models import describe_model
from convlens.record import Recorder
from convlens.testing import ModelSnapshot, TinyConvNet, has_no_hooks, probe_images


@pytest.mark.parametrize("raises", [False, True])
def test_preserve_model_state_restores_everything(raises: bool) -> None:
    model = TinyConvNet()
    snap = ModelSnapshot(model)
    grad_mode = torch.is_grad_enabled()
    try:
        with preserve_model_state(model, train=False, grad=not grad_mode, requires_grad=False):
            assert not any(m.training for m in model.modules())
            assert not any(p.requires_grad for p in model.parameters())
            assert torch.is_grad_enabled() is not grad_mode
            for p in model.parameters():
                p.grad = torch.ones_like(p)
            model.train()
            if raises:
                raise RuntimeError("the body failed")
    except RuntimeError:
        assert raises
    assert torch.is_grad_enabled() is grad_mode
    snap.assert_unchanged()


def test_preserve_model_state_can_put_the_model_in_training_mode() -> None:
    model = TinyConvNet().eval()
    with preserve_model_state(model, train=True):
        assert all(m.training for m in model.modules())
    assert not any(m.training for m in model.modules())


def test_preserve_model_state_leaves_unasked_settings_alone() -> None:
    model = TinyConvNet()
    model.fc.eval()
    with preserve_model_state(model):
        assert [m.training for m in model.modules()] == [True, True, True, True, True, False]
        assert all(p.requires_grad for p in model.parameters())


def test_leaf_layers_with_idle_lists_modules_that_did_not_run() -> None:
    class Unused(TinyConvNet):
        def __init__(self) -> None:
            super().__init__()
            self.spare = nn.Linear(2, 2)

    infos = leaf_layers(Unused(), torch.zeros(1, 1, 8, 8), idle=True)
    assert [i.name for i in infos] == ["conv", "relu", "pool", "flatten", "fc", "spare"]
    assert infos[-1] == LayerInfo("spare", "Linear", (), 6, None, None, 0, False)
    assert [i.name for i in leaf_layers(Unused(), torch.zeros(1, 1, 8, 8))][-1] == "fc"


def test_describe_model_and_leaf_layers_agree() -> None:
    model = TinyConvNet()
    rows = describe_model(model, (1, 8, 8))
    infos = leaf_layers(model, torch.zeros(1, 1, 8, 8))
    assert [(r["name"], r["output_shape"], r["n_params"]) for r in rows] == [
        (i.name, list(i.out_shape), i.params) for i in infos
    ]
    assert has_no_hooks(model)


def test_describe_model_error_is_one_line_and_leaves_no_hooks() -> None:
    model = TinyConvNet()
    with pytest.raises(UserInputError, match="cannot take input of shape"):
        describe_model(model, (3, 8, 8))
    assert has_no_hooks(model) and model.training


def test_recorder_takes_its_options_and_keywords_fill_them() -> None:
    x, y = probe_images(2, 0)
    rec = Recorder(TinyConvNet(), x, y, options=RecordOptions(layers=("conv",), reducer="max"))
    assert rec.layers == ["conv"] and rec.reducer_name == "max"
    rec = Recorder(
        TinyConvNet(), x, options=RecordOptions(layers=("conv",), reducer="max"), layers="fc"
    )
    assert rec.options == RecordOptions(layers=("fc",), reducer="max")
    assert rec.layers == ["fc"]
    rec = Recorder(TinyConvNet(), x, layers="conv,fc", checkpoints=False)
    assert rec.options == RecordOptions(layers=("conv", "fc"), checkpoints=False)
    assert rec.layer_dims == {"conv": 2, "fc": 3}
    assert Recorder(TinyConvNet(), x, reducer="none", layers="conv").layer_dims == {"conv": 72}
    with pytest.raises(UserInputError, match="RecordOptions"):
        Recorder(TinyConvNet(), x, options={"layers": "fc"})  # type: ignore[arg-type]


def test_recorder_without_layers_records_the_default_layers() -> None:
    x, _ = probe_images(2, 0)
    model = TinyConvNet()
    assert Recorder(model, x).layers == default_layers(model) == ["conv", "fc"]
