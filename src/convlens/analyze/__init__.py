"""convlens.analyze: pure methods, arrays in, arrays out, no disk.

Embeddings: ``make_embedder(name, **params)`` builds one of ``EMBEDDERS`` (``aligned`` default,
``aligned-umap``, ``pca``); ``.fit(epochs)`` gives ``embedding_`` ``[E, N, 2]`` and ``params_``;
``.partial_fit(epoch)`` appends one epoch. ``embedding_quality`` scores the result.
``project(X, method)`` places one epoch in 2-D (``PROJECTIONS``: pca, tsne, umap).

Inside one forward pass: ``layer_outputs`` (feature maps and logits), ``leaf_layers`` (the
layer list as it ran), ``order_channels`` (``CHANNEL_ORDERS``: natural, kmeans, pca),
``filter_gradient_norms`` (class-score gradients per filter).

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

import importlib
from typing import TYPE_CHECKING, Any

from ._embed import (
    EMBEDDERS,
    AlignedEmbedder,
    AlignedUMAPEmbedder,
    EpochEmbedder,
    PCAEmbedder,
    make_embedder,
)
from ._project import PROJECTIONS, project
from ._quality import embedding_quality

if TYPE_CHECKING:
    from ._attribution import (
        ATTRIBUTIONS,
        Attribution,
        DeletionInsertion,
        GradCAM,
        IntegratedGradients,
        Occlusion,
        Saliency,
        deletion_insertion,
    )
    from ._bundle import (
        BUNDLERS,
        BundleOptions,
        GraphBundler,
        GraphLayout,
        KDEBundler,
        StraightBundler,
    )
    from ._classgrad import filter_gradient_norms
    from ._featuremaps import (
        CHANNEL_ORDERS,
        ChannelOrder,
        LayerInfo,
        last_conv_layer,
        layer_outputs,
        leaf_layers,
        order_channels,
    )
    from ._graphdata import GraphLayer, NetGraph
    from ._importance import (
        IMPORTANCE,
        BNGammaImportance,
        TaylorImportance,
        UnitImportance,
        WeightImportance,
    )
    from ._importance_result import EdgeImportance, ImportanceResult, LayerImportance
    from ._netgraph import network_graph
    from ._prune import PruningCurves, pruning_curves
    from ._units import UnitGraph, unit_graph

_LAZY = {
    "ATTRIBUTIONS": "._attribution",
    "Attribution": "._attribution",
    "DeletionInsertion": "._attribution",
    "GradCAM": "._attribution",
    "IntegratedGradients": "._attribution",
    "Occlusion": "._attribution",
    "Saliency": "._attribution",
    "deletion_insertion": "._attribution",
    "filter_gradient_norms": "._classgrad",
    "BUNDLERS": "._bundle",
    "BundleOptions": "._bundle",
    "GraphBundler": "._bundle",
    "GraphLayout": "._bundle",
    "KDEBundler": "._bundle",
    "StraightBundler": "._bundle",
    "GraphLayer": "._graphdata",
    "NetGraph": "._graphdata",
    "network_graph": "._netgraph",
    "CHANNEL_ORDERS": "._featuremaps",
    "ChannelOrder": "._featuremaps",
    "LayerInfo": "._featuremaps",
    "last_conv_layer": "._featuremaps",
    "layer_outputs": "._featuremaps",
    "leaf_layers": "._featuremaps",
    "order_channels": "._featuremaps",
    "IMPORTANCE": "._importance",
    "BNGammaImportance": "._importance",
    "TaylorImportance": "._importance",
    "UnitImportance": "._importance",
    "WeightImportance": "._importance",
    "EdgeImportance": "._importance_result",
    "ImportanceResult": "._importance_result",
    "LayerImportance": "._importance_result",
    "PruningCurves": "._prune",
    "pruning_curves": "._prune",
    "UnitGraph": "._units",
    "unit_graph": "._units",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "ATTRIBUTIONS",
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
    "last_conv_layer",
    "layer_outputs",
    "leaf_layers",
    "make_embedder",
    "order_channels",
    "project",
]
