"""The network graph: extraction counts, importance, bundling, the graph file and its picture."""

from __future__ import annotations

import io
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from convlens.analyze import (
    BUNDLERS,
    BundleOptions,
    GraphLayer,
    GraphLayout,
    KDEBundler,
    NetGraph,
    StraightBundler,
    TaylorImportance,
    WeightImportance,
    network_graph,
)
from convlens.cli import main
from convlens.core import RunFormatError, UnavailableError, UserInputError
from convlens.pipelines import graph_comparison, graph_drawing, graph_run, load_graph
from convlens.render import GraphDrawing, GraphStyle, draw_graph, graph_ink, mix_class_colors
from convlens.render._text import labels_with_room
from convlens.store import Run
from convlens.testing import TinyConvNet, make_fixture_run, probe_images


def mlp(*sizes: int) -> nn.Module:
    layers: list[nn.Module] = [nn.Flatten()]
    for a, b in zip(sizes, sizes[1:], strict=False):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


class ResidualNet(nn.Module):
    """conv0 -> conv1 -> conv2, plus conv0 added to conv2's output, then fc."""

    def __init__(self) -> None:
        super().__init__()
        self.conv0 = nn.Conv2d(3, 4, 3, padding=1)
        self.conv1 = nn.Conv2d(4, 4, 3, padding=1)
        self.conv2 = nn.Conv2d(4, 4, 3, padding=1)
        self.relu = nn.ReLU()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(4, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(self.conv0(x))
        y = self.conv2(self.relu(self.conv1(x)))
        return self.fc(self.flatten(self.pool(self.relu(y + x))))


class Recurrent(nn.Module):
    """A Conv1d and an LSTM (which the graph cannot show) before a Linear (which it can)."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv1d(2, 3, 3)
        self.lstm = nn.LSTM(3, 4, batch_first=True)
        self.fc = nn.Linear(4, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(self.stem(x).transpose(1, 2))
        return self.fc(out[:, -1])


def two_slices(n: int = 16, classes: int = 3) -> NetGraph:
    """Two slices of ``n`` nodes, fully connected; class importance varies across nodes."""
    rng = np.random.default_rng(0)
    src, dst = np.meshgrid(np.arange(n), np.arange(n, 2 * n), indexing="ij")
    imp = rng.random((2 * n, classes)).astype(np.float32)
    e = src.size
    return NetGraph(
        layers=(GraphLayer("input", "input", n, 0), GraphLayer("fc", "linear", n, n)),
        classes=tuple(range(classes)),
        n_classes=classes,
        node_importance=imp,
        node_overall=imp.mean(axis=1) / imp.mean(axis=1).max(),
        edge_source=src.ravel().astype(np.int32),
        edge_target=dst.ravel().astype(np.int32),
        edge_importance=rng.random(e).astype(np.float32),
        edge_kind=np.zeros(e, np.uint8),
    )


@pytest.fixture(scope="module")
def bundled() -> GraphLayout:
    return KDEBundler().fit(two_slices()).layout_


# -- extraction ---------------------------------------------------------------------------------


def test_mlp_has_input_neurons_and_every_connection() -> None:
    g = network_graph(mlp(12, 5, 4, 3), torch.rand(2, 3, 2, 2))
    assert [(x.name, x.kind, x.n_units) for x in g.layers] == [
        ("input", "input", 12),
        ("1", "linear", 5),
        ("3", "linear", 4),
        ("5", "linear", 3),
    ]
    assert [x.first for x in g.layers] == [0, 12, 17, 21]
    assert g.n_nodes == 24 and g.n_edges == 12 * 5 + 5 * 4 + 4 * 3
    assert np.all(g.edge_kind == 0) and g.notes == () and g.method is None
    # edge (j, i) of a layer pair: source i of the feeding slice, target j of the fed one
    assert g.edge_source[0] == 0 and g.edge_target[0] == 12
    assert np.all(g.node_layer()[g.edge_source] + 1 == g.node_layer()[g.edge_target])
    assert np.all(g.node_importance == 1) and np.all(g.edge_importance == 1)


def test_the_nn_vis_mlp_has_67963_edges() -> None:
    g = network_graph(mlp(784, 81, 49, 10), torch.rand(1, 1, 28, 28))
    assert g.layer_sizes() == [784, 81, 49, 10]
    assert g.n_edges == 784 * 81 + 81 * 49 + 49 * 10 == 67_963


def test_conv_channels_are_nodes_and_flatten_groups_positions() -> None:
    model = TinyConvNet()
    x, y = probe_images(4)
    result = WeightImportance(model).fit(x).result_
    g = network_graph(model, x, result)
    assert [(x.name, x.n_units) for x in g.layers] == [("input", 1), ("conv", 2), ("fc", 3)]
    # fc reads 2 channels x 9 positions: 2 x 3 edges, not 18 x 3
    assert g.n_edges == 1 * 2 + 2 * 3
    fc_edges = g.edge_importance[g.node_layer()[g.edge_target] == 2].reshape(3, 2)
    np.testing.assert_allclose(fc_edges, result.edges[0].overall, rtol=1e-6)
    np.testing.assert_allclose(g.node_importance[1:3], result.layer("conv").per_class.T)


def test_residual_joins_are_one_to_one_edges() -> None:
    g = network_graph(ResidualNet(), torch.rand(1, 3, 6, 6))
    assert g.layer_sizes() == [3, 4, 4, 4, 2]
    # input->conv0, conv0->conv1, conv1->conv2, conv0->fc and conv2->fc (the sum feeds fc)
    assert int((g.edge_kind == 0).sum()) == 12 + 16 + 16 + 8 + 8
    join = g.edge_kind == 1
    assert int(join.sum()) == 4
    assert (g.edge_source[join] - 3).tolist() == [0, 1, 2, 3]  # conv0 channel k ...
    assert (g.edge_target[join] - 11).tolist() == [0, 1, 2, 3]  # ... to conv2 channel k


def test_input_importance_is_derived_from_the_first_layer() -> None:
    with torch.random.fork_rng():  # fixed weights and data, the global generator untouched
        torch.manual_seed(0)
        model = mlp(4, 3, 2)
        x, y = torch.rand(12, 4), torch.arange(12) % 2
    result = TaylorImportance(model).fit(x, y).result_
    g = network_graph(model, x, result)
    w = model[1].weight.detach().abs().double().numpy()
    first = result.layer("1").per_class.astype(np.float64)
    want = first @ w
    np.testing.assert_allclose(g.node_importance[:4], (want / want.max()).T, rtol=1e-5, atol=1e-6)
    assert g.method == "taylor" and g.classes == (0, 1)


def test_layers_the_graph_cannot_show_are_named_and_the_rest_drawn() -> None:
    g = network_graph(Recurrent(), torch.rand(2, 2, 5))
    assert len(g.notes) == 2
    assert "stem (Conv1d)" in g.notes[0] and "lstm (LSTM)" in g.notes[0]
    assert "fc reads something the graph cannot show" in g.notes[1]
    assert [(x.name, x.n_units) for x in g.layers] == [("fc", 2)]
    lay = KDEBundler().fit(g).layout_  # no edges: nodes only, still drawn
    assert lay.n_samples == 0 and lay.iterations["edges"] == 0
    assert draw_graph(graph_drawing(lay), GraphStyle(width=200, height=150)).shape == (150, 200, 3)


def test_a_model_without_units_says_so() -> None:
    with pytest.raises(UserInputError, match="no Linear or Conv2d"):
        network_graph(nn.Sequential(nn.Flatten()), torch.rand(1, 4))


def _state(model: nn.Module) -> tuple:
    return (
        [m.training for m in model.modules()],
        [p.requires_grad for p in model.parameters()],
        {k: v.clone() for k, v in model.state_dict().items()},
        sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules()),
    )


def test_the_model_is_never_changed() -> None:
    model = ResidualNet()
    model.train()
    model.conv1.eval()
    model.fc.bias.requires_grad_(False)
    before = _state(model)
    with torch.enable_grad():
        network_graph(model, torch.rand(2, 3, 6, 6))
        assert torch.is_grad_enabled()
    after = _state(model)
    assert before[:2] == after[:2] and before[3] == after[3] == 0
    assert all(torch.equal(before[2][k], after[2][k]) for k in before[2])


# -- layout and bundling ------------------------------------------------------------------------


def test_options_default_to_nn_vis() -> None:
    assert {f.name: f.default for f in fields(BundleOptions)} == {
        "edge_bandwidth_reduction": 0.9,
        "node_bandwidth_reduction": 0.95,
        "edge_importance_type": 0,
        "layer_distance": 0.5,
        "layer_width": 1.0,
        "prune_percentage": 0.0,
        "sampling_rate": 15.0,
        "smoothing": True,
        "smoothing_iterations": 8,
        "node_bandwidth": 0.75,
        "edge_bandwidth": 0.5,
        "seed": 0,
    }
    opts = BundleOptions()
    assert opts.sample_length == pytest.approx(1 / 15)
    assert len(opts.schedule(0.5, 0.9)) == 23  # 0.5 * 0.9**22 >= 2/45 > 0.5 * 0.9**23
    with pytest.raises(UserInputError, match="edge_importance_type"):
        BundleOptions(edge_importance_type=4)
    with pytest.raises(UserInputError, match="between 0 and 1"):
        BundleOptions(edge_bandwidth_reduction=1.0)
    assert BUNDLERS.names() == ["kde", "straight"]


def test_bundling_keeps_end_points_and_reduces_ink(bundled: GraphLayout) -> None:
    g, lay = bundled.graph, bundled
    off = lay.sample_offsets
    assert len(off) == g.n_edges + 1 and np.all(np.diff(off) >= 2)
    np.testing.assert_array_equal(lay.sample_position[off[:-1]], lay.node_position[g.edge_source])
    np.testing.assert_array_equal(
        lay.sample_position[off[1:] - 1], lay.node_position[g.edge_target]
    )
    # slices stay planes: z of every node is its slice's; points stay between the slices
    assert np.all(lay.node_position[:, 2] == g.node_layer() * 0.5)
    assert lay.sample_position[:, 2].min() >= 0 and lay.sample_position[:, 2].max() <= 0.5
    assert lay.iterations["edges"] == 23 and lay.iterations["nodes"] > 0
    style = GraphStyle(width=400, height=300)
    straight = graph_drawing(lay.straight())
    curved = graph_drawing(lay)
    from convlens.render._graph import bounds_of

    box = bounds_of([straight, curved], style)
    ratio = graph_ink(curved, style, box) / graph_ink(straight, style, box)
    assert ratio < 0.95


def test_layout_is_deterministic_for_a_seed(bundled: GraphLayout) -> None:
    again = KDEBundler(BundleOptions()).fit(two_slices()).layout_
    np.testing.assert_array_equal(again.node_position, bundled.node_position)
    np.testing.assert_array_equal(again.sample_position, bundled.sample_position)
    other = KDEBundler(BundleOptions(seed=1)).fit(two_slices()).layout_
    assert not np.array_equal(other.node_position, bundled.node_position)


def test_uniform_importance_leaves_nodes_on_their_grid() -> None:
    g = network_graph(mlp(9, 4, 2), torch.rand(1, 9))
    lay = KDEBundler().fit(g).layout_
    assert lay.iterations["nodes"] == 0
    straight = StraightBundler().fit(g).layout_
    np.testing.assert_array_equal(lay.node_position, straight.node_position)
    assert straight.n_samples == 2 * g.n_edges and straight.bundler == "straight"


def test_prune_percentage_leaves_out_the_least_important_edges() -> None:
    g = two_slices()
    lay = StraightBundler(BundleOptions(prune_percentage=0.25)).fit(g).layout_
    assert len(lay.edge_index) == g.n_edges - g.n_edges // 4
    dropped = np.setdiff1d(np.arange(g.n_edges), lay.edge_index)
    assert g.edge_importance[dropped].max() <= g.edge_importance[lay.edge_index].min()


def test_bundler_rejects_other_input() -> None:
    with pytest.raises(UserInputError, match="NetGraph"):
        KDEBundler().fit("graph")  # type: ignore[arg-type]


# -- the graph file -----------------------------------------------------------------------------


def test_graph_file_round_trips_with_its_version(bundled: GraphLayout) -> None:
    arrays, info = bundled.to_arrays()
    assert info["format"] == "convlens-graph" and info["version"] == 1
    assert {a.dtype.kind for a in arrays.values()} <= {"f", "i", "u"}
    assert all(a.dtype.itemsize <= 4 for a in arrays.values())  # readable as JS typed arrays
    back = GraphLayout.from_arrays(arrays, info)
    np.testing.assert_array_equal(back.sample_position, bundled.sample_position)
    np.testing.assert_array_equal(back.sample_offsets, bundled.sample_offsets)
    np.testing.assert_array_equal(back.graph.node_importance, bundled.graph.node_importance)
    assert back.graph.layers == bundled.graph.layers and back.options == bundled.options
    with pytest.raises(RunFormatError, match="newer than this ConvLens reads"):
        GraphLayout.from_arrays(arrays, {**info, "version": 2})
    with pytest.raises(RunFormatError, match="not a ConvLens graph"):
        GraphLayout.from_arrays(arrays, {**info, "format": "other"})
    with pytest.raises(RunFormatError, match="paths.position"):
        GraphLayout.from_arrays({k: v for k, v in arrays.items() if k != "paths.position"}, info)


def test_graph_run_stores_the_file_and_a_picture(fixture_run: Path) -> None:
    done = graph_run(fixture_run, epoch=2)
    assert done.computed_importance and done.method == "weight"
    assert done.path == fixture_run / "graph" / "0002.safetensors"
    img = Image.open(io.BytesIO(done.picture.read_bytes()))
    assert img.size == (1200, 720) and img.mode == "RGB"
    layout, info = load_graph(fixture_run, epoch=2)
    assert info["class_names"] == ["vertical", "horizontal", "blank"]
    assert info["epoch"] == 2 and info["importance"]["method"] == "weight"
    np.testing.assert_array_equal(layout.sample_position, done.layout.sample_position)
    listed = {a.path for a in Run.open(fixture_run).manifest.artifacts}
    assert {"graph/0002.safetensors", "media/graph-0002.png"} <= listed
    assert "importance/weight-0002.safetensors" in listed
    again = graph_run(fixture_run, epoch=2, bundler="straight")
    assert not again.computed_importance  # the stored weight importance is reused


def test_graph_run_bad_input_messages(fixture_run: Path, tmp_path: Path) -> None:
    with pytest.raises(UnavailableError, match="convlens importance"):
        graph_run(fixture_run, method="taylor")
    with pytest.raises(UnavailableError, match="convlens graph"):
        load_graph(fixture_run, epoch=1)
    make_fixture_run(tmp_path / "runs", epochs=1, run_id="nockpt", checkpoints=False)
    with pytest.raises(UnavailableError, match="train with checkpoints on"):
        graph_run(tmp_path / "runs" / "nockpt")


def test_command_line(fixture_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["graph", str(fixture_run), "--bundler", "straight"]) == 0
    out = capsys.readouterr().out
    assert "6 nodes in 3 slices, 8 edges" in out and "graph-0003.png" in out
    assert main(["graph", str(fixture_run), "--checkpoint", "9"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("convlens: error: ") and "\n" not in err and "1, 2, 3" in err


# -- pictures -----------------------------------------------------------------------------------


def test_picture_and_side_by_side(bundled: GraphLayout) -> None:
    style = GraphStyle(width=320, height=240)
    pic = draw_graph(graph_drawing(bundled, ["a", "b", "c"], title="t"), style)
    assert pic.shape == (240, 320, 3) and pic.dtype == np.uint8
    assert (pic < 200).any()  # something is drawn on the white
    trio = graph_comparison(
        [bundled.straight(), bundled, bundled], ["untrained", "trained", "L1"], style=style
    )
    assert trio.shape == (240 + 52, 3 * 320, 3)
    with pytest.raises(ValueError, match="one title per layout"):
        graph_comparison([bundled], ["a", "b"])


def test_a_deep_network_is_drawn_with_its_layer_axis_squeezed() -> None:
    """20 layers laid out 0.5 apart would be a strip 9.5 slices long: the picture draws it 4
    slices long (nodes, edges and slices alike, in order); a 4-layer network is drawn as laid
    out."""
    sizes = [3] * 20
    with torch.random.fork_rng():
        torch.manual_seed(0)
        deep = mlp(*sizes)
    lay = StraightBundler().fit(network_graph(deep, torch.rand(2, 3))).layout_
    d = graph_drawing(lay)
    zs = [z for _, z in d.slices]
    width = lay.options.layer_width
    assert len(zs) == 20 and zs[-1] == pytest.approx(4 * width) and np.all(np.diff(zs) > 0)
    assert d.node_position[:, 2].max() == pytest.approx(4 * width, rel=1e-6)
    assert d.sample_position[:, 2].max() <= 4 * width + 1e-6
    np.testing.assert_allclose(d.node_position[:, :2], lay.node_position[:, :2])
    assert lay.node_position[:, 2].max() == pytest.approx(19 * lay.options.layer_distance)
    short = StraightBundler().fit(network_graph(mlp(4, 3, 2), torch.rand(2, 4))).layout_
    np.testing.assert_allclose(graph_drawing(short).node_position, short.node_position)


def test_labels_that_would_overlap_are_left_out() -> None:
    anchors = np.array([[0, 100], [10, 100], [200, 100], [205, 140], [400, 100]], float)
    names = ["input", "features.1", "features.2", "features.3", "out"]
    assert labels_with_room(anchors, names) == [0, 2, 3, 4]
    assert labels_with_room(anchors[:1], names[:1]) == [0]


def test_drawing_checks_its_arrays_and_colours_mix() -> None:
    with pytest.raises(ValueError, match="two points"):
        GraphDrawing(
            np.zeros((1, 3)),
            np.zeros((1, 3)),
            np.ones(1),
            np.zeros((3, 3)),
            np.array([0, 1, 3]),
            np.zeros((3, 3)),
            np.ones(2),
        )
    colors = np.array([[255, 0, 0], [0, 0, 255]], np.uint8)
    mixed = mix_class_colors(np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]), colors)
    assert mixed.tolist() == [[255, 0, 0], [128, 0, 128], [150, 150, 150]]


def test_static_picture_draws_shortcuts_dark_and_dotted_with_a_note() -> None:
    """Two parallel edges in a pale class colour, one a shortcut (kind 1): the shortcut is
    near-black (its pixels are the only dark ones along its row), broken into dots, and a note
    at the bottom says what it is; without the kind both edges look the same."""
    pale = np.array([[200, 200, 255]] * 4, np.uint8)

    def drawing(kind: np.ndarray | None) -> GraphDrawing:
        return GraphDrawing(
            node_position=np.zeros((0, 3)),
            node_color=np.zeros((0, 3), np.uint8),
            node_importance=np.zeros(0),
            sample_position=np.array([[0, -1, 0], [0, -1, 4], [0, 1, 0], [0, 1, 4]], float),
            sample_offsets=np.array([0, 2, 4]),
            sample_color=pale,
            edge_importance=np.array([0.5, 0.5]),
            edge_kind=kind,
        )

    style = GraphStyle(width=240, height=160, azimuth=0, elevation=0)
    plain = draw_graph(drawing(None), style).astype(int)
    marked = draw_graph(drawing(np.array([0, 1], np.uint8)), style).astype(int)
    dark = marked.sum(axis=2) < 600  # the pale colour sums to 655 at full strength
    assert not (plain.sum(axis=2) < 600).any() and (plain.sum(axis=2) < 760).any()
    rows = np.flatnonzero(dark[:140].any(axis=1))  # the lines, above the note
    assert len(rows) and rows.max() - rows.min() <= 4, "one edge (the shortcut) drawn dark"
    line = dark[int(np.median(rows))]
    run_starts = np.flatnonzero(np.diff(line.astype(int)) == 1)
    assert len(run_starts) >= 5, "the shortcut is dotted, not one solid stroke"
    assert dark[145:].any(), "the note under the picture"
    with pytest.raises(ValueError, match="edge_kind"):
        drawing(np.array([1], np.uint8))
