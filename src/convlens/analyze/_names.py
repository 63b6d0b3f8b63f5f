"""The names of the registries that live beside torch, without importing torch.

The server types its parameters with these names when it starts (it must not import torch
then), so its OpenAPI document lists exactly the values it accepts. The registries register
their entries under these names and with these help lines (a name missing here fails at
import); ``tests/test_server_schema.py`` keeps the two lists equal.
"""

from __future__ import annotations

ATTRIBUTION_METHODS: dict[str, str] = {
    "saliency": "How much a tiny change of each pixel moves the score",
    "gradcam": "Which regions a layer's features used for this class",
    "integrated_gradients": "Each pixel's share of the score, from a black image to this one",
    "occlusion": "How much the score drops when a patch is blacked out",
}
"""``ATTRIBUTIONS`` (``analyze/attribution``): name -> one line of help, in registration order."""

CHANNEL_ORDER_NAMES: dict[str, str] = {
    "natural": "The layer's own channel order, unchanged",
    "kmeans": "Similar-looking maps grouped together (k-means clusters)",
    "pca": "Along the maps' main direction of difference, from weakest to strongest",
}
"""``CHANNEL_ORDERS`` (``analyze/forward``): name -> one line of help, in registration order."""
