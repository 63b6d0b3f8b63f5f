"""Aligned 2-D embeddings of per-epoch activations: the registry and its factory.

Registered, in this order: ``aligned`` (ConvLens's own, the default), ``aligned-umap``
(umap-learn's AlignedUMAP, the reference) and ``pca``.
"""

from __future__ import annotations

import inspect
from typing import Any

from convlens.core import UserInputError

from ._aligned import AlignedEmbedder
from ._aligned_umap import AlignedUMAPEmbedder
from ._base import EMBEDDERS, EpochEmbedder
from ._pca import PCAEmbedder

__all__ = [
    "EMBEDDERS",
    "AlignedEmbedder",
    "AlignedUMAPEmbedder",
    "EpochEmbedder",
    "PCAEmbedder",
    "make_embedder",
]


def make_embedder(name: str = "aligned", **params: Any) -> EpochEmbedder:
    """Build the embedder registered as ``name`` with ``params`` (checked when it fits).

    Args:
        name: A name in ``EMBEDDERS`` (``EMBEDDERS.names()`` lists them).
        **params: Keyword arguments of that embedder's class.

    Raises:
        UserInputError: Unknown name, or a parameter that embedder does not take.
    """
    cls = EMBEDDERS.get(name)
    accepted = [p for p in inspect.signature(cls).parameters if p != "self"]
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        raise UserInputError(
            f"embedder '{name}' does not take {', '.join(unknown)}; it takes: {', '.join(accepted)}"
        )
    return cls(**params)
