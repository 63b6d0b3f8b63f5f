"""The network graph of mobile-style CNNs: Conv2d subclasses, depthwise convs, squeeze-excite,
residual adds, concatenation, BatchNorm; and the aggregation that keeps big graphs small."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from safetensors.numpy import save
from torch import nn

from convlens.analyze import (
    BundleOptions,
    KDEBundler,
    StraightBundler,
    WeightImportance,
    network_graph,
)
from convlens.analyze.netgraph._data import EDGE_CONNECTION, EDGE_GATE, EDGE_RESIDUAL
from convlens.pipelines import graph_run


class PaddedConv(nn.Conv2d):
    """A Conv2d subclass with a padding child module (as some ImageNet model zoos write them)."""

    def __init__(self, cin: int, cout: int, k: int = 3, groups: int = 1) -> None:
        super().__init__(cin, cout, k, groups=groups, bias=False)
        self.pad = nn.ZeroPad2d(k // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(self.pad(x))


class SqueezeExcite(nn.Module):
    def __init__(self, c: int, r: int = 2) -> None:
        super().__init__()
        self.reduce = PaddedConv(c, c // r, 1)
        self.expand = PaddedConv(c // r, c, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = x.mean((2, 3), keepdim=True)
        return x * torch.sigmoid(self.expand(torch.relu(self.reduce(s))))


class Block(nn.Module):
    """Inverted residual: expand 1x1, depthwise 3x3 + BN, squeeze-excite, project 1x1 + BN."""

    def __init__(self, c: int, e: int) -> None:
        super().__init__()
        self.expand = PaddedConv(c, e, 1)
        self.dw = PaddedConv(e, e, 3, groups=e)
        self.bn = nn.BatchNorm2d(e)
        self.se = SqueezeExcite(e)
        self.project = PaddedConv(e, c, 1)
        self.bn2 = nn.BatchNorm2d(c)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.relu(self.bn(self.dw(torch.relu(self.expand(x)))))
        return x + self.bn2(self.project(self.se(y)))


class MobileNet(nn.Module):
    """stem -> block -> block, a grouped conv and a concatenation, then the classifier."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = PaddedConv(3, 4)
        self.b1 = Block(4, 8)
        self.b2 = Block(4, 8)
        self.grouped = PaddedConv(4, 6, 3, groups=2)
        self.head = PaddedConv(10, 6, 1)  # reads cat(b2's output, grouped) = 4 + 6 channels
        self.fc = nn.Linear(6, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.stem(x))
        x = self.b2(self.b1(x))
        x = torch.cat([x, self.grouped(x)], dim=1)
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(self.head(x), 1), 1))


def _model() -> MobileNet:
    with torch.random.fork_rng():  # fixed weights, the global generator untouched
        torch.manual_seed(0)
        return MobileNet().eval()


def _edges(g, source: str, target: str, kind: int = EDGE_CONNECTION) -> list[tuple[int, int]]:  # type: ignore[no-untyped-def]
    first = {x.name: x.first for x in g.layers}
    sel = g.edge_kind == kind
    layer = g.node_layer()
    names = [x.name for x in g.layers]
    s, t = g.edge_source[sel], g.edge_target[sel]
    keep = (layer[s] == names.index(source)) & (layer[t] == names.index(target))
    return sorted(
        zip((s[keep] - first[source]).tolist(), (t[keep] - first[target]).tolist(), strict=True)
    )


