"""The derived files of the golden format run, built from hand-written values (no model).

Shared by ``make_golden.py`` (which writes them once) and ``tests/test_golden.py`` (which reads
them back with the one reader of each format and checks every value). Quarters and eighths are
exact in float32, so the checks are exact.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from convlens.analyze import (
    BundleOptions,
    EdgeImportance,
    GraphLayer,
    GraphLayout,
    ImportanceResult,
    LayerImportance,
    NetGraph,
    PruningCurves,
)

EPOCH = 2
CLASSES = ["vertical", "horizontal", "blank"]

# embeddings/fc.safetensors: [E=2, N=6, 2]
EMBEDDING = (np.arange(24, dtype=np.float32).reshape(2, 6, 2) - 12) / 8
EMBEDDING_INFO: dict[str, Any] = {
    "method": "aligned",
    "epochs": [1, 2],
    "params": {"random_state": 0, "n_neighbors": 5},
}


def importance() -> ImportanceResult:
    """taylor importance of a conv (2 channels) feeding fc (3 neurons), classes 0 and 2."""
    return ImportanceResult(
        method="taylor",
        classes=(0, 2),
        n_classes=3,
        layers=(
            LayerImportance(
                "conv",
                "conv",
                np.array([[1.0, 0.25], [0.5, 1.0]], np.float32),
                np.array([1.0, 0.75], np.float32),
            ),
            LayerImportance(
                "fc",
                "linear",
                np.array([[1.0, 0.0, 0.5], [0.25, 1.0, 0.125]], np.float32),
                np.array([1.0, 0.75, 0.5], np.float32),
            ),
        ),
        edges=(
            EdgeImportance(
                "conv",
                "fc",
                np.arange(12, dtype=np.float32).reshape(2, 3, 2) / 11,
                np.array([[1.0, 0.5], [0.25, 0.125], [0.0, 0.75]], np.float32),
            ),
        ),
        groups=(),
        output_layer="fc",
        traced=True,
        params={"batch_size": 64},
        notes=("a note kept with the result",),
    )


def pruning() -> PruningCurves:
    """Curves of three orders over fractions 0, 0.5, 1 for the three classes."""
    f = np.array([0.0, 0.5, 1.0], np.float32)
    acc = {
        "importance": np.array([1.0, 0.75, 0.25], np.float32),
        "random": np.array([1.0, 0.5, 0.25], np.float32),
        "reverse": np.array([1.0, 0.25, 0.25], np.float32),
    }
    std = {k: np.array([0.0, 0.125 if k == "random" else 0.0, 0.0], np.float32) for k in acc}
    cls = {k: np.stack([v, v / 2, np.full(3, np.nan, np.float32)], axis=1) for k, v in acc.items()}
    cls_std = {k: np.zeros((3, 3), np.float32) for k in acc}
    return PruningCurves(
        fractions=f,
        accuracy=acc,
        accuracy_std=std,
        class_accuracy=cls,
        class_accuracy_std=cls_std,
        target=None,
        seeds=(0, 1),
        layers=("conv",),
        groups=(),
        traced=True,
        method="taylor",
        notes=(),
    )


def graph() -> GraphLayout:
    """input (2 nodes) -> fc (2 nodes): 4 edges, one a residual join, drawn as 3-point paths."""
    g = NetGraph(
        layers=(GraphLayer("input", "input", 2, 0), GraphLayer("fc", "linear", 2, 2)),
        classes=(0, 1),
        n_classes=2,
        node_importance=np.array([[1, 0.5], [0.25, 1], [1, 0], [0.5, 0.75]], np.float32),
        node_overall=np.array([1.0, 0.625, 0.5, 1.0], np.float32),
        edge_source=np.array([0, 0, 1, 1], np.int32),
        edge_target=np.array([2, 3, 2, 3], np.int32),
        edge_importance=np.array([1.0, 0.5, 0.25, 0.0], np.float32),
        edge_kind=np.array([0, 0, 0, 1], np.uint8),
        method="taylor",
        notes=("input is drawn as a grid",),
    )
    nodes = np.array(
        [[-0.25, 0, 0], [0.25, 0, 0], [-0.25, 0.25, 0.5], [0.25, 0.25, 0.5]], np.float32
    )
    paths = []
    for s, t in zip(g.edge_source, g.edge_target, strict=True):
        paths += [nodes[s], (nodes[s] + nodes[t]) / 2 + [0, 0.125, 0], nodes[t]]
    return GraphLayout(
        graph=g,
        node_position=nodes,
        edge_index=np.array([0, 1, 2], np.int64),  # the residual join is not drawn
        sample_offsets=np.array([0, 3, 6, 9], np.int64),
        sample_position=np.array(paths[:9], np.float32),
        options=BundleOptions(seed=3),
        bundler="kde",
        iterations={"nodes": 4, "edges": 2},
        seconds=0.5,
    )


# story/ (layers conv and fc, epochs 1 and 2, classes vertical/horizontal/blank)
STORY_ACCURACY = np.array([0.5, 0.75], np.float32)
STORY_PURITY = {
    "conv": np.array([[0.25, 0.5, 0.5], [0.5, 0.5, 0.75]], np.float32),
    "fc": np.array([[0.5, 0.25, 0.75], [0.75, 1.0, 0.5]], np.float32),
}
STORY_MIXING = {  # [E, C, C], symmetric: fc's vertical/horizontal untangle at epoch 2
    "conv": np.zeros((2, 3, 3), np.float32),
    "fc": np.array(
        [
            [[0, 0.25, 0.125], [0.25, 0, 0.0078125], [0.125, 0.0078125, 0]],
            [[0, 0.0625, 0], [0.0625, 0, 0.125], [0, 0.125, 0]],
        ],
        np.float32,
    ),
}
STORY_EVENTS = {
    None: [
        {"epoch": 2, "kind": "jump", "layer": None, "classes": [], "before": 0.5,
         "after": 0.75, "text": "epoch 2: accuracy jumps to 75%"},
    ],
    "conv": [],
    "fc": [
        {"epoch": 2, "kind": "untangles", "layer": "fc", "classes": ["vertical", "horizontal"],
         "before": 0.25, "after": 0.0625,
         "text": "epoch 2: vertical and horizontal untangle in fc"},
    ],
}  # fmt: skip


def story_files(version: int) -> dict[str, tuple[dict[str, np.ndarray], dict[str, Any]]]:
    """The story files as ConvLens ``version`` (1: whole mixing, 2: kept pairs) wrote them."""
    from convlens.analyze.story import PairMixing

    def info(layer: str | None) -> dict[str, Any]:
        out = {"format": "convlens-story", "version": version, "layer": layer, "epochs": [1, 2]}
        out.update(classes=CLASSES, k=10, events=STORY_EVENTS[layer])
        if version == 2:
            out["mixing_floor"] = 0.02
        return out

    files = {"story/accuracy.safetensors": ({"accuracy": STORY_ACCURACY}, info(None))}
    for layer in ("conv", "fc"):
        arrays = {"purity": STORY_PURITY[layer]}
        if version == 1:
            arrays["mixing"] = STORY_MIXING[layer]
        else:
            m = PairMixing.from_dense(STORY_MIXING[layer])
            arrays.update(
                mixing_offsets=m.offsets.astype(np.int64),
                mixing_rows=m.rows.astype(np.int32),
                mixing_cols=m.cols.astype(np.int32),
                mixing_values=m.values.astype(np.float32),
            )
        files[f"story/layer-{layer}.safetensors"] = (arrays, info(layer))
    return files
