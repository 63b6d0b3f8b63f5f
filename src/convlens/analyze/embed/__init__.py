"""Activations in 2-D: aligned embeddings over epochs, one-off projections, their quality.

No torch here (an import-linter contract): a run's activations are numpy arrays.

- ``make_embedder(name, **params)`` builds one of ``EMBEDDERS`` (``aligned``: ConvLens's own
  UMAP-style layout, each epoch started from the one before; ``aligned-umap``: umap-learn's
  AlignedUMAP, the reference; ``pca``). ``.fit(epochs)`` gives ``embedding_`` ``[E, N, 2]``.
- ``project(X, method)`` places one epoch in 2-D (``PROJECTIONS``: pca, tsne, umap).
- ``embedding_quality`` scores a layout (trustworthiness, k-NN preservation, displacement).

A new embedder subclasses ``EpochEmbedder`` and registers itself with ``@EMBEDDERS.register``.
"""

from ._base import EMBEDDERS, EpochEmbedder
from ._factory import AlignedEmbedder, AlignedUMAPEmbedder, PCAEmbedder, make_embedder
from ._project import PROJECTIONS, project
from ._quality import embedding_quality

__all__ = [
    "EMBEDDERS",
    "PROJECTIONS",
    "AlignedEmbedder",
    "AlignedUMAPEmbedder",
    "EpochEmbedder",
    "PCAEmbedder",
    "embedding_quality",
    "make_embedder",
    "project",
]
