"""Inside one forward pass: every layer's output, the layer list, maps reordered, class gradients.

- ``layer_outputs`` / ``leaf_layers`` run the model once with hooks that live only for that pass.
- ``order_channels`` reorders a layer's maps (``CHANNEL_ORDERS``: natural, kmeans, pca).
- ``filter_gradient_norms``: how strongly a class score depends on each filter.
"""

from ._classgrad import filter_gradient_norms, has_weight_parameter
from ._order import CHANNEL_ORDERS, ChannelOrder, order_channels
from ._outputs import LayerInfo, last_conv_layer, layer_outputs, leaf_layers

__all__ = [
    "CHANNEL_ORDERS",
    "ChannelOrder",
    "LayerInfo",
    "filter_gradient_norms",
    "has_weight_parameter",
    "last_conv_layer",
    "layer_outputs",
    "leaf_layers",
    "order_channels",
]
