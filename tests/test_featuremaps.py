"""Inside one forward pass: layer outputs, the layer list, channel orders (exact on TinyConvNet)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from convlens.analyze import (
    CHANNEL_ORDERS,
    ChannelOrder,
    LayerInfo,
    last_conv_layer,
    layer_outputs,
    leaf_layers,
    order_channels,
)
from convlens.core import UserInputError
from convlens.testing import (
    FailingNet,
    ReusedReLUNet,
    TinyConvNet,
    TupleOutputNet,
    has_no_hooks,
    probe_images,
)


def _mixed_modes(model: nn.Module) -> list[bool]:
    model.train()
    list(model.children())[-1].eval()  # a model whose modules disagree must come back as it was
    return [m.training for m in model.modules()]


@pytest.fixture
def images() -> torch.Tensor:
    return probe_images(2, seed=0)[0]


# -- layer_outputs ---------------------------------------------------------------------------


def test_layer_outputs_match_the_maths(images: torch.Tensor) -> None:
    model = TinyConvNet()
    outs, logits = layer_outputs(model, images, ["conv", "fc"])
    conv = F.conv2d(images, model.conv.weight, model.conv.bias)
    assert set(outs) == {"conv", "fc"}
    torch.testing.assert_close(outs["conv"], conv)
    with torch.no_grad():
        torch.testing.assert_close(logits, model(images))
    torch.testing.assert_close(outs["fc"], logits)
    assert not logits.requires_grad and not outs["conv"].requires_grad


def test_outputs_are_copies_untouched_by_later_inplace_ops(images: torch.Tensor) -> None:
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(inplace=True), nn.Flatten(), nn.LazyLinear(3))
    with torch.no_grad():  # map 1 is all negative whatever the random start (no global seed)
        model[0].weight.copy_(torch.tensor([1.0, -1.0]).view(2, 1, 1, 1).expand(2, 1, 3, 3))
        model[0].bias.fill_(-0.5)
    model(images)  # materialise the lazy layer
    outs, _ = layer_outputs(model, images, ["0"])
    assert (outs["0"] < 0).any()  # the in-place ReLU ran after the hook: the copy keeps negatives


def test_layer_outputs_restore_the_model(images: torch.Tensor) -> None:
    model = TinyConvNet()
    modes = _mixed_modes(model)
    with torch.enable_grad():
        layer_outputs(model, images, ["conv"])
        assert torch.is_grad_enabled()
    assert [m.training for m in model.modules()] == modes
    assert has_no_hooks(model)


def test_layer_outputs_remove_hooks_when_forward_raises(images: torch.Tensor) -> None:
    model = FailingNet()
    modes = _mixed_modes(model)
    for _ in range(3):
        with pytest.raises(RuntimeError, match="on purpose"):
            layer_outputs(model, images, ["conv", "fc"])
    assert has_no_hooks(model)
    assert [m.training for m in model.modules()] == modes


def test_layer_outputs_refuse_bad_layers(images: torch.Tensor) -> None:
    with pytest.raises(UserInputError, match="conv, relu, pool"):
        layer_outputs(TinyConvNet(), images, ["conv9"])
    with pytest.raises(UserInputError, match="'pair' returns tuple"):
        layer_outputs(TupleOutputNet(), torch.zeros(2, 1, 2, 4), ["pair"])
    with pytest.raises(UserInputError, match="'act' ran 2 times"):
        layer_outputs(ReusedReLUNet(), torch.zeros(2, 1, 2, 2), ["act"])
    with pytest.raises(UserInputError, match=r"\[N, C, H, W\]"):
        layer_outputs(TinyConvNet(), torch.zeros(8, 8), ["conv"])


# -- the layer list ----------------------------------------------------------------------------


def test_last_conv_layer() -> None:
    assert last_conv_layer(TinyConvNet()) == "conv"
    two = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Conv2d(2, 2, 3), nn.Flatten())
    assert last_conv_layer(two) == "2"
    assert last_conv_layer(nn.Sequential(nn.Flatten(), nn.Linear(4, 2))) is None


def test_leaf_layers_describe_tiny_conv_net(images: torch.Tensor) -> None:
    model = TinyConvNet()
    modes = _mixed_modes(model)
    infos = leaf_layers(model, images[:1])
    assert [i.name for i in infos] == ["conv", "relu", "pool", "flatten", "fc"]
    assert infos[0] == LayerInfo("conv", "Conv2d", (2, 6, 6), 2 * 9 + 2, (3, 3), (1, 1))
    assert infos[2] == LayerInfo("pool", "MaxPool2d", (2, 3, 3), 0, (2, 2), (2, 2))
    assert infos[4] == LayerInfo("fc", "Linear", (3,), 18 * 3 + 3, None, None)
    assert [m.training for m in model.modules()] == modes
    assert has_no_hooks(model)


def test_leaf_layers_follow_execution_order_and_list_reused_modules_once() -> None:
    class Backwards(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.head = nn.Linear(4, 2)  # defined first, runs last
            self.body = nn.Linear(4, 4)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.head(self.body(x.flatten(1)))

    assert [i.name for i in leaf_layers(Backwards(), torch.zeros(1, 1, 2, 2))] == ["body", "head"]
    names = [i.name for i in leaf_layers(ReusedReLUNet(), torch.zeros(1, 1, 2, 2))]
    assert names == ["act", "fc1", "fc2"]


def test_leaf_layers_remove_hooks_when_forward_raises(images: torch.Tensor) -> None:
    model = FailingNet()
    with pytest.raises(RuntimeError, match="on purpose"):
        leaf_layers(model, images)
    assert has_no_hooks(model)
    assert model.training


# -- channel orders ----------------------------------------------------------------------------


def _patterns(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """12 maps of 3 clear patterns (4 copies each, different strengths, a little noise)."""
    rng = np.random.default_rng(seed)
    base = np.zeros((3, 6, 6))
    base[0, :, 2] = 1.0
    base[1, 3, :] = 1.0
    base[2] = np.eye(6)
    which = rng.permutation(np.repeat(np.arange(3), 4))
    maps = base[which] * rng.uniform(0.5, 3.0, (12, 1, 1)) + rng.normal(0, 0.02, (12, 6, 6))
    return maps, which


def test_registry_lists_the_orders_with_help() -> None:
    assert CHANNEL_ORDERS.names() == ["natural", "kmeans", "pca"]
    assert all(CHANNEL_ORDERS.help(n) for n in CHANNEL_ORDERS)
    with pytest.raises(UserInputError, match="kmeans, natural, pca"):
        order_channels(np.zeros((2, 3, 3)), "tsne")


def test_natural_is_the_identity() -> None:
    result = order_channels(np.random.default_rng(0).normal(size=(5, 3, 3)))
    assert result == ChannelOrder(order=result.order)
    np.testing.assert_array_equal(result.order, np.arange(5))


def test_kmeans_groups_each_pattern_together_deterministically() -> None:
    maps, which = _patterns()
    a = order_channels(maps, "kmeans", n_clusters=3, random_state=7)
    b = order_channels(maps, "kmeans", n_clusters=3, random_state=7)
    np.testing.assert_array_equal(a.order, b.order)
    np.testing.assert_array_equal(a.cluster, b.cluster)
    assert sorted(a.order.tolist()) == list(range(12))
    shown = which[a.order]
    assert all(len(set(shown[i : i + 4])) == 1 for i in (0, 4, 8))  # each pattern contiguous
    assert np.all(np.diff(a.cluster[a.order]) >= 0)  # clusters numbered in display order
    assert len(set(zip(a.cluster.tolist(), which.tolist(), strict=True))) == 3


def test_pca_is_deterministic_and_negating_the_maps_reverses_it() -> None:
    maps = np.random.default_rng(1).normal(size=(9, 4, 4))
    a = order_channels(maps, "pca")
    np.testing.assert_array_equal(a.order, order_channels(maps, "pca").order)
    assert sorted(a.order.tolist()) == list(range(9))
    assert np.all(np.diff(a.pca[a.order]) >= 0)
    flipped = order_channels(-maps, "pca")
    np.testing.assert_array_equal(flipped.order, a.order[::-1])
    np.testing.assert_allclose(flipped.pca, -a.pca, atol=1e-12)


@pytest.mark.parametrize("method", ["natural", "kmeans", "pca"])
@pytest.mark.parametrize(
    "maps",
    [
        np.zeros((6, 4, 4)),  # every channel dead
        np.ones((5, 3, 3)),  # all identical
        np.zeros((1, 4, 4)),  # one channel
        np.concatenate([np.zeros((3, 4, 4)), np.random.default_rng(2).normal(size=(4, 4, 4))]),
        np.random.default_rng(3).normal(size=10),  # a fully connected layer: [C]
    ],
    ids=["dead", "identical", "one", "some-dead", "linear"],
)
def test_degenerate_maps_give_a_permutation(method: str, maps: np.ndarray) -> None:
    result = order_channels(maps, method)
    assert sorted(result.order.tolist()) == list(range(len(maps)))


def test_order_channels_refuses_bad_input() -> None:
    with pytest.raises(UserInputError, match="n_clusters"):
        order_channels(np.zeros((3, 2, 2)), "kmeans", n_clusters=0)
    with pytest.raises(UserInputError, match="finite"):
        order_channels(np.full((3, 2, 2), np.nan), "pca")
    with pytest.raises(UserInputError, match="C >= 1"):
        order_channels(np.zeros((0, 2, 2)), "pca")
