"""The data of a network graph (no torch): its slices, nodes, edges and importance.

:func:`network_graph` (in ``_netgraph``, which needs torch) makes a :class:`NetGraph` from a
model; everything that lays out, stores or draws a graph works from this data alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

INPUT = "input"
"""Name of the input layer in a :class:`NetGraph`."""

EDGE_CONNECTION, EDGE_RESIDUAL, EDGE_GATE = 0, 1, 2


@dataclass(frozen=True)
class GraphLayer:
    """One slice of the graph.

    Attributes:
        name: Module name, or ``"input"``.
        kind: ``"input"``, ``"linear"`` (neurons) or ``"conv"`` (channels).
        n_units: Nodes in the slice.
        first: Index of the slice's first node (its nodes are ``first .. first + n_units - 1``).
        groups: Convolution groups (``n_units`` for a depthwise convolution; 1 otherwise).
        norm: The normalisation module drawn as part of this layer (``""``: none).
    """

    name: str
    kind: str
    n_units: int
    first: int
    groups: int = 1
    norm: str = ""


@dataclass(frozen=True)
class NetGraph:
    """Layers, nodes and edges of a model, with importance per class and overall.

    Attributes:
        layers: Slices in order (the input first, then unit layers in execution order).
        classes: Class indices of the ``node_importance`` columns.
        n_classes: Class scores the model returns.
        node_importance: ``[N, K]`` float32, relative within a layer (largest 1).
        node_overall: ``[N]`` float32, relative within a layer.
        edge_source: ``[E]`` int32 node index where each edge starts (the feeding unit).
        edge_target: ``[E]`` int32 node index where it ends.
        edge_importance: ``[E]`` float32, relative within a layer pair (largest 1).
        edge_kind: ``[E]`` uint8: 0 a weighted connection, 1 a residual join, 2 a gate
            (squeeze-excite: channel ``k`` of the source scales channel ``k`` of the target).
        method: The importance method, ``None`` for uniform importance.
        notes: What the graph leaves out or could not work out, in words.
    """

    layers: tuple[GraphLayer, ...]
    classes: tuple[int, ...]
    n_classes: int
    node_importance: np.ndarray
    node_overall: np.ndarray
    edge_source: np.ndarray
    edge_target: np.ndarray
    edge_importance: np.ndarray
    edge_kind: np.ndarray
    method: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def n_nodes(self) -> int:
        return int(self.node_overall.shape[0])

    @property
    def n_edges(self) -> int:
        return int(self.edge_source.shape[0])

    def node_layer(self) -> np.ndarray:
        """``[N]`` int32: the slice of every node."""
        return np.repeat(np.arange(len(self.layers), dtype=np.int32), self.layer_sizes())

    def node_unit(self) -> np.ndarray:
        """``[N]`` int32: every node's unit index within its layer."""
        return np.concatenate([np.arange(x.n_units, dtype=np.int32) for x in self.layers])

    def layer_sizes(self) -> list[int]:
        return [x.n_units for x in self.layers]
