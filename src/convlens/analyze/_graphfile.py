"""The graph file: a :class:`GraphLayout` as flat arrays plus a JSON description, and back.

``docs/graph-format.md`` is the contract (the web view reads it). Arrays are little-endian
float32 / int32 / uint8 only, so that a browser reads them with typed arrays; the description
carries ``"format": "convlens-graph"`` and ``"version"``. One reader handles every version up
to :data:`GRAPH_VERSION`; a newer file says to upgrade.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from convlens.core import RunFormatError, options_from_json

from ._bundle import BundleOptions, GraphLayout
from ._graphdata import GraphLayer, NetGraph

GRAPH_FORMAT = "convlens-graph"
GRAPH_VERSION = 1


def layout_to_arrays(layout: GraphLayout) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The arrays and the JSON-able description of ``layout`` (format version 1)."""
    g = layout.graph
    arrays: dict[str, np.ndarray] = {
        "nodes.position": layout.node_position.astype(np.float32),
        "nodes.layer": g.node_layer().astype(np.int32),
        "nodes.unit": g.node_unit().astype(np.int32),
        "nodes.importance": g.node_importance.astype(np.float32),
        "nodes.overall": g.node_overall.astype(np.float32),
        "edges.source": g.edge_source.astype(np.int32),
        "edges.target": g.edge_target.astype(np.int32),
        "edges.importance": g.edge_importance.astype(np.float32),
        "edges.kind": g.edge_kind.astype(np.uint8),
        "paths.edge": layout.edge_index.astype(np.int32),
        "paths.offsets": layout.sample_offsets.astype(np.int32),
        "paths.position": layout.sample_position.astype(np.float32),
    }
    info: dict[str, Any] = {
        "format": GRAPH_FORMAT,
        "version": GRAPH_VERSION,
        "classes": list(g.classes),
        "n_classes": g.n_classes,
        "layers": [
            {
                "name": x.name,
                "kind": x.kind,
                "n_units": x.n_units,
                "first": x.first,
                "z": i * layout.options.layer_distance,
            }
            for i, x in enumerate(g.layers)
        ],
        "importance": {"method": g.method},
        "layout": {
            "bundler": layout.bundler,
            "options": layout.options.to_json(),
            "iterations": dict(layout.iterations),
            "seconds": round(float(layout.seconds), 3),
        },
        "counts": {
            "nodes": g.n_nodes,
            "edges": g.n_edges,
            "paths": len(layout.edge_index),
            "points": layout.n_samples,
        },
        "notes": list(g.notes),
    }
    return arrays, info


def _need(arrays: dict[str, np.ndarray], key: str, shape: tuple[int | None, ...]) -> np.ndarray:
    if key not in arrays:
        raise RunFormatError(f"graph file has no array '{key}'")
    a = np.asarray(arrays[key])
    if a.ndim != len(shape) or any(
        s is not None and s != n for s, n in zip(shape, a.shape, strict=True)
    ):
        raise RunFormatError(f"graph array '{key}' has shape {list(a.shape)}, expected {shape}")
    return a


def layout_from_arrays(arrays: dict[str, np.ndarray], info: dict[str, Any]) -> GraphLayout:
    """Rebuild a layout written by :func:`layout_to_arrays`.

    Raises:
        RunFormatError: Not a graph file, a newer version, or arrays that do not fit.
    """
    if info.get("format") != GRAPH_FORMAT:
        raise RunFormatError(f"not a ConvLens graph file (format {info.get('format')!r})")
    version = info.get("version")
    if not isinstance(version, int) or version < 1:
        raise RunFormatError(f"graph file has no valid version ({version!r})")
    if version > GRAPH_VERSION:
        raise RunFormatError(
            f"graph file version {version} is newer than this ConvLens reads ({GRAPH_VERSION}): "
            "upgrade convlens"
        )
    try:
        layers = tuple(
            GraphLayer(str(x["name"]), str(x["kind"]), int(x["n_units"]), int(x["first"]))
            for x in info["layers"]
        )
        classes = tuple(int(c) for c in info["classes"])
        n = sum(x.n_units for x in layers)
        e = len(_need(arrays, "edges.source", (None,)))
        p = len(_need(arrays, "paths.edge", (None,)))
        graph = NetGraph(
            layers=layers,
            classes=classes,
            n_classes=int(info["n_classes"]),
            node_importance=_need(arrays, "nodes.importance", (n, len(classes))),
            node_overall=_need(arrays, "nodes.overall", (n,)),
            edge_source=_need(arrays, "edges.source", (e,)),
            edge_target=_need(arrays, "edges.target", (e,)),
            edge_importance=_need(arrays, "edges.importance", (e,)),
            edge_kind=_need(arrays, "edges.kind", (e,)),
            method=info.get("importance", {}).get("method"),
            notes=tuple(str(x) for x in info.get("notes", [])),
        )
        lay = info.get("layout", {})
        options = options_from_json(BundleOptions, lay.get("options", {}))
        offsets = _need(arrays, "paths.offsets", (p + 1,)).astype(np.int64)
        points = _need(arrays, "paths.position", (None, 3))
        if p and (offsets[0] != 0 or offsets[-1] != len(points) or np.any(np.diff(offsets) < 2)):
            raise RunFormatError("graph paths.offsets do not describe paths of two points or more")
        return GraphLayout(
            graph=graph,
            node_position=_need(arrays, "nodes.position", (n, 3)),
            edge_index=_need(arrays, "paths.edge", (p,)).astype(np.int64),
            sample_offsets=offsets,
            sample_position=points,
            options=options,
            bundler=str(lay.get("bundler", "kde")),
            iterations={k: int(v) for k, v in lay.get("iterations", {}).items()},
            seconds=float(lay.get("seconds", 0.0)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise RunFormatError(f"graph file cannot be read: missing or bad {exc}") from exc