def test_every_conv_subclass_is_a_layer_and_nothing_is_left_unexplained() -> None:
    g = network_graph(_model(), torch.rand(1, 3, 8, 8))
    names = [x.name for x in g.layers]
    convs = [n for n, m in _model().named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    assert names == ["input", *convs]
    assert not any("cannot show" in n or "could not" in n for n in g.notes), g.notes
    # every layer but the stem (which reads the input) is fed
    fed = set(g.node_layer()[g.edge_target].tolist())
    assert fed == set(range(1, len(names)))


def test_depthwise_and_grouped_convs_join_only_their_group() -> None:
    g = network_graph(_model(), torch.rand(1, 3, 8, 8))
    assert _edges(g, "b1.expand", "b1.dw") == [(k, k) for k in range(8)]  # depthwise: k -> k
    assert {x.name: x.groups for x in g.layers}["b1.dw"] == 8
    # groups=2, 4 in, 6 out: output 0..2 read inputs 0..1, outputs 3..5 read inputs 2..3
    want = sorted(
        [(i, j) for j in range(3) for i in (0, 1)] + [(i, j) for j in range(3, 6) for i in (2, 3)]
    )
    # the input of 'grouped' is the residual sum of b1 and b2: b2.project is its last addend
    assert _edges(g, "b2.project", "grouped") == want


def test_squeeze_excite_is_drawn_as_gates_and_residuals_as_joins() -> None:
    g = network_graph(_model(), torch.rand(1, 3, 8, 8))
    # SE: the block's depthwise output feeds the squeeze, the expand gates it channel by channel
    assert len(_edges(g, "b1.dw", "b1.se.reduce")) == 8 * 4
    assert _edges(g, "b1.se.expand", "b1.dw", EDGE_GATE) == [(k, k) for k in range(8)]
    # the project conv reads the gated depthwise output, not the gate
    assert len(_edges(g, "b1.dw", "b1.project")) == 8 * 4
    assert _edges(g, "b1.se.expand", "b1.project") == []
    assert any("squeeze-excite" in n and "b1.se.expand -> b1.dw" in n for n in g.notes)
    # residual: stem + b1.project + b2.project are summed channel by channel
    assert _edges(g, "stem", "b1.project", EDGE_RESIDUAL) == [(k, k) for k in range(4)]
    assert _edges(g, "b1.project", "b2.project", EDGE_RESIDUAL) == [(k, k) for k in range(4)]


def test_concatenation_lands_each_part_on_its_channels_and_norms_are_named() -> None:
    model = _model()
    result = WeightImportance(model).fit(torch.rand(2, 3, 8, 8)).result_
    g = network_graph(model, torch.rand(1, 3, 8, 8), result)
    assert len(_edges(g, "grouped", "head")) == 6 * 6
    w = model.head.weight.detach().abs().sum((2, 3)).numpy()  # [6, 10]: cat = 4 + 6 channels
    e = next(x for x in result.edges if (x.source, x.target) == ("grouped", "head"))
    want = result.layer("grouped").overall[None, :] * w[:, 4:]  # channels 4..9 of head's input
    np.testing.assert_allclose(e.overall, want / want.max(), rtol=1e-5)
    norms = {x.name: x.norm for x in g.layers}
    assert norms["b1.dw"] == "b1.bn" and norms["b1.project"] == "b1.bn2"
    assert any("b1.bn after b1.dw" in n for n in g.notes)


class Wide(nn.Module):
    """Big enough to be aggregated (3*96 + 96*384 + 384*384 + 384*10 > 100,000 edges), quick."""

    def __init__(self) -> None:
        super().__init__()
        self.c1, self.c2 = nn.Conv2d(3, 96, 1), nn.Conv2d(96, 384, 1)
        self.c3, self.fc = nn.Conv2d(384, 384, 1), nn.Linear(384, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.c3(torch.relu(self.c2(torch.relu(self.c1(x)))))
        return self.fc(x.mean((2, 3)))


def test_big_graphs_keep_the_top_edges_per_unit_and_stay_small() -> None:
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = Wide()
    x = torch.rand(1, 3, 4, 4)
    result = WeightImportance(model).fit(x).result_
    full = network_graph(model, x, result, max_edges=None)
    assert full.n_edges == 3 * 96 + 96 * 384 + 384 * 384 + 384 * 10
    g = network_graph(model, x, result)
    assert g.n_edges <= 100_000 and any("aggregated" in n for n in g.notes)
    assert g.n_nodes == full.n_nodes  # nodes stay one per unit
    # at most k edges into each unit from each layer; the kept ones are the most important
    layer = g.node_layer()
    c3 = g.edge_target[layer[g.edge_target] == 3]
    k = int(np.bincount(c3).max())
    assert 1 <= k < 384 and np.all(np.bincount(c3)[np.unique(c3)] == k)
    e = next(x for x in result.edges if (x.source, x.target) == ("c2", "c3"))
    unit = 5
    into = (g.edge_target == g.layers[3].first + unit) & (layer[g.edge_source] == 2)
    kept = np.sort(g.edge_importance[into])
    np.testing.assert_allclose(kept, np.sort(e.overall[unit])[-k:], rtol=1e-6)
    layout = StraightBundler(BundleOptions()).fit(g).layout_
    arrays, _ = layout.to_arrays()
    size = len(save({k: np.ascontiguousarray(v) for k, v in arrays.items()}))
    assert size < 5_000_000, size  # ~45 bytes per straight edge: bounded by the edge cap


def test_small_graphs_are_not_aggregated_and_classes_can_be_chosen() -> None:
    model = _model()
    g = network_graph(model, torch.rand(1, 3, 8, 8), classes=[2, 0])
    assert g.classes == (2, 0) and g.node_importance.shape == (g.n_nodes, 2)
    assert not any("aggregated" in n for n in g.notes)
    pairs = np.stack([g.edge_source, g.edge_target, g.edge_kind])
    assert g.n_edges == np.unique(pairs, axis=1).shape[1]  # no edge twice


def test_graph_run_reports_its_steps(fixture_run: Path) -> None:
    seen: list[tuple[str, float]] = []
    graph_run(fixture_run, bundler="straight", on_progress=lambda s, f: seen.append((s, f)))
    fractions = [f for _, f in seen]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert [s for s, _ in seen][-1] == "done" and len(seen) >= 5


def test_the_graph_picture_is_there_before_the_graph_file(
    fixture_run: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The web app takes a stored graph file to mean its picture is there too: graph.png read
    the picture between the two writes and answered 500 while a big graph was being made."""
    from convlens.store import RunWriter

    seen: list[bool] = []
    write_arrays = RunWriter.write_arrays

    def spy(self: RunWriter, rel: str, arrays: Any, info: Any) -> Path:
        if rel.startswith("graph/"):
            seen.append((self.path / "media" / "graph-0001.png").is_file())
        return write_arrays(self, rel, arrays, info)

    monkeypatch.setattr(RunWriter, "write_arrays", spy)
    graph_run(fixture_run, epoch=1, bundler="straight")
    assert seen == [True]


def test_graphs_over_5000_nodes_get_the_coarser_level_of_detail() -> None:
    from convlens.analyze.netgraph._options import BIG_GRAPH_OPTIONS, default_options

    assert default_options(924) == BundleOptions()  # the nn_vis MLP: exactly as before
    assert default_options(18_059) == BIG_GRAPH_OPTIONS  # MobileNetV2's channels
    big, small = BIG_GRAPH_OPTIONS, BundleOptions()
    n_big = len(big.schedule(big.edge_bandwidth, big.edge_bandwidth_reduction))
    assert n_big < len(small.schedule(small.edge_bandwidth, small.edge_bandwidth_reduction)) / 2


def test_edges_that_cross_many_slices_get_fewer_points(monkeypatch: pytest.MonkeyPatch) -> None:
    """A DenseNet's edges span whole blocks: the default level of detail is lowered so the
    edges hold at most MAX_EDGE_POINTS points (never under one point per slice width)."""
    from convlens.analyze.netgraph import _options

    limit = _options.MAX_EDGE_POINTS
    assert _options.default_options(18_059, 100_000) == _options.BIG_GRAPH_OPTIONS
    dense = _options.default_options(11_243, 1_700_000)  # ~DenseNet-121's drawn edges
    assert 1.0 <= dense.sampling_rate < _options.BIG_GRAPH_OPTIONS.sampling_rate
    points = 1_700_000 * dense.layer_distance * dense.sampling_rate / dense.layer_width
    assert points == pytest.approx(limit)
    assert _options.default_options(100, 10**9).sampling_rate == 1.0
    # the bundler counts the slices its graph's edges cross
    g = network_graph(
        nn.Sequential(nn.Flatten(), nn.Linear(12, 6), nn.ReLU(), nn.Linear(6, 3)), torch.rand(2, 12)
    )
    monkeypatch.setattr(_options, "MAX_EDGE_POINTS", 10)
    assert KDEBundler()._options(g).sampling_rate < BundleOptions().sampling_rate
