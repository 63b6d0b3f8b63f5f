"""Importance per unit, edge and class: exact maths on hand-weighted models, model hygiene,
the stored result and the bad-input messages."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from convlens.analyze import (
    IMPORTANCE,
    BNGammaImportance,
    ImportanceResult,
    TaylorImportance,
    WeightImportance,
    unit_graph,
)
from convlens.cli import main
from convlens.core import NotFoundError, UnavailableError, UserInputError
from convlens.pipelines import importance_run, load_importance
from convlens.store import Run
from convlens.testing import FailingNet, ModelSnapshot, TinyConvNet, make_fixture_run, probe_images

METHODS = ["bn_gamma", "taylor", "weight"]
QUICK = {"bn_gamma": {"epochs": 2}, "taylor": {}, "weight": {}}


class MLP(nn.Module):
    """4 inputs -> fc1 (3 neurons) -> ReLU -> fc2 (2 classes), weights set by hand.

    Hidden neuron 2 receives input but sends nothing (zero outgoing weights).
    """

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(4, 3)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(3, 2)
        with torch.no_grad():
            self.fc1.weight.copy_(
                torch.tensor([[1.0, -1.0, 0.0, 0.5], [0.5, 0.5, 0.5, 0.5], [2.0, 0.0, 1.0, 0.0]])
            )
            self.fc1.bias.copy_(torch.tensor([0.1, -0.2, 0.0]))
            self.fc2.weight.copy_(torch.tensor([[1.0, -2.0, 0.0], [-0.5, 1.5, 0.0]]))
            self.fc2.bias.copy_(torch.tensor([0.0, 0.1]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.relu(self.fc1(x)))


class TwoConvNet(nn.Module):
    """conv_a (1->2) -> ReLU -> conv_b (2->3) -> global mean -> fc: for kernel-norm edges."""

    def __init__(self) -> None:
        super().__init__()
        self.conv_a = nn.Conv2d(1, 2, 3, padding=1)
        self.relu = nn.ReLU()
        self.conv_b = nn.Conv2d(2, 3, 3, padding=1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(3, 3)
        gen = torch.Generator().manual_seed(3)
        with torch.no_grad():
            for p in self.parameters():
                p.copy_(torch.randn(p.shape, generator=gen))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.flatten(self.pool(self.conv_b(self.relu(self.conv_a(x))))))


class NoUnits(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.flatten(1)[:, :3]


class FailsLater(TinyConvNet):
    """Runs normally once (finding the layers), then raises: the estimator's own passes fail."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if isinstance(x, torch.Tensor):  # torch.fx traces with proxies: not counted
            self.calls += 1
            if self.calls > 1:
                raise RuntimeError("forward failed on purpose")
        return super().forward(x)


@pytest.fixture
def bars() -> tuple[torch.Tensor, np.ndarray]:
    return probe_images(6)


# -- the registry ------------------------------------------------------------------------------


def test_registry_lists_the_three_methods_with_help() -> None:
    assert IMPORTANCE.names() == METHODS
    assert all(IMPORTANCE.help(n) for n in METHODS)
    assert [IMPORTANCE.get(n).method for n in METHODS] == METHODS
    with pytest.raises(UserInputError, match="bn_gamma, taylor, weight"):
        IMPORTANCE.get("lrp")


@pytest.mark.parametrize("name", METHODS)
def test_every_method_gives_normalised_units_and_edges(name: str, bars) -> None:
    x, y = bars
    res = IMPORTANCE.get(name)(TinyConvNet(), **QUICK[name]).fit(x, y).result_
    assert res.method == name and res.classes == (0, 1, 2) and res.n_classes == 3
    assert [(r.name, r.kind, r.per_class.shape) for r in res.layers] == [
        ("conv", "conv", (3, 2)),
        ("fc", "linear", (3, 3)),
    ]
    for r in res.layers:
        assert r.per_class.max() == pytest.approx(1.0) and r.per_class.min() >= 0
        assert r.overall.max() == pytest.approx(1.0) and r.overall.dtype == np.float32
    (edge,) = res.edges
    assert (edge.source, edge.target) == ("conv", "fc")
    assert edge.overall.shape == (3, 2) and edge.per_class.shape == (3, 3, 2)
    assert edge.overall.max() == pytest.approx(1.0)
    assert res.output_layer == "fc" and res.traced and res.groups == ()


