"""convlens.analyze: pure methods, arrays in, arrays out, no disk.

Embeddings: ``make_embedder(name, **params)`` builds one of ``EMBEDDERS`` (``aligned`` default,
``aligned-umap``, ``pca``); ``.fit(epochs)`` gives ``embedding_`` ``[E, N, 2]`` and ``params_``;
``.partial_fit(epoch)`` appends one epoch. ``embedding_quality`` scores the result.
"""

from ._embed import (
    EMBEDDERS,
    AlignedEmbedder,
    AlignedUMAPEmbedder,
    EpochEmbedder,
    PCAEmbedder,
    make_embedder,
)
from ._quality import embedding_quality

__all__ = [
    "EMBEDDERS",
    "AlignedEmbedder",
    "AlignedUMAPEmbedder",
    "EpochEmbedder",
    "PCAEmbedder",
    "embedding_quality",
    "make_embedder",
]
