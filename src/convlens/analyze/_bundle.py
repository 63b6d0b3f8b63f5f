"""3-D layout and class-aware edge bundling of a :class:`NetGraph`, as nn_vis does it, on the CPU.

``BundleOptions`` holds nn_vis's processing parameters (same names, same defaults);
``KDEBundler(options).fit(graph).layout_`` is the graph laid out and bundled (a
:class:`GraphLayout`); ``BUNDLERS`` names the variants. The steps, and where they differ from
nn_vis on purpose, are described in ``_advect``.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

import numpy as np

from convlens.core import Registry, UserInputError

from ._advect import advect_nodes, bundle_edges, class_coef, grid_positions, straight, unit_rows
from ._graphdata import NetGraph

BUNDLERS: Registry[type[GraphBundler]] = Registry("graph layout")


@dataclass(frozen=True)
class BundleOptions:
    """nn_vis's processing parameters (same names and defaults), and the initial bandwidths.

    Attributes:
        edge_bandwidth_reduction: Factor the edge kernel shrinks by each iteration (0 to 1).
        node_bandwidth_reduction: Factor the node kernel shrinks by each iteration (0 to 1).
        edge_importance_type: The class vector of a point on an edge: 0 interpolated from the
            start node's to the end node's along the edge, 1 the start node's, 2 the sum of
            both divided by the sum of their lengths, 3 the end node's.
        layer_distance: Distance between neighbouring slices.
        layer_width: Width (and height) of every slice.
        prune_percentage: Fraction of edges, least important first, left out (0 to 1).
        sampling_rate: Points per unit of edge length.
        smoothing: Smooth the edges after every iteration.
        smoothing_iterations: Smoothing passes per iteration.
        node_bandwidth: Initial node kernel bandwidth.
        edge_bandwidth: Initial edge kernel bandwidth.
        seed: Seed of the tiny jitter that separates nodes which start or end up at one place.
    """

    edge_bandwidth_reduction: float = 0.9
    node_bandwidth_reduction: float = 0.95
    edge_importance_type: int = 0
    layer_distance: float = 0.5
    layer_width: float = 1.0
    prune_percentage: float = 0.0
    sampling_rate: float = 15.0
    smoothing: bool = True
    smoothing_iterations: int = 8
    node_bandwidth: float = 0.75
    edge_bandwidth: float = 0.5
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("edge_bandwidth_reduction", "node_bandwidth_reduction"):
            if not 0 < getattr(self, name) < 1:
                raise UserInputError(f"{name} must be between 0 and 1, got {getattr(self, name)}")
        for name in ("layer_distance", "layer_width", "sampling_rate"):
            if not getattr(self, name) > 0:
                raise UserInputError(f"{name} must be positive, got {getattr(self, name)}")
        if self.edge_importance_type not in (0, 1, 2, 3):
            raise UserInputError(
                f"edge_importance_type must be 0, 1, 2 or 3, got {self.edge_importance_type!r}"
            )
        if not 0 <= self.prune_percentage < 1:
            raise UserInputError(f"prune_percentage must be in [0, 1), got {self.prune_percentage}")
        if self.smoothing_iterations < 0:
            raise UserInputError("smoothing_iterations must be 0 or more")
        if self.node_bandwidth <= 0 or self.edge_bandwidth <= 0:
            raise UserInputError("node_bandwidth and edge_bandwidth must be positive")

    @property
    def sample_length(self) -> float:
        """Distance between the points of an edge."""
        return self.layer_width / self.sampling_rate

    @property
    def bandwidth_limit(self) -> float:
        """Advection stops below this bandwidth: two cells of nn_vis's grid."""
        return 2.0 * self.sample_length / 3.0

    def schedule(self, start: float, reduction: float) -> np.ndarray:
        """Bandwidth of every iteration: ``start * reduction**i`` while at least the limit."""
        n = max(int(np.floor(np.log(self.bandwidth_limit / start) / np.log(reduction))) + 1, 0)
        return start * reduction ** np.arange(n)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


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
        from ._graphfile import layout_to_arrays

        return layout_to_arrays(self)

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], info: dict[str, Any]) -> GraphLayout:
        """Read what :meth:`to_arrays` wrote (any version up to this one's).

        Raises:
            RunFormatError: Not a graph file, a newer version, or arrays that do not fit.
        """
        from ._graphfile import layout_from_arrays

        return layout_from_arrays(arrays, info)

    def sample_class(self) -> np.ndarray:
        """``[S, K]`` float32: the class vector of every point of every drawn edge.

        As the bundling uses it (``options.edge_importance_type``), from the end nodes' class
        importance normalised to unit length; colours of a picture come from it.
        """
        start, end = unit_rows(self.graph.node_importance)
        g, off = self.graph, self.sample_offsets
        return np.ascontiguousarray(class_coef(g, self.edge_index, off, self.options, start, end).T)


class GraphBundler:
    """Base of the layouts in ``BUNDLERS`` (scikit-learn style).

    ``Bundler(options).fit(graph)`` places the nodes and draws the edges; the result is
    ``layout_`` (a :class:`GraphLayout`).

    Args:
        options: nn_vis's processing parameters (default :class:`BundleOptions`).
    """

    name: ClassVar[str] = ""

    def __init__(self, options: BundleOptions | None = None) -> None:
        self.options = options

    def _options(self) -> BundleOptions:
        opts = BundleOptions() if self.options is None else self.options
        if not isinstance(opts, BundleOptions):
            raise UserInputError(f"options must be BundleOptions, got {type(opts).__name__}")
        return opts

    def fit(self, graph: NetGraph) -> GraphBundler:
        """Lay out ``graph``; the result is ``layout_``."""
        if not isinstance(graph, NetGraph):
            raise UserInputError(f"fit takes a NetGraph, got {type(graph).__name__}")
        opts = self._options()
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