# -- exact maths -------------------------------------------------------------------------------


def test_weight_importance_is_incoming_times_outgoing_l1() -> None:
    model = MLP()
    res = WeightImportance(model).fit(torch.zeros(1, 4)).result_
    w1, w2 = model.fc1.weight.detach().abs(), model.fc2.weight.detach().abs()
    hidden = (w1.sum(1) * w2.sum(0)).numpy()
    np.testing.assert_allclose(res.layer("fc1").overall, hidden / hidden.max(), rtol=1e-6)
    assert res.layer("fc1").overall[2] == 0.0  # sends nothing
    out = w2.sum(1).numpy()  # the output layer feeds nothing: incoming only
    np.testing.assert_allclose(res.layer("fc2").overall, out / out.max(), rtol=1e-6)
    # class-independent: every row is the same
    assert np.all(res.layer("fc1").per_class == res.layer("fc1").per_class[0])


def test_taylor_is_mean_abs_activation_times_gradient_per_class() -> None:
    model = MLP()
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(40, 4, generator=gen)
    y = torch.arange(40) % 2
    res = TaylorImportance(model, batch_size=7).fit(x, y).result_
    with torch.no_grad():
        z = model.fc1(x)
    w2 = model.fc2.weight.detach()
    raw = np.zeros((2, 3))
    for c in (0, 1):
        zc = z[y == c]
        raw[c] = (zc * (zc > 0) * w2[c]).abs().mean(0).numpy()  # d logit_c / d z = w2[c] relu'
    np.testing.assert_allclose(res.layer("fc1").per_class, raw / raw.max(), rtol=1e-5)
    assert np.all(res.layer("fc1").per_class[:, 2] == 0.0)
    mean = (raw / raw.max()).mean(0)
    np.testing.assert_allclose(res.layer("fc1").overall, mean / mean.max(), rtol=1e-5)


def test_edges_are_source_importance_times_weight_per_layer_pair() -> None:
    model = MLP()
    res = WeightImportance(model).fit(torch.zeros(1, 4)).result_
    (edge,) = res.edges
    expected = res.layer("fc1").overall[None, :] * model.fc2.weight.detach().abs().numpy()
    np.testing.assert_allclose(edge.overall, expected / expected.max(), rtol=1e-6)
    assert np.all(edge.overall[:, 2] == 0.0)


def test_conv_edges_use_kernel_norms_and_flatten_groups_positions(bars) -> None:
    x, _ = bars
    model = TwoConvNet()
    res = WeightImportance(model).fit(x[:1]).result_
    edges = {(e.source, e.target): e.overall for e in res.edges}
    assert set(edges) == {("conv_a", "conv_b"), ("conv_b", "fc")}
    kernel = model.conv_b.weight.detach().abs().sum((2, 3)).numpy()  # [3 out, 2 in]
    expected = res.layer("conv_a").overall[None, :] * kernel
    np.testing.assert_allclose(edges["conv_a", "conv_b"], expected / expected.max(), rtol=1e-6)

    tiny = TinyConvNet()
    res = WeightImportance(tiny).fit(x[:1]).result_
    grouped = tiny.fc.weight.detach().abs().view(3, 2, 9).sum(2).numpy()  # channel-major flatten
    expected = res.layer("conv").overall[None, :] * grouped
    np.testing.assert_allclose(res.edges[0].overall, expected / expected.max(), rtol=1e-6)


