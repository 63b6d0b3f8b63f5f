"""Golden fixtures: the run format (schema 1) stays readable and writing still produces it;
every derived format (embeddings, importance, pruning, graph, story) reads back exactly at its
version; the story also at version 2 (formats-v2)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from convlens.analyze import GraphLayout, ImportanceResult, PruningCurves
from convlens.pipelines._graph import graph_path
from convlens.pipelines._importance import importance_path, pruning_path
from convlens.store import SCHEMA_VERSION, Run
from convlens.store.formats import GRAPH_VERSION, IMPORTANCE_VERSION
from convlens.testing import make_fixture_run
from golden import formats as golden

GOLDEN = Path(__file__).parent / "golden" / "golden-v1"


def test_golden_run_reads_exactly() -> None:
    run = Run.open(GOLDEN)
    assert run.manifest.schema_version == 1
    assert run.epochs == [1, 2]
    assert run.layers == ["conv", "fc"]
    assert run.classes == ["vertical", "horizontal", "blank"]
    assert run.verify() == []
    acts = run.activation_series("fc")
    assert acts.shape == (2, 6, 3) and acts.dtype == np.float16
    assert run.probe()["labels"].tolist() == [0, 0, 1, 1, 2, 2]
    np.testing.assert_allclose(run.metrics()["train_loss"], [1.0, 0.5])
    assert run.outputs(2)["logits"].shape == (6, 3)


def _normalise(obj: Any) -> Any:
    """Drop what legitimately differs between two writes: times, versions, checksums."""
    if isinstance(obj, dict):
        return {
            k: _normalise(v) for k, v in obj.items() if k not in ("created", "versions", "sha256")
        }
    if isinstance(obj, list):
        return [_normalise(v) for v in obj]
    return obj


def test_writer_still_writes_the_golden_format(tmp_path: Path) -> None:
    assert SCHEMA_VERSION == 1, "a new schema needs a new golden run and a migration test"
    fresh = make_fixture_run(tmp_path, epochs=2, n_per_class=2, run_id="golden-v1")
    golden = json.loads((GOLDEN / "manifest.json").read_text())
    written = json.loads((fresh / "manifest.json").read_text())
    assert _normalise(written) == _normalise(golden)
    assert sorted(
        p.relative_to(fresh).as_posix() for p in fresh.rglob("*") if p.is_file()
    ) == sorted(p.relative_to(GOLDEN).as_posix() for p in GOLDEN.rglob("*") if p.is_file())
    for e in (1, 2):
        for layer in ("conv", "fc"):
            np.testing.assert_allclose(
                Run.open(fresh).activations(e, layer),
                Run.open(GOLDEN).activations(e, layer),
                rtol=1e-3,
            )


# -- every derived format at its version 1 (tests/golden/formats-v1, values in formats.py) ------

FORMATS = Path(__file__).parent / "golden" / "formats-v1"


def _stored(rel: str) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    got = Run.open(FORMATS).arrays(rel)
    assert got is not None, f"{rel} is not listed in the golden run's manifest"
    return got


def test_golden_formats_run_is_intact() -> None:
    run = Run.open(FORMATS)
    assert run.verify() == []
    assert IMPORTANCE_VERSION == 1 and GRAPH_VERSION == 1, (
        "a new format version needs a new golden file (make_golden.py) and a reader test"
    )


def test_golden_embedding_v1_reads_exactly() -> None:
    got = Run.open(FORMATS).embedding("fc")
    assert got is not None
    arr, info = got
    assert arr.dtype == np.float32 and arr.shape == (2, 6, 2)
    np.testing.assert_array_equal(arr, golden.EMBEDDING)
    assert arr[0, 0].tolist() == [-1.5, -1.375] and arr[1, 5].tolist() == [1.25, 1.375]
    assert info == {"layer": "fc", **golden.EMBEDDING_INFO}


def test_golden_importance_v1_reads_exactly() -> None:
    arrays, info = _stored(importance_path("taylor", golden.EPOCH))
    assert info["format"] == 1 and info["epoch"] == 2 and info["class_names"] == golden.CLASSES
    got, want = ImportanceResult.from_arrays(arrays, info), golden.importance()
    assert (got.method, got.classes, got.n_classes) == ("taylor", (0, 2), 3)
    assert got.layer_names == ["conv", "fc"] and got.output_layer == "fc"
    assert got.params == {"batch_size": 64} and got.notes == ("a note kept with the result",)
    for g, w in zip(got.layers, want.layers, strict=True):
        assert g.kind == w.kind
        np.testing.assert_array_equal(g.per_class, w.per_class)
        np.testing.assert_array_equal(g.overall, w.overall)
    (edge,) = got.edges
    assert (edge.source, edge.target) == ("conv", "fc") and edge.per_class is not None
    np.testing.assert_array_equal(edge.per_class, want.edges[0].per_class)
    assert edge.overall.tolist() == [[1.0, 0.5], [0.25, 0.125], [0.0, 0.75]]


def test_golden_pruning_v1_reads_exactly() -> None:
    arrays, info = _stored(pruning_path("taylor", golden.EPOCH))
    assert info["chance"] == pytest.approx(1 / 3) and info["focus"] == {}
    got, want = PruningCurves.from_arrays(arrays, info["all"], "all."), golden.pruning()
    assert got.orders == ["importance", "random", "reverse"] and got.method == "taylor"
    assert got.fractions.tolist() == [0.0, 0.5, 1.0] and got.seeds == (0, 1)
    assert got.at(0.5, "importance") == 0.75 and got.at(0.5, "random") == 0.5
    for order in got.orders:
        np.testing.assert_array_equal(got.accuracy[order], want.accuracy[order])
        np.testing.assert_array_equal(got.accuracy_std[order], want.accuracy_std[order])
        np.testing.assert_array_equal(got.class_accuracy[order], want.class_accuracy[order])
    assert np.isnan(got.class_accuracy["random"][:, 2]).all()


def test_golden_graph_v1_reads_exactly() -> None:
    arrays, info = _stored(graph_path(golden.EPOCH))
    assert info["format"] == "convlens-graph" and info["version"] == 1
    got, want = GraphLayout.from_arrays(arrays, info), golden.graph()
    g = got.graph
    assert [(x.name, x.kind, x.n_units, x.first) for x in g.layers] == [
        ("input", "input", 2, 0),
        ("fc", "linear", 2, 2),
    ]
    assert g.classes == (0, 1) and g.method == "taylor" and g.notes == ("input is drawn as a grid",)
    assert g.edge_kind.tolist() == [0, 0, 0, 1] and g.edge_importance.tolist() == [1, 0.5, 0.25, 0]
    np.testing.assert_array_equal(g.node_importance, want.graph.node_importance)
    np.testing.assert_array_equal(got.node_position, want.node_position)
    assert got.edge_index.tolist() == [0, 1, 2] and got.sample_offsets.tolist() == [0, 3, 6, 9]
    np.testing.assert_array_equal(got.sample_position, want.sample_position)
    assert got.sample_position[1].tolist() == [-0.25, 0.25, 0.25]
    assert got.options.seed == 3 and got.bundler == "kde"
    assert got.iterations == {"nodes": 4, "edges": 2} and got.seconds == 0.5


# -- the story: version 1 (whole mixing, formats-v1) and version 2 (kept pairs, formats-v2) -----

FORMATS_V2 = Path(__file__).parent / "golden" / "formats-v2"


@pytest.mark.parametrize("folder", [FORMATS, FORMATS_V2], ids=["v1", "v2"])
def test_golden_story_reads_exactly(folder: Path) -> None:
    from convlens.pipelines import load_story

    run = Run.open(folder)
    assert run.verify() == []
    _, info = run.arrays("story/layer-fc.safetensors") or ({}, {})
    assert info["version"] == (1 if folder == FORMATS else 2)
    story = load_story(run)
    assert story is not None and story.epochs == [1, 2] and story.class_names == golden.CLASSES
    assert story.accuracy.tolist() == [0.5, 0.75]
    want = golden.STORY_EVENTS
    assert [e.to_json() for e in story.events] == want[None] + want["fc"]
    kept = golden.STORY_MIXING["fc"].copy()
    kept[0, 1, 2] = kept[0, 2, 1] = 0  # below the floor and no class's top partner: not kept
    for layer, mixing in (("conv", golden.STORY_MIXING["conv"]), ("fc", kept)):
        got = story.layers[layer]
        np.testing.assert_array_equal(got.purity, golden.STORY_PURITY[layer])
        np.testing.assert_array_equal(got.mixing.dense(), mixing)
        assert got.k == 10
    fc = story.layers["fc"]
    assert fc.most_tangled(0) == (0, 1, 0.25) and fc.most_tangled() == (1, 2, 0.125)
    assert fc.mixing.value(0, 2, 1) == 0.0
    assert story.layers["conv"].most_tangled() is None


def test_the_story_writer_still_writes_the_golden_v2_format() -> None:
    from convlens.analyze.story import LayerStory
    from convlens.pipelines._story import MIXING_FLOOR, layer_arrays
    from convlens.store.formats import STORY_VERSION

    assert STORY_VERSION == 2, "a new story version needs a new golden file and a reader test"
    arrays, info = Run.open(FORMATS_V2).arrays("story/layer-fc.safetensors") or ({}, {})
    ls = LayerStory("fc", golden.STORY_PURITY["fc"], golden.STORY_MIXING["fc"], 10)
    written = layer_arrays(ls)
    assert sorted(written) == sorted(arrays) and info["mixing_floor"] == MIXING_FLOOR
    for key, value in written.items():
        assert value.dtype == arrays[key].dtype, key
        np.testing.assert_array_equal(value, arrays[key])
