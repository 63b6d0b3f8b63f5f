"""convlens.analyze: pure methods, arrays in, arrays out, no disk; one sub-package a capability.

- ``embed/``: activations in 2-D over epochs (no torch).
- ``forward/``: inside one forward pass (feature maps, channel order, class gradients).
- ``attribution/``: why this decision (Captum methods, deletion/insertion).
- ``importance/``: what matters (importance estimators, units, pruning validation).
- ``netgraph/``: the network as a 3-D bundled graph.

Every name below is also importable from here, as before.

Embeddings: ``make_embedder(name, **params)`` builds one of ``EMBEDDERS`` (``aligned`` default,
``aligned-umap``, ``pca``); ``.fit(epochs)`` gives ``embedding_`` ``[E, N, 2]`` and ``params_``;
``.partial_fit(epoch)`` appends one epoch. ``embedding_quality`` scores the result.
``project(X, method)`` places one epoch in 2-D (``PROJECTIONS``: pca, tsne, umap).

Inside one forward pass: ``layer_outputs`` (feature maps and logits), ``leaf_layers`` (the
layer list as it ran), ``order_channels`` (``CHANNEL_ORDERS``: natural, kmeans, pca),
``filter_gradient_norms`` (class-score gradients per filter).

The names of ``ATTRIBUTIONS`` and ``CHANNEL_ORDERS`` (with their help) are here without torch:
``ATTRIBUTION_METHODS``, ``CHANNEL_ORDER_NAMES`` (the server types its parameters with them).

Why this decision: ``ATTRIBUTIONS`` (``Saliency``, ``GradCAM``, ``IntegratedGradients``,
``Occlusion``; ``Method(model, layer).attribute(x, target)``) and ``deletion_insertion``.

What matters in the network: ``IMPORTANCE`` (``BNGammaImportance``, ``TaylorImportance``,
``WeightImportance``; ``Method(model).fit(x, y).result_`` is an ``ImportanceResult`` of units and
edges, per class and overall), validated by ``pruning_curves`` (``PruningCurves``); the units
and their connections come from ``unit_graph`` (``UnitGraph``). The network as a graph:
``network_graph(model, x, importance)`` gives a ``NetGraph`` (a node per neuron/channel, an edge
per connection, importance per class); ``KDEBundler(BundleOptions()).fit(graph).layout_`` lays it
out in 3-D and bundles its edges as nn_vis does (``BUNDLERS``: kde, straight), a ``GraphLayout``
that ``to_arrays`` / ``from_arrays`` turn into the graph file and back.

The torch-based parts load on first use, so importing this package for embeddings does not
import torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from convlens.core import lazy_exports

from ._names import ATTRIBUTION_METHODS, CHANNEL_ORDER_NAMES
from .embed._factory import (
    EMBEDDERS,
    AlignedEmbedder,
    AlignedUMAPEmbedder,
    EpochEmbedder,
    PCAEmbedder,
    make_embedder,
)
from .embed._project import PROJECTIONS, project
from .embed._quality import embedding_quality

if TYPE_CHECKING:
    from .attribution import (
        ATTRIBUTIONS,
        Attribution,
        DeletionInsertion,
        GradCAM,
        IntegratedGradients,
        Occlusion,
        Saliency,
        deletion_insertion,
    )
    from .forward import (
        CHANNEL_ORDERS,
        ChannelOrder,
        LayerInfo,
        filter_gradient_norms,
        has_weight_parameter,
        last_conv_layer,
        layer_outputs,
        leaf_layers,
        order_channels,
    )
    from .importance import (
        IMPORTANCE,
        BNGammaImportance,
        EdgeImportance,
        ImportanceResult,
        LayerImportance,
        PruningCurves,
        TaylorImportance,
        UnitGraph,
        UnitImportance,
        WeightImportance,
        pruning_curves,
        unit_graph,
    )
    from .netgraph import (
        BUNDLERS,
        BundleOptions,
        GraphBundler,
        GraphLayer,
        GraphLayout,
        KDEBundler,
        NetGraph,
        StraightBundler,
        network_graph,
    )

_LAZY = {
    "ATTRIBUTIONS": ".attribution._methods",
    "Attribution": ".attribution._methods",
    "DeletionInsertion": ".attribution._faithfulness",
    "GradCAM": ".attribution._methods",
    "IntegratedGradients": ".attribution._methods",
    "Occlusion": ".attribution._methods",
    "Saliency": ".attribution._methods",
    "deletion_insertion": ".attribution._faithfulness",
    "filter_gradient_norms": ".forward._classgrad",
    "has_weight_parameter": ".forward._classgrad",
    "BUNDLERS": ".netgraph._bundle",
    "BundleOptions": ".netgraph._options",
    "GraphBundler": ".netgraph._bundle",
    "GraphLayout": ".netgraph._layout",
    "KDEBundler": ".netgraph._bundle",
    "StraightBundler": ".netgraph._bundle",
    "GraphLayer": ".netgraph._data",
    "NetGraph": ".netgraph._data",
    "network_graph": ".netgraph._build",
    "CHANNEL_ORDERS": ".forward._order",
    "ChannelOrder": ".forward._order",
    "LayerInfo": ".forward._outputs",
    "last_conv_layer": ".forward._outputs",
    "layer_outputs": ".forward._outputs",
    "leaf_layers": ".forward._outputs",
    "order_channels": ".forward._order",
    "IMPORTANCE": ".importance._base",
    "BNGammaImportance": ".importance._estimators",
    "TaylorImportance": ".importance._estimators",
    "UnitImportance": ".importance._base",
    "WeightImportance": ".importance._estimators",
    "EdgeImportance": ".importance._result",
    "ImportanceResult": ".importance._result",
    "LayerImportance": ".importance._result",
    "PruningCurves": ".importance._pruning",
    "pruning_curves": ".importance._pruning",
    "UnitGraph": ".importance._units",
    "unit_graph": ".importance._units",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())


__all__ = [
    "ATTRIBUTIONS",
    "ATTRIBUTION_METHODS",
    "BUNDLERS",
    "BundleOptions",
    "GraphBundler",
    "GraphLayer",
    "GraphLayout",
    "KDEBundler",
    "NetGraph",
    "StraightBundler",
    "network_graph",
    "CHANNEL_ORDERS",
    "CHANNEL_ORDER_NAMES",
    "EMBEDDERS",
    "IMPORTANCE",
    "BNGammaImportance",
    "EdgeImportance",
    "ImportanceResult",
    "LayerImportance",
    "PruningCurves",
    "TaylorImportance",
    "UnitGraph",
    "UnitImportance",
    "WeightImportance",
    "pruning_curves",
    "unit_graph",
    "AlignedEmbedder",
    "AlignedUMAPEmbedder",
    "Attribution",
    "ChannelOrder",
    "DeletionInsertion",
    "EpochEmbedder",
    "GradCAM",
    "IntegratedGradients",
    "LayerInfo",
    "Occlusion",
    "PCAEmbedder",
    "PROJECTIONS",
    "Saliency",
    "deletion_insertion",
    "embedding_quality",
    "filter_gradient_norms",
    "has_weight_parameter",
    "last_conv_layer",
    "layer_outputs",
    "leaf_layers",
    "make_embedder",
    "order_channels",
    "project",
]
