"""umap-learn's ``AlignedUMAP`` behind the embedder interface: the reference method.

umap-learn is imported only when this embedder fits, because importing it compiles numba kernels
(tens of seconds in a fresh process).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from convlens.core import missing_extra, progress

from ._base import EMBEDDERS, EpochEmbedder
from ._validate import (
    check_epoch,
    check_epochs,
    check_float,
    check_positive_int,
    check_random_state,
)


@EMBEDDERS.register(
    "aligned-umap",
    help="umap-learn AlignedUMAP, identity relations between epochs (reference; slow)",
)
class AlignedUMAPEmbedder(EpochEmbedder):
    """umap-learn's ``AlignedUMAP`` with each probe related to itself in the next epoch.

    ``partial_fit`` refits every epoch (AlignedUMAP optimises all epochs jointly), so it keeps
    the epochs it has seen.

    Args:
        n_neighbors: umap's ``n_neighbors``.
        min_dist: umap's ``min_dist``.
        alignment_regularisation: AlignedUMAP's pull between related points of nearby epochs.
        alignment_window_size: How many epochs on each side that pull reaches.
        n_epochs: umap's optimisation epochs (``None``: AlignedUMAP's default, 200).
        random_state: Seed (``None`` draws one and records it in ``params_["seed"]``).
    """

    method = "aligned-umap"

    def __init__(
        self,
        n_neighbors: int = 15,
        min_dist: float = 0.1,
        alignment_regularisation: float = 0.01,
        alignment_window_size: int = 3,
        n_epochs: int | None = None,
        random_state: int | None = None,
    ) -> None:
        self.n_neighbors = n_neighbors
        self.min_dist = min_dist
        self.alignment_regularisation = alignment_regularisation
        self.alignment_window_size = alignment_window_size
        self.n_epochs = n_epochs
        self.random_state = random_state

    def _validate_params(self) -> None:
        check_positive_int(self.n_neighbors, "n_neighbors", minimum=2)
        check_float(self.min_dist, "min_dist")
        check_float(self.alignment_regularisation, "alignment_regularisation")
        check_positive_int(self.alignment_window_size, "alignment_window_size")
        if self.n_epochs is not None:
            check_positive_int(self.n_epochs, "n_epochs")

    def fit(self, X: Sequence[np.ndarray] | np.ndarray, y: None = None) -> AlignedUMAPEmbedder:
        """Lay out every epoch of ``X`` jointly with ``AlignedUMAP``; see ``EpochEmbedder.fit``."""
        self._validate_params()
        epochs = check_epochs(X, min_points=self._min_points())
        self._remember_shape(epochs[0])
        if not hasattr(self, "seed_") or self.random_state is not None:
            self.seed_ = check_random_state(self.random_state)
        self._epochs = epochs
        self.embedding_ = self._run(epochs)
        self.params_ = self._make_params()
        return self

    def partial_fit(self, x: np.ndarray, y: None = None) -> AlignedUMAPEmbedder:
        """Add one epoch and refit all of them (AlignedUMAP has no cheaper exact update)."""
        if not hasattr(self, "embedding_"):
            return self.fit([x])
        e = len(self._epochs)
        arr = check_epoch(x, name=f"epoch {e}", min_points=self._min_points())
        self._check_same_shape(arr, e)
        return self.fit([*self._epochs, arr])

    def _run(self, epochs: list[np.ndarray]) -> np.ndarray:
        try:
            import umap
        except ImportError:  # umap-learn is the optional extra convlens[umap]
            raise missing_extra("umap", "umap") from None
        common = {
            "n_neighbors": int(self.n_neighbors),
            "min_dist": float(self.min_dist),
            "random_state": self.seed_,
        }
        n = epochs[0].shape[0]
        identity = {i: i for i in range(n)}
        with progress(total=len(epochs), desc="embedding (aligned-umap)", unit="epoch") as bar:
            with warnings.catch_warnings():
                # umap says it runs single-threaded because a seed is set; that is the point.
                warnings.filterwarnings("ignore", message="n_jobs value", category=UserWarning)
                if len(epochs) == 1:
                    # AlignedUMAP needs two epochs; one epoch aligned to nothing is plain UMAP.
                    single = umap.UMAP(n_epochs=self.n_epochs or 200, **common)
                    layouts = [single.fit_transform(epochs[0])]
                else:
                    model = umap.AlignedUMAP(
                        alignment_regularisation=float(self.alignment_regularisation),
                        alignment_window_size=int(self.alignment_window_size),
                        n_epochs=self.n_epochs,
                        **common,
                    )
                    model.fit(epochs, relations=[identity] * (len(epochs) - 1))
                    layouts = model.embeddings_
            bar.update(len(epochs))
        return np.stack([np.asarray(emb, dtype=np.float32) for emb in layouts])

    def _extra_params(self) -> dict[str, Any]:
        return {"seed": self.seed_}
