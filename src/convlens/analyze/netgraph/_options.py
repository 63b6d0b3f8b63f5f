"""nn_vis's processing parameters for laying out and bundling a network graph."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from convlens.core import UserInputError


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


BIG_GRAPH_NODES = 5_000
"""Graphs with more nodes than this are laid out at :data:`BIG_GRAPH_OPTIONS` by default."""

BIG_GRAPH_OPTIONS = BundleOptions(
    sampling_rate=8.0, edge_bandwidth_reduction=0.8, node_bandwidth_reduction=0.9
)
"""The level of detail of an ImageNet-scale graph (tens of thousands of channels): half the points
per edge and bandwidths that shrink faster, so about 9 edge iterations instead of 23, each on a
grid 8 times coarser. At that size a slice is a few dozen pixels wide in the picture, where the
finer steps do not show; it keeps the layout within a minute and the file within 20 MB."""


MAX_EDGE_POINTS = 1_200_000
"""Edge points a default layout may hold. A densely connected network (DenseNet: every layer of a
block reads every earlier one) has edges that span many slices; at 8 points per slice width its
104,000 drawn edges held 6.7 million points, took 4 minutes and made an 83 MB file."""


def default_options(n_nodes: int, slices_crossed: int = 0) -> BundleOptions:
    """nn_vis's defaults, or :data:`BIG_GRAPH_OPTIONS` above :data:`BIG_GRAPH_NODES` nodes;
    fewer points per unit of length where the edges, crossing ``slices_crossed`` gaps between
    slices in all, would hold more than :data:`MAX_EDGE_POINTS` (at least one point per slice
    width)."""
    opts = BIG_GRAPH_OPTIONS if n_nodes > BIG_GRAPH_NODES else BundleOptions()
    points = slices_crossed * opts.layer_distance * opts.sampling_rate / opts.layer_width
    if points <= MAX_EDGE_POINTS:
        return opts
    return replace(opts, sampling_rate=max(1.0, opts.sampling_rate * MAX_EDGE_POINTS / points))
