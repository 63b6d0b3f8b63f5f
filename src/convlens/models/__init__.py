"""Models: small reference CNNs, building any model from a spec, loading weights safely.

Example:
    >>> from convlens.models import build_model, default_layers
    >>> model = build_model("paper", in_channels=1, num_classes=10, image_size=64)
    >>> default_layers(model)
    ['conv2', 'fc1']
"""

from ._build import build_model
from ._inspect import default_layers, describe_model
from ._sources import Pretrained, imagenet_classes, load_pretrained
from ._weights import load_weights, weights_in_channels
from ._zoo import MODELS, PaperCNN, TinyVGG

__all__ = [
    "MODELS",
    "Pretrained",
    "PaperCNN",
    "TinyVGG",
    "build_model",
    "default_layers",
    "describe_model",
    "imagenet_classes",
    "load_pretrained",
    "load_weights",
    "weights_in_channels",
]
