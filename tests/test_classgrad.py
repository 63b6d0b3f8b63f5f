"""Class-score gradients per filter: autograd against central finite differences in float64."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from convlens.analyze import filter_gradient_norms
from convlens.core import UserInputError
from convlens.testing import FailingNet, TinyConvNet, probe_images


def _random_net() -> nn.Module:
    """A small float64 conv net (with BatchNorm) whose weights come from a local generator."""
    net = nn.Sequential(
        nn.Conv2d(2, 3, 3, padding=1),
        nn.BatchNorm2d(3),
        nn.Tanh(),
        nn.Conv2d(3, 4, 3),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(2),
        nn.Flatten(),
        nn.Linear(16, 5),
    ).double()
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for t in (*net.parameters(), net[1].running_mean):
            t.copy_(torch.randn(t.shape, generator=gen, dtype=torch.float64) * 0.7)
        net[1].running_var.copy_(torch.rand(3, generator=gen, dtype=torch.float64) + 0.5)
    return net


def _finite_difference_norms(
    model: nn.Module, layer: str, x: torch.Tensor, target: int, eps: float = 1e-6
) -> np.ndarray:
    """Per-image, per-filter norms of d logit / d weight by central differences, element-wise.

    Each image goes through the model on its own, as a batch of one.
    """
    weight = dict(model.named_parameters())[f"{layer}.weight"]
    grads = torch.zeros((len(x), weight.numel()), dtype=torch.float64)
    model.eval()
    with torch.no_grad():
        flat = weight.view(-1)
        for n in range(len(x)):
            xn = x[n : n + 1]
            for i in range(flat.numel()):
                old = flat[i].item()
                flat[i] = old + eps
                up = model(xn)[0, target]
                flat[i] = old - eps
                down = model(xn)[0, target]
                flat[i] = old
                grads[n, i] = (up - down) / (2 * eps)
    return grads.view(len(x), weight.shape[0], -1).norm(dim=2).numpy()


def _images(channels: int = 1, side: int = 8) -> torch.Tensor:
    gen = torch.Generator().manual_seed(1)
    return torch.randn(5, channels, side, side, generator=gen, dtype=torch.float64)


@pytest.mark.parametrize("layer", ["conv", "fc"])
@pytest.mark.parametrize("target", [0, 2])
def test_tiny_conv_net_matches_finite_differences(layer: str, target: int) -> None:
    model = TinyConvNet().double()
    x = probe_images(2, seed=0)[0].double()
    result = filter_gradient_norms(model, layer, x, target)
    expected = _finite_difference_norms(model, layer, x, target)
    assert result.shape == (6, 2 if layer == "conv" else 3)
    assert result.dtype == np.float64
    np.testing.assert_allclose(result, expected, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("layer", ["0", "3", "7"])
def test_random_conv_net_matches_finite_differences_in_eval_mode(layer: str) -> None:
    model = _random_net()
    x = _images(channels=2, side=6)
    expected = _finite_difference_norms(model, layer, x, 4)  # in eval mode: BatchNorm's stats
    model.train()
    result = filter_gradient_norms(model, layer, x, 4, batch_size=2)
    np.testing.assert_allclose(result, expected, rtol=1e-6, atol=1e-9)
    assert all(m.training for m in model.modules())


def test_models_vmap_cannot_trace_fall_back_to_a_loop() -> None:
    class Branchy(TinyConvNet):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            if x.sum() > 0:  # data-dependent control flow: vmap refuses it
                x = x * 2
            return super().forward(x)

    model = Branchy().double()
    x = _images()
    result = filter_gradient_norms(model, "conv", x, 1, batch_size=3)
    np.testing.assert_allclose(result, _finite_difference_norms(model, "conv", x, 1), rtol=1e-6)


def test_batch_size_does_not_change_the_result() -> None:
    model, x = TinyConvNet(), probe_images(3, seed=2)[0]
    np.testing.assert_allclose(
        filter_gradient_norms(model, "conv", x, 0, batch_size=1),
        filter_gradient_norms(model, "conv", x, 0),
        rtol=1e-5,
    )


def test_the_model_is_left_as_it_was() -> None:
    model = TinyConvNet()
    model.train()
    model.fc.eval()
    model.fc.bias.requires_grad_(False)
    grad = torch.full_like(model.conv.weight, 0.25)
    model.conv.weight.grad = grad
    modes = [m.training for m in model.modules()]
    state = {k: v.clone() for k, v in model.state_dict().items()}
    with torch.no_grad():
        filter_gradient_norms(model, "conv", probe_images(1)[0], 0)
        assert not torch.is_grad_enabled()
    assert [m.training for m in model.modules()] == modes
    assert [p.requires_grad for p in model.parameters()] == [True, True, True, False]
    assert model.conv.weight.grad is grad and torch.equal(grad, torch.full_like(grad, 0.25))
    assert model.fc.weight.grad is None
    assert all(torch.equal(v, state[k]) for k, v in model.state_dict().items())


def test_failing_forward_leaves_the_model_as_it_was() -> None:
    model = FailingNet()
    model.train()
    with pytest.raises(RuntimeError, match="on purpose"):
        filter_gradient_norms(model, "conv", probe_images(1)[0], 0)
    assert all(m.training for m in model.modules())
    assert all(p.requires_grad and p.grad is None for p in model.parameters())
    assert all(not m._forward_hooks and not m._backward_hooks for m in model.modules())


def test_bad_input_is_refused() -> None:
    model, x = TinyConvNet(), probe_images(1)[0]
    with pytest.raises(UserInputError, match="choose one of conv, fc"):
        filter_gradient_norms(model, "relu", x, 0)
    with pytest.raises(UserInputError, match="conv, relu, pool"):
        filter_gradient_norms(model, "conv7", x, 0)
    with pytest.raises(UserInputError, match="3 classes"):
        filter_gradient_norms(model, "conv", x, 3)
    with pytest.raises(UserInputError, match="batch_size"):
        filter_gradient_norms(model, "conv", x, 0, batch_size=0)


def test_class_gradient_texts_keep_one_thing_singular() -> None:
    from convlens.views._classgrads import classgrads_text
    from convlens.views._common import plural, shape_words

    assert plural(1, "image") == "1 image" and plural(3, "image") == "3 images"
    assert plural(2, "mouse", "mice") == "2 mice"
    assert shape_words([1, 4, 4]) == "1 map of 4×4 points" and shape_words([1]) == "1 number"
    groups = [
        {"name": name, "norms": norms}
        for name, norms in (("cat", [0.0, 2.0, 0.0]), ("dog", [0.0, 1.0, 0.0]), ("car", [0.0] * 3))
    ]
    text = classgrads_text("conv", "Conv2d", groups)
    assert "Only 1 of 3 filters matters at all here." in text, text
