"""A network graph laid out in 3-D, and the graph file it is stored as (and read back from).

The file format (``docs/graph-format.md``, version in ``convlens.store.formats``) is flat arrays
plus a JSON description; :func:`layout_to_arrays` writes version :data:`GRAPH_VERSION`,
:func:`layout_from_arrays` reads every version up to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from convlens.core import RunFormatError, options_from_json
from convlens.store.formats import GRAPH_FORMAT, GRAPH_VERSION, check_graph_info, need_array

from ._advect import class_coef, straight, unit_rows
from ._data import GraphLayer, NetGraph
from ._options import BundleOptions


@dataclass(frozen=True)
class GraphLayout:
    """A :class:`NetGraph` placed in 3-D with its edges drawn as polylines.

    Attributes:
        graph: The graph.
        node_position: ``[N, 3]`` float32 (``z`` = slice index × ``layer_distance``).
        edge_index: ``[E']`` int64: the graph's edges that are drawn (all unless pruned).
        sample_offsets: ``[E' + 1]`` int64: drawn edge ``i`` is
            ``sample_position[sample_offsets[i]:sample_offsets[i + 1]]``.
        sample_position: ``[S, 3]`` float32: the polylines, end points included.
        options: The options used.
        bundler: Registry name of the method that made it.
        iterations: Advection iterations, ``{"nodes": n, "edges": m}``.
        seconds: Time taken.
    """

    graph: NetGraph
    node_position: np.ndarray
    edge_index: np.ndarray
    sample_offsets: np.ndarray
    sample_position: np.ndarray
    options: BundleOptions = field(default_factory=BundleOptions)
    bundler: str = "kde"
    iterations: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def n_samples(self) -> int:
        return int(self.sample_position.shape[0])

    def straight(self) -> GraphLayout:
        """The same nodes and edges, every edge a straight line (for comparisons)."""
        g = self.graph
        pos, off = straight(self.node_position, g, self.edge_index)
        return GraphLayout(
            g, self.node_position, self.edge_index, off, pos, self.options, "straight", {}, 0.0
        )

    def to_arrays(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Flat arrays and a JSON-able description: the graph file (docs/graph-format.md)."""
        return layout_to_arrays(self)

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], info: dict[str, Any]) -> GraphLayout:
        """Read what :meth:`to_arrays` wrote (any version up to this one's).

        Raises:
            RunFormatError: Not a graph file, a newer version, or arrays that do not fit.
        """
        return layout_from_arrays(arrays, info)

    def sample_class(self) -> np.ndarray:
        """``[S, K]`` float32: the class vector of every point of every drawn edge.

        As the bundling uses it (``options.edge_importance_type``), from the end nodes' class
        importance normalised to unit length; colours of a picture come from it.
        """
        start, end = unit_rows(self.graph.node_importance)
        g, off = self.graph, self.sample_offsets
        return np.ascontiguousarray(class_coef(g, self.edge_index, off, self.options, start, end).T)


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
            _layer_json(x, i * layout.options.layer_distance) for i, x in enumerate(g.layers)
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


def _layer_json(x: GraphLayer, z: float) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": x.name,
        "kind": x.kind,
        "n_units": x.n_units,
        "first": x.first,
        "z": z,
    }
    if x.groups != 1:  # keys readers may ignore: only where they say something
        out["groups"] = x.groups
    if x.norm:
        out["norm"] = x.norm
    return out


def _need(arrays: dict[str, np.ndarray], key: str, shape: tuple[int | None, ...]) -> np.ndarray:
    return need_array(arrays, key, shape, what="graph")


def layout_from_arrays(arrays: dict[str, np.ndarray], info: dict[str, Any]) -> GraphLayout:
    """Rebuild a layout written by :func:`layout_to_arrays`.

    Raises:
        RunFormatError: Not a graph file, a newer version, or arrays that do not fit.
    """
    check_graph_info(info)
    try:
        layers = tuple(
            GraphLayer(
                str(x["name"]),
                str(x["kind"]),
                int(x["n_units"]),
                int(x["first"]),
                int(x.get("groups", 1)),
                str(x.get("norm", "")),
            )
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
