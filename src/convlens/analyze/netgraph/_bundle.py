"""3-D layout and class-aware edge bundling of a :class:`NetGraph`, as nn_vis does it, on the CPU.

``BundleOptions`` holds nn_vis's processing parameters (same names, same defaults);
``KDEBundler(options).fit(graph).layout_`` is the graph laid out and bundled (a
:class:`GraphLayout`); ``BUNDLERS`` names the variants. The steps, and where they differ from
nn_vis on purpose, are described in ``_advect``.
"""

from __future__ import annotations

import time
from typing import ClassVar

import numpy as np

from convlens.core import Registry, UserInputError

from ._advect import advect_nodes, bundle_edges, grid_positions, straight
from ._data import NetGraph
from ._layout import GraphLayout
from ._options import BundleOptions, default_options

BUNDLERS: Registry[type[GraphBundler]] = Registry("graph layout")


class GraphBundler:
    """Base of the layouts in ``BUNDLERS`` (scikit-learn style).

    ``Bundler(options).fit(graph)`` places the nodes and draws the edges; the result is
    ``layout_`` (a :class:`GraphLayout`).

    Args:
        options: nn_vis's processing parameters (default: :class:`BundleOptions`, or the
            coarser ``BIG_GRAPH_OPTIONS`` for a graph of more than ``BIG_GRAPH_NODES`` nodes).
    """

    name: ClassVar[str] = ""

    def __init__(self, options: BundleOptions | None = None) -> None:
        self.options = options

    def _options(self, graph: NetGraph) -> BundleOptions:
        opts = self.options
        if opts is None:
            layer = graph.node_layer().astype(np.int64)
            crossed = int(np.abs(layer[graph.edge_target] - layer[graph.edge_source]).sum())
            opts = default_options(graph.n_nodes, crossed)
        if not isinstance(opts, BundleOptions):
            raise UserInputError(f"options must be BundleOptions, got {type(opts).__name__}")
        return opts

    def fit(self, graph: NetGraph) -> GraphBundler:
        """Lay out ``graph``; the result is ``layout_``."""
        if not isinstance(graph, NetGraph):
            raise UserInputError(f"fit takes a NetGraph, got {type(graph).__name__}")
        opts = self._options(graph)
        t0 = time.perf_counter()
        rng = np.random.default_rng(opts.seed)
        nodes = grid_positions(graph, opts, rng)
        kept = _kept_edges(graph, opts.prune_percentage)
        nodes, pos, off, iters = self._layout(graph, nodes, kept, opts, rng)
        self.layout_ = GraphLayout(
            graph, nodes, kept, off, pos, opts, self.name, iters, time.perf_counter() - t0
        )
        return self

    def _layout(
        self,
        graph: NetGraph,
        nodes: np.ndarray,
        edges: np.ndarray,
        opts: BundleOptions,
        rng: np.random.Generator,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, int]]:
        raise NotImplementedError


def _kept_edges(graph: NetGraph, prune: float) -> np.ndarray:
    """Indices of the edges kept after leaving out ``prune`` of them, least important first."""
    n = graph.n_edges
    drop = int(np.floor(n * prune))
    if drop == 0:
        return np.arange(n, dtype=np.int64)
    order = np.argsort(graph.edge_importance, kind="stable")
    return np.sort(order[drop:]).astype(np.int64)


@BUNDLERS.register("kde", help="nn_vis: class-aware node advection and kernel-density bundling")
class KDEBundler(GraphBundler):
    """nn_vis's processing: node advection, then class-aware kernel-density edge bundling.

    See the module docstring for the steps. Attributes after ``fit``: ``layout_``.
    """

    name = "kde"

    def _layout(self, graph, nodes, edges, opts, rng):  # type: ignore[no-untyped-def]
        nodes, n_node = advect_nodes(graph, nodes, opts, rng)
        pos, off, n_edge = bundle_edges(graph, nodes, edges, opts)
        return nodes, pos, off, {"nodes": n_node, "edges": n_edge}


@BUNDLERS.register("straight", help="grid layout, straight edges (quick preview)")
class StraightBundler(GraphBundler):
    """Nodes on nn_vis's starting grid, edges as straight lines: no processing."""

    name = "straight"

    def _layout(self, graph, nodes, edges, opts, rng):  # type: ignore[no-untyped-def]
        pos, off = straight(nodes, graph, edges)
        return nodes, pos, off, {"nodes": 0, "edges": 0}
