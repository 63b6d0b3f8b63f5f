"""The network as a graph: build it, lay it out in 3-D and bundle its edges as nn_vis does.

``network_graph(model, x, importance)`` gives a ``NetGraph`` (a node per neuron/channel, an edge
per connection, importance per class). ``KDEBundler(BundleOptions()).fit(graph).layout_`` is a
``GraphLayout`` (``BUNDLERS``: kde, straight); ``to_arrays`` / ``from_arrays`` turn it into the
graph file (format in ``convlens.store.formats``) and back.

Files: ``_data`` (the graph, no torch), ``_build`` (from a model), ``_options``, ``_polyline``
and ``_density`` (vectorised polylines and density grids), ``_advect`` (the steps),
``_layout`` (the result and its file), ``_bundle`` (the bundlers).
"""

from typing import TYPE_CHECKING, Any

from ._bundle import BUNDLERS, GraphBundler, KDEBundler, StraightBundler
from ._data import GraphLayer, NetGraph
from ._layout import GraphLayout
from ._options import BundleOptions

if TYPE_CHECKING:
    from ._build import network_graph


def __getattr__(name: str) -> Any:
    # building a graph from a model needs torch; laying out and reading a stored one does not
    if name == "network_graph":
        from ._build import network_graph

        return network_graph
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BUNDLERS",
    "BundleOptions",
    "GraphBundler",
    "GraphLayer",
    "GraphLayout",
    "KDEBundler",
    "NetGraph",
    "StraightBundler",
    "network_graph",
]
