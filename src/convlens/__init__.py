"""ConvLens: see how a convolutional neural network learns and decides."""

__version__ = "0.1.0"
