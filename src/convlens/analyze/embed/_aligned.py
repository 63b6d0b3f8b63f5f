"""ConvLens's aligned embedding: UMAP per epoch, each epoch started from the one before.

Per epoch: centre and reduce with PCA, k nearest neighbours (exact up to 4,096 points,
approximate through a faiss IVF index above: ``_neighbours.py``), UMAP's fuzzy graph, then
UMAP's cross-entropy layout optimised by a vectorised NumPy step (``_layout.py``). The first epoch
starts from its two principal components; every later epoch starts from the previous layout (a
point whose neighbours changed starts among its new neighbours), is refined at a low learning rate
with a pull toward each point's start, and is finally rotated (never mirrored) onto the previous
layout. So points move on screen when, and about as much as, their neighbourhood in the network
changed. Nothing here imports umap-learn or numba.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from convlens.core import UserInputError

from . import _neighbours
from ._base import EMBEDDERS, EpochEmbedder
from ._fuzzy_graph import edge_list, find_ab_params, fuzzy_graph
from ._umap_layout import LayoutProblem, optimize_layout, pca_init, rotate_onto
from ._validate import check_float, check_positive_int, check_random_state

# Up to this many points, the small dense linear algebra of each epoch runs on one BLAS thread:
# it gains nothing from more, and multi-threaded OpenBLAS slows down many times on a busy machine.
_SINGLE_THREAD_BELOW = 20_000

# Above this many points (and up to this many features), PCA goes through the covariance matrix.
_COVARIANCE_PCA_ABOVE = 10_000
_COVARIANCE_PCA_MAX_FEATURES = 2048

# A point whose neighbour set changed by more than this fraction since the epoch before (noise
# in the probes' activations alone changes about a quarter) starts the epoch, in proportion to the
# excess, at the mean previous position of its new neighbours: it moves where it now belongs
# instead of being dragged there slowly.
_MOVER_THRESHOLD = 0.5

# Points drawn per point and step for the repulsive force; their push is rescaled to the number
# of negative samples umap would draw. More lowers the noise at a linear cost.
_NEGATIVES_DRAWN = 15


def _reduce(x: np.ndarray, n_components: int | None, seed: int) -> np.ndarray:
    """Centre ``x`` and keep its top ``n_components`` principal scores (all when ``None``)."""
    xc = x - x.mean(axis=0, dtype=np.float64).astype(np.float32)
    if n_components is None or n_components >= min(xc.shape):
        return xc
    if xc.shape[0] > _COVARIANCE_PCA_ABOVE and xc.shape[1] <= _COVARIANCE_PCA_MAX_FEATURES:
        # Many points, few features: the exact principal axes from the D x D covariance cost
        # one pass over the data, where randomized SVD makes several passes and QRs of N rows.
        _, vecs = np.linalg.eigh((xc.T @ xc).astype(np.float64))
        axes = vecs[:, ::-1][:, :n_components]
        axes *= np.where(axes[np.abs(axes).argmax(axis=0), np.arange(n_components)] < 0, -1, 1)
        return xc @ axes.astype(np.float32)
    from sklearn.utils.extmath import randomized_svd

    u, s, _ = randomized_svd(xc, n_components, n_iter=4, random_state=seed)
    return (u * s).astype(np.float32)


def _neighbour_change(new: np.ndarray, old: np.ndarray) -> np.ndarray:
    """Per point, the fraction of its neighbours (rows of indices, no repeats) that changed."""
    both = np.sort(np.hstack([new, old]), axis=1)
    shared = (both[:, 1:] == both[:, :-1]).sum(axis=1)
    return 1.0 - shared / new.shape[1]


def _top_two(xc: np.ndarray, seed: int) -> np.ndarray:
    """The top two principal scores of centred ``xc`` (the start of the first layout)."""
    if xc.shape[1] <= 2:
        return xc
    from sklearn.utils.extmath import randomized_svd

    u, s, _ = randomized_svd(xc, 2, n_iter=4, random_state=seed)
    return (u * s).astype(np.float32)


@EMBEDDERS.register(
    "aligned",
    help="ConvLens aligned UMAP: each epoch starts from the last (fast, NumPy only; default)",
)
class AlignedEmbedder(EpochEmbedder):
    """UMAP layouts of successive epochs, each started from and aligned to the epoch before.

    Much faster than umap-learn's ``AlignedUMAP`` (no numba, later epochs only refine), with
    comparable neighbourhood quality; see ``bench/RESULTS.md``.

    Args:
        n_neighbors: Neighbourhood size of the fuzzy graph, the point itself included (umap).
        min_dist: How tightly points may pack in the layout (umap).
        spread: Scale of the layout (umap).
        pca_components: Reduce each epoch to this many principal components before finding
            neighbours (``None``: no reduction). Denoises wide layers and speeds up search.
        n_iter: Optimisation steps for the first epoch (``None``: 500 up to 10,000 points,
            else 200, as umap).
        n_iter_update: Optimisation steps for each later epoch (``None``: ``n_iter // 10``,
            at least 30).
        learning_rate: Initial step size for the first epoch (umap's ``learning_rate``).
        update_learning_rate: Initial step size for later epochs. Low, because they start from
            a finished layout that only needs to follow the change (0.05 is steadier still but
            follows sudden changes less well).
        alignment_regularisation: Pull of each point toward its position in the epoch before;
            higher is steadier, lower follows changes in the network more freely.
        negative_sample_rate: Negative samples per positive one (umap).
        random_state: Seed (``None`` draws one and records it in ``params_["seed"]``).
    """

    method = "aligned"

    def __init__(
        self,
        n_neighbors: int = 15,
        min_dist: float = 0.1,
        spread: float = 1.0,
        pca_components: int | None = 50,
        n_iter: int | None = None,
        n_iter_update: int | None = None,
        learning_rate: float = 1.0,
        update_learning_rate: float = 0.1,
        alignment_regularisation: float = 0.5,
        negative_sample_rate: float = 5.0,
        random_state: int | None = None,
    ) -> None:
        self.n_neighbors = n_neighbors
        self.min_dist = min_dist
        self.spread = spread
        self.pca_components = pca_components
        self.n_iter = n_iter
        self.n_iter_update = n_iter_update
        self.learning_rate = learning_rate
        self.update_learning_rate = update_learning_rate
        self.alignment_regularisation = alignment_regularisation
        self.negative_sample_rate = negative_sample_rate
        self.random_state = random_state

    def _validate_params(self) -> None:
        check_positive_int(self.n_neighbors, "n_neighbors", minimum=2)
        check_float(self.min_dist, "min_dist")
        check_float(self.spread, "spread", inclusive=False)
        if self.min_dist > self.spread:
            raise UserInputError(
                f"min_dist ({self.min_dist}) must not exceed spread ({self.spread})"
            )
        if self.pca_components is not None:
            check_positive_int(self.pca_components, "pca_components", minimum=2)
        if self.n_iter is not None:
            check_positive_int(self.n_iter, "n_iter")
        if self.n_iter_update is not None:
            check_positive_int(self.n_iter_update, "n_iter_update")
        check_float(self.learning_rate, "learning_rate", inclusive=False)
        check_float(self.update_learning_rate, "update_learning_rate", inclusive=False)
        check_float(self.alignment_regularisation, "alignment_regularisation")
        check_float(self.negative_sample_rate, "negative_sample_rate")

    def _start(self, first: np.ndarray, epochs: Sequence[np.ndarray]) -> None:
        self.seed_ = check_random_state(self.random_state)
        self.a_, self.b_ = find_ab_params(float(self.spread), float(self.min_dist))
        n = first.shape[0]
        self.n_iter_ = int(self.n_iter or (500 if n <= 10_000 else 200))
        self.n_iter_update_ = int(self.n_iter_update or max(30, self.n_iter_ // 10))
        self._last_neighbours: np.ndarray | None = None
        self._neighbour_search: str | None = None

    def _extra_params(self) -> dict[str, Any]:
        return {
            "seed": self.seed_,
            "a": self.a_,
            "b": self.b_,
            "n_iter_resolved": self.n_iter_,
            "n_iter_update_resolved": self.n_iter_update_,
            "negatives_drawn": _NEGATIVES_DRAWN,
            "neighbour_search": self._neighbour_search,
        }

    def _embed_epoch(self, x: np.ndarray, index: int, previous: np.ndarray | None) -> np.ndarray:
        if x.shape[0] > _SINGLE_THREAD_BELOW:
            return self._embed_epoch_threads(x, index, previous)
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            return self._embed_epoch_threads(x, index, previous)

    def _embed_epoch_threads(
        self, x: np.ndarray, index: int, previous: np.ndarray | None
    ) -> np.ndarray:
        rng = np.random.default_rng([self.seed_, index])
        svd_seed = int(rng.integers(2**31 - 1))
        reduced = _reduce(x, self.pca_components, svd_seed)
        idx, dist, self._neighbour_search = _neighbours.nearest_neighbours(
            reduced, int(self.n_neighbors), seed=svd_seed
        )
        graph = fuzzy_graph(idx, dist)
        head, tail, weight = edge_list(graph, self.n_iter_)
        problem = LayoutProblem(head, tail, weight, x.shape[0])
        last_neighbours, self._last_neighbours = self._last_neighbours, idx[:, 1:]
        common = {
            "a": self.a_,
            "b": self.b_,
            "rng": rng,
            "negative_sample_rate": float(self.negative_sample_rate),
            "n_negative": _NEGATIVES_DRAWN,
        }
        if previous is None:
            return optimize_layout(
                pca_init(_top_two(reduced, svd_seed), rng),
                problem,
                n_iter=self.n_iter_,
                learning_rate=float(self.learning_rate),
                **common,
            )
        start = previous
        if last_neighbours is not None:
            change = _neighbour_change(idx[:, 1:], last_neighbours)
            moved = np.clip((change - _MOVER_THRESHOLD) / (1.0 - _MOVER_THRESHOLD), 0.0, 1.0)
            if moved.any():
                total = np.asarray(graph.sum(axis=1)).ravel()
                total[total == 0] = 1.0
                target = (graph @ previous.astype(np.float64)) / total[:, None]
                start = (previous + moved[:, None] * (target - previous)).astype(np.float32)
        layout = optimize_layout(
            start,
            problem,
            n_iter=self.n_iter_update_,
            learning_rate=float(self.update_learning_rate),
            anchor=start,
            anchor_weight=float(self.alignment_regularisation),
            **common,
        )
        return rotate_onto(layout, previous)