def test_bn_gamma_ranks_the_one_informative_unit_first_for_each_class() -> None:
    """Hidden unit 0 carries the class; units 1 and 2 carry noise the readout also uses."""
    gen = torch.Generator().manual_seed(0)
    n = 256
    y = torch.arange(n) % 2
    x = torch.randn(n, 3, generator=gen)
    x[:, 0] = (2 * y - 1) * (1.0 + 0.3 * torch.rand(n, generator=gen))
    model = nn.Sequential()
    model.add_module("hidden", nn.Linear(3, 3))
    model.add_module("out", nn.Linear(3, 2))
    with torch.no_grad():
        model.hidden.weight.copy_(torch.eye(3))
        model.hidden.bias.zero_()
        model.out.weight.copy_(torch.tensor([[-1.0, 0.8, -0.6], [1.0, -0.7, 0.9]]))
        model.out.bias.zero_()
    res = BNGammaImportance(model, epochs=10, batch_size=32).fit(x, y).result_
    hidden = res.layer("hidden")
    assert [int(np.argmax(row)) for row in hidden.per_class] == [0, 0]
    assert int(np.argmax(hidden.overall)) == 0
    assert hidden.overall[1:].max() < hidden.overall[0]
    assert res.params == {"epochs": 10, "lr": 1e-3, "batch_size": 32, "l1": 0.01, "seed": 0}


def test_bn_gamma_is_deterministic_for_a_seed(bars) -> None:
    x, y = bars
    a = BNGammaImportance(TinyConvNet(), epochs=2, seed=4).fit(x, y).result_
    b = BNGammaImportance(TinyConvNet(), epochs=2, seed=4).fit(x, y).result_
    for ra, rb in zip(a.layers, b.layers, strict=True):
        np.testing.assert_array_equal(ra.per_class, rb.per_class)


def test_classes_restrict_the_rows(bars) -> None:
    x, y = bars
    res = TaylorImportance(TinyConvNet(), classes=[2, 0]).fit(x, y).result_
    assert res.classes == (2, 0) and res.layer("conv").per_class.shape == (2, 2)
    assert res.row(0) == 1
    with pytest.raises(NotFoundError, match="computed for classes 2, 0"):
        res.row(1)


# -- the caller's model is left alone ----------------------------------------------------------


@pytest.mark.parametrize("name", METHODS)
def test_model_unchanged_after_fit(name: str, bars) -> None:
    x, y = bars
    model = TinyConvNet()
    snap = ModelSnapshot(model)
    with torch.no_grad():  # the caller's grad mode is kept too
        IMPORTANCE.get(name)(model, **QUICK[name]).fit(x, y)
        assert not torch.is_grad_enabled()
    snap.assert_unchanged()


@pytest.mark.parametrize("name", METHODS)
@pytest.mark.parametrize("net", [FailingNet, FailsLater])
def test_model_unchanged_when_forward_raises(name: str, net: type[nn.Module], bars) -> None:
    x, y = bars
    model = net()
    snap = ModelSnapshot(model)
    if net is FailsLater and name == "weight":  # needs one forward only: it succeeds
        IMPORTANCE.get(name)(model).fit(x, y)
    else:
        with pytest.raises(RuntimeError, match="on purpose"):
            IMPORTANCE.get(name)(model, **QUICK[name]).fit(x, y)
    snap.assert_unchanged()


# -- the unit graph ----------------------------------------------------------------------------


class Untraceable(MLP):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.relu(self.fc1(x))
        if h.sum() > 1e9:  # data-dependent control flow: torch.fx cannot trace it
            h = h * 2
        return self.fc2(h)


def test_chosen_layers_keep_the_real_structure() -> None:
    """Edges never skip a layer that was left out; the output layer is still known."""
    x = torch.zeros(1, 1, 8, 8)
    graph = unit_graph(TwoConvNet(), x, layers=["conv_a", "fc"])
    assert graph.names == ["conv_a", "fc"] and graph.connections == ()
    assert graph.output_layer == "fc"
    graph = unit_graph(TwoConvNet(), x, layers=["conv_a"])
    assert graph.output_layer == "fc" and graph.n_outputs == 3


def test_untraceable_models_fall_back_to_a_chain_and_say_so() -> None:
    graph = unit_graph(Untraceable(), torch.zeros(1, 4))
    assert not graph.traced and graph.groups == ()
    assert [(c.source, c.target) for c in graph.connections] == [("fc1", "fc2")]
    assert "could not trace" in graph.notes[0]
    res = WeightImportance(Untraceable()).fit(torch.zeros(1, 4)).result_
    assert not res.traced and "could not trace" in res.notes[0]


# -- bad input ---------------------------------------------------------------------------------


