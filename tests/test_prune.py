"""Pruning validation: curves from full accuracy to chance, random bands, residual groups,
the caller's model left alone, curves and plots stored in the run, and the demo-model check."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import textstat
import torch
from torch import nn

from convlens.analyze import (
    ImportanceResult,
    LayerImportance,
    PruningCurves,
    TaylorImportance,
    WeightImportance,
    pruning_curves,
    unit_graph,
)
from convlens.cli import main
from convlens.core import (
    DataOptions,
    NotFoundError,
    RecordOptions,
    TrainOptions,
    UnavailableError,
    UserInputError,
)
from convlens.pipelines import importance_run, prune_run, pruning_sentence, train
from convlens.render import Curve, curve_chart, curve_grid
from convlens.store import Run
from convlens.testing import FailingNet, TinyConvNet, has_no_hooks, probe_images


@pytest.fixture
def bars() -> tuple[torch.Tensor, np.ndarray]:
    return probe_images(6)


def _accuracy(model: nn.Module, x: torch.Tensor, y: np.ndarray) -> float:
    with torch.no_grad():
        return float((model(x).argmax(1).numpy() == y).mean())


def test_curve_starts_at_full_accuracy_and_ends_at_chance(bars) -> None:
    x, y = bars
    model = TinyConvNet()
    imp = WeightImportance(model).fit(x).result_
    c = pruning_curves(model, x, y, imp, steps=4, seeds=3)
    np.testing.assert_allclose(c.fractions, [0, 0.25, 0.5, 0.75, 1])
    assert c.layers == ("conv",)  # the output layer is never pruned
    for order in ("importance", "reverse", "random"):
        assert c.accuracy[order][0] == pytest.approx(_accuracy(model, x, y))
        # nothing left: the logits are fc's bias, which picks class 2, a third of the images
        assert c.accuracy[order][-1] == pytest.approx(1 / 3)
        np.testing.assert_allclose(c.class_accuracy[order][-1], [0, 0, 1])


def test_random_order_has_mean_and_spread_per_step_and_class(bars) -> None:
    x, y = bars
    imp = TaylorImportance(TinyConvNet()).fit(x, y).result_
    c = pruning_curves(TinyConvNet(), x, y, imp, steps=2, seeds=[3, 4, 5])
    assert c.seeds == (3, 4, 5) and c.orders == ["importance", "reverse", "random"]
    assert c.accuracy["random"].shape == (3,) and c.accuracy_std["random"].shape == (3,)
    assert c.class_accuracy["random"].shape == (3, 3)
    assert c.class_accuracy_std["random"].shape == (3, 3)
    assert np.all(c.accuracy_std["random"] >= 0) and np.all(c.accuracy_std["importance"] == 0)
    assert c.at(0.5, "random") == c.accuracy["random"][1]
    back = PruningCurves.from_arrays(*c.to_arrays("x."), prefix="x.")
    np.testing.assert_array_equal(back.class_accuracy["random"], c.class_accuracy["random"])


def test_a_class_focus_uses_that_class_row(bars) -> None:
    x, y = bars
    imp = TaylorImportance(TinyConvNet(), classes=[0, 1]).fit(x, y).result_
    c = pruning_curves(TinyConvNet(), x, y, imp, orders=["importance"], target=1, steps=1)
    assert c.target == 1 and c.orders == ["importance"] and c.seeds == ()
    with pytest.raises(NotFoundError, match="computed for classes 0, 1"):
        pruning_curves(TinyConvNet(), x, y, imp, target=2)
    with pytest.raises(UserInputError, match="unknown order"):
        pruning_curves(TinyConvNet(), x, y, imp, orders=["backwards"])
    with pytest.raises(UserInputError, match="fractions must be numbers from 0 to 1"):
        pruning_curves(TinyConvNet(), x, y, imp, fractions=[0, 2])


@pytest.mark.parametrize("net", [TinyConvNet, FailingNet])
def test_model_left_alone(net: type[nn.Module], bars) -> None:
    x, y = bars
    imp = WeightImportance(TinyConvNet()).fit(x).result_
    model = net()
    model.train()
    state = {k: v.clone() for k, v in model.state_dict().items()}
    requires = [p.requires_grad for p in model.parameters()]
    if net is FailingNet:
        with pytest.raises(RuntimeError, match="on purpose"):
            pruning_curves(model, x, y, imp, steps=2, seeds=1)
    else:
        pruning_curves(model, x, y, imp, steps=2, seeds=1)
    assert has_no_hooks(model) and all(m.training for m in model.modules())
    assert [p.requires_grad for p in model.parameters()] == requires
    assert all(torch.equal(v, state[k]) for k, v in model.state_dict().items())


# -- residual groups and batch-norm ------------------------------------------------------------


class ResidualNet(nn.Module):
    """stem (1x1, 1->2) + block(stem) -> mean -> fc; only channel 0 of the sum decides.

    ``block`` swaps the two channels, so channel 0 of the sum is lost only when channel 0 is
    switched off in both layers, not when each layer loses a different channel.
    """

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(1, 2, 1, bias=False)
        self.block = nn.Conv2d(2, 2, 1, bias=False)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(2, 2)
        with torch.no_grad():
            self.stem.weight.fill_(1.0)
            self.block.weight.copy_(torch.tensor([[0.0, 1.0], [1.0, 0.0]]).view(2, 2, 1, 1))
            self.fc.weight.copy_(torch.tensor([[1.0, 0.0], [-1.0, 0.0]]))
            self.fc.bias.copy_(torch.tensor([0.0, 0.01]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.stem(x)
        out = out + self.block(out)
        return self.fc(self.flatten(self.pool(out)))


def _hand_importance(units: dict[str, list[float]]) -> ImportanceResult:
    layers = []
    for name, values in units.items():
        v = np.asarray(values, np.float32)
        layers.append(LayerImportance(name, "conv", v[None], v))
    layers.append(LayerImportance("fc", "linear", np.ones((1, 2), np.float32), np.ones(2)))
    return ImportanceResult("hand", (0,), 2, tuple(layers), ())


def test_residual_channels_are_pruned_as_a_group() -> None:
    model = ResidualNet()
    x = torch.cat([torch.full((5, 1, 3, 3), 1.0), torch.full((5, 1, 3, 3), -1.0)])
    y = np.array([0] * 5 + [1] * 5)
    graph = unit_graph(model, x[:1])
    assert graph.traced and [sorted(g) for g in graph.groups] == [["block", "stem"]]
    # alone, stem would lose channel 0 and block channel 1; as a group (mean) both lose 0
    imp = _hand_importance({"stem": [0.05, 1.0], "block": [1.0, 0.1]})
    c = pruning_curves(model, x, y, imp, fractions=[0, 0.5], orders=["importance"])
    assert c.groups == (("stem", "block"),)
    # channel 0 of the sum is gone: the logits are fc's bias, which says class 1
    np.testing.assert_allclose(c.accuracy["importance"], [1.0, 0.5])


class NormNet(nn.Module):
    """conv -> BatchNorm (large shift) -> ReLU -> mean -> fc."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 1)
        self.bn = nn.BatchNorm2d(2)
        self.relu = nn.ReLU()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(2, 2)
        with torch.no_grad():
            self.conv.weight.fill_(1.0)
            self.conv.bias.zero_()
            self.bn.bias.fill_(5.0)  # left alive, this shift would vote for class 1
            self.fc.weight.copy_(torch.tensor([[0.0, 0.0], [1.0, 1.0]]))
            self.fc.bias.copy_(torch.tensor([1.0, 0.0]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.flatten(self.pool(self.relu(self.bn(self.conv(x))))))


def test_a_batch_norm_reading_a_pruned_layer_is_silenced_too() -> None:
    model = NormNet().eval()
    x = torch.zeros(6, 1, 2, 2)
    y = np.array([0, 0, 0, 0, 1, 1])
    assert unit_graph(model, x[:1]).norms == (("conv", "bn"),)
    imp = _hand_importance({"conv": [1.0, 0.5]})
    c = pruning_curves(model, x, y, imp, fractions=[0, 1], orders=["importance"])
    np.testing.assert_allclose(c.accuracy["importance"], [2 / 6, 4 / 6])


# -- charts ------------------------------------------------------------------------------------


def test_charts_are_rgb_frames_and_check_their_input() -> None:
    x = np.linspace(0, 1, 5)
    curves = [
        Curve("a", np.array([1, 0.9, np.nan, 0.5, 0.1]), color=(0, 114, 178)),
        Curve("b", np.full(5, 0.5), spread=np.full(5, 0.1)),
        Curve("c", np.linspace(1, 0, 5), dashed=True),
    ]
    img = curve_chart(x, curves, title="t", x_label="removed", reference=0.1, width=300, height=200)
    assert img.shape == (200, 300, 3) and img.dtype == np.uint8
    assert (img[..., 2] > img[..., 0] + 60).any()  # the blue line is there
    grid = curve_grid(x, [("one", curves), ("two", curves[:1])], title="g", x_label="r")
    assert grid.ndim == 3 and grid.shape[1] > grid.shape[0]
    with pytest.raises(ValueError, match="increasing"):
        curve_chart(x[::-1], curves, title="t", x_label="r")
    with pytest.raises(ValueError, match="5 values"):
        curve_chart(x, [Curve("short", np.ones(3))], title="t", x_label="r")


# -- in the run --------------------------------------------------------------------------------


def test_prune_run_stores_curves_and_plots(fixture_run: Path, bars) -> None:
    with pytest.raises(UnavailableError, match="convlens importance .* --method weight"):
        prune_run(fixture_run, method="weight", data=bars)
    importance_run(fixture_run, method="taylor", data=bars)
    done = prune_run(fixture_run, method="taylor", data=bars, steps=2, seeds=2, focus=["blank"])
    assert done.epoch == 3 and done.chance == pytest.approx(1 / 3)
    assert set(done.focus) == {2} and done.focus[2].target == 2
    run = Run.open(fixture_run)
    listed = {a.path for a in run.manifest.artifacts}
    assert {
        "pruning/taylor-0003.safetensors",
        "media/pruning-taylor-0003.png",
        "media/pruning-taylor-0003-classes.png",
    } <= listed
    assert not run.verify()
    arrays, info = run.arrays("pruning/taylor-0003.safetensors")
    back = PruningCurves.from_arrays(arrays, info["all"], prefix="all.")
    np.testing.assert_array_equal(back.accuracy["random"], done.curves.accuracy["random"])
    assert "class2.importance.class_accuracy" in arrays and info["focus"]["2"]["target"] == 2
    assert done.plots["all"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = pruning_sentence(done)
    assert "Switch off 50% of the units" in text and "Random ones: " in text
    assert textstat.flesch_kincaid_grade(text) <= 9


# -- the demo model ----------------------------------------------------------------------------


@pytest.mark.slow
def test_on_the_demo_model_the_least_important_half_costs_less_than_a_random_half(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The paper's CNN on the sketches (at 32 px, few images, a few epochs), then bn_gamma.

    Margins, measured with 1 and 2 torch threads (the numbers differ with threads and CPUs,
    so the test runs on one thread and asserts only what holds with room to spare): test
    accuracy 0.575 / 0.555 and once 0.495 on another machine (asserted: > 0.3, three times
    chance); at half the units removed, least important first 0.47-0.56 vs random 0.28
    (asserted: 0.1 apart), most important first 0.10 (asserted: below random).
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        _check_demo_model_pruning(tmp_path, capsys)
    finally:
        torch.set_num_threads(threads)


def _check_demo_model_pruning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = train(
        DataOptions(
            image_size=32, train_per_class=60, test_per_class=20, probe_size=20, train_probe_size=0
        ),
        TrainOptions(model="paper", epochs=8, lr=1.5e-3, seed=0),
        RecordOptions(layers=("fc1",)),
        out=tmp_path,
    )
    full = Run.open(run).metrics()["test_accuracy"][-1]
    assert full > 0.3
    importance_run(run, method="bn_gamma", params={"epochs": 2})
    done = prune_run(run, method="bn_gamma", steps=2, seeds=5)
    c = done.curves
    assert c.accuracy["importance"][0] == pytest.approx(full)
    half_importance, half_random = c.at(0.5, "importance"), c.at(0.5, "random")
    assert half_importance > half_random + 0.1, (half_importance, half_random)
    assert c.at(0.5, "reverse") < half_random
    # the command line on the same run: another method, printed in one sentence
    assert main(["importance", str(run), "--method", "weight", "--prune", "--steps", "2"]) == 0
    out = capsys.readouterr().out
    assert "stored:" in out and "Switch off 50% of the units" in out