def test_model_without_units_says_so(bars) -> None:
    with pytest.raises(UserInputError, match="no Linear or Conv2d layers"):
        TaylorImportance(NoUnits()).fit(*bars)


def test_unknown_class_and_layer_and_bad_labels(bars) -> None:
    x, y = bars
    with pytest.raises(NotFoundError, match="3 classes, 0 to 2"):
        TaylorImportance(TinyConvNet(), classes=[5]).fit(x, y)
    with pytest.raises(NotFoundError, match="choose Linear or Conv2d layers.*conv, fc"):
        TaylorImportance(TinyConvNet(), layers=["relu"]).fit(x, y)
    with pytest.raises(UserInputError, match="class indices 0 to 2"):
        TaylorImportance(TinyConvNet()).fit(x, np.full(len(y), 7))
    with pytest.raises(UserInputError, match="one per input"):
        TaylorImportance(TinyConvNet()).fit(x, y[:3])
    with pytest.raises(UserInputError, match="needs the class labels"):
        BNGammaImportance(TinyConvNet()).fit(x)
    with pytest.raises(UserInputError, match="at least 1"):
        BNGammaImportance(TinyConvNet(), epochs=0).fit(x, y)


# -- stored in the run -------------------------------------------------------------------------


def test_result_round_trips_through_arrays(bars) -> None:
    res = TaylorImportance(TinyConvNet()).fit(*bars).result_
    back = ImportanceResult.from_arrays(*res.to_arrays())
    assert back.layer_names == res.layer_names and back.classes == res.classes
    np.testing.assert_array_equal(back.edges[0].per_class, res.edges[0].per_class)
    assert back.params == res.params and back.output_layer == "fc"


def test_importance_run_stores_and_lists_the_result(fixture_run: Path, bars) -> None:
    done = importance_run(fixture_run, epoch=2, method="taylor", data=bars)
    rel = "importance/taylor-0002.safetensors"
    assert done.path == fixture_run / rel and done.epoch == 2
    run = Run.open(fixture_run)
    assert rel in {a.path for a in run.manifest.artifacts} and not run.verify()
    _, info = run.arrays(rel)
    assert info["epoch"] == 2 and info["class_names"] == ["vertical", "horizontal", "blank"]
    back = load_importance(fixture_run, method="taylor", epoch=2)
    np.testing.assert_array_equal(back.layer("conv").overall, done.result.layer("conv").overall)


def test_importance_run_bad_input_messages(fixture_run: Path, tmp_path: Path, bars) -> None:
    with pytest.raises(NotFoundError, match="epochs with one are 1, 2, 3"):
        importance_run(fixture_run, epoch=9, data=bars)
    with pytest.raises(NotFoundError, match="classes are vertical, horizontal, blank"):
        importance_run(fixture_run, classes=["zebra"], data=bars)
    with pytest.raises(UnavailableError, match=r"pass data=\(images, labels\)"):
        importance_run(fixture_run, method="taylor")
    with pytest.raises(UserInputError, match="no parameter epoch.*takes epochs"):
        importance_run(fixture_run, params={"epoch": 3}, data=bars)
    with pytest.raises(UnavailableError, match="convlens importance .* --method weight"):
        load_importance(fixture_run, method="weight")
    make_fixture_run(tmp_path / "runs", epochs=1, run_id="nockpt", checkpoints=False)
    with pytest.raises(UnavailableError, match="train with checkpoints on"):
        importance_run(tmp_path / "runs" / "nockpt", data=bars)


def _error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    code = main(argv)
    err = capsys.readouterr().err.strip()
    assert code != 0 and err.startswith("convlens: error: ") and "\n" not in err, err
    return err


def test_command_line_errors_are_one_line(fixture_run: Path, capsys) -> None:
    run = str(fixture_run)
    assert "epochs with one are 1, 2, 3" in _error(capsys, ["importance", run, "--checkpoint", "9"])
    err = _error(capsys, ["importance", run, "--class", "zebra"])
    assert "classes are vertical, horizontal, blank" in err
    err = _error(capsys, ["importance", run, "--method", "weight", "--bn-epochs", "3"])
    assert "--method bn_gamma only" in err
