"""Feature maps of one layer reordered so similar maps sit together (``CHANNEL_ORDERS``:
``natural``, ``kmeans``, ``pca``)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from convlens.core import Registry, UserInputError

from .._names import CHANNEL_ORDER_NAMES

# -- ordering one layer's feature maps -------------------------------------------------------


@dataclass(frozen=True)
class ChannelOrder:
    """How to lay out a layer's channels.

    Attributes:
        order: A permutation of ``range(C)``: show channel ``order[0]`` first.
        cluster: ``[C]`` k-means cluster of each channel (numbered in display order), or
            ``None``.
        pca: ``[C]`` each channel's coordinate on the first principal axis, or ``None``.
    """

    order: np.ndarray
    cluster: np.ndarray | None = None
    pca: np.ndarray | None = None


_Orderer = Callable[[np.ndarray, "int | None", int], ChannelOrder]
CHANNEL_ORDERS: Registry[_Orderer] = Registry("channel order")


@CHANNEL_ORDERS.register("natural", help=CHANNEL_ORDER_NAMES["natural"])
def _natural(flat: np.ndarray, n_clusters: int | None, random_state: int) -> ChannelOrder:
    return ChannelOrder(order=np.arange(flat.shape[0]))


def _first_axis(flat: np.ndarray) -> np.ndarray:
    """Each row's coordinate on the first principal axis, sign fixed (loadings sum >= 0).

    Rows without spread (fewer than two, or all identical) get 0.
    """
    from sklearn.decomposition import PCA

    centred = flat - flat.mean(axis=0)
    scale = np.abs(flat).max()
    if flat.shape[0] < 2 or np.abs(centred).max() <= 1e-12 * scale:
        return np.zeros(flat.shape[0])
    pca = PCA(n_components=1, svd_solver="full").fit(flat)
    axis = pca.components_[0]
    total = axis.sum()
    if abs(total) <= 1e-9 * np.abs(axis).sum():  # loadings cancel: largest |loading| positive
        total = axis[np.argmax(np.abs(axis))]
    if total < 0:
        axis = -axis
    return centred @ axis


def _default_clusters(c: int) -> int:
    return min(8, max(2, round(math.sqrt(c))))


@CHANNEL_ORDERS.register("kmeans", help=CHANNEL_ORDER_NAMES["kmeans"])
def _kmeans(flat: np.ndarray, n_clusters: int | None, random_state: int) -> ChannelOrder:
    from sklearn.cluster import KMeans

    c = flat.shape[0]
    # cluster by pattern, not strength: each map scaled to unit length (dead maps stay zero)
    norms = np.linalg.norm(flat, axis=1, keepdims=True)
    unit = np.divide(flat, norms, out=np.zeros_like(flat), where=norms > 1e-12)
    distinct = len(np.unique(np.round(unit, 12), axis=0))
    k = min(n_clusters if n_clusters is not None else _default_clusters(c), c, distinct)
    if k < 2:  # nothing to tell apart: one cluster, natural order
        return ChannelOrder(order=np.arange(c), cluster=np.zeros(c, dtype=np.int64))
    km = KMeans(n_clusters=k, n_init=4, random_state=random_state).fit(unit)
    labels, centres = km.labels_, km.cluster_centers_
    # clusters in order of their centre on the first principal axis; ties by size, then label
    centre_coord = _first_axis(centres)
    sizes = np.bincount(labels, minlength=k)
    cluster_rank = np.lexsort((np.arange(k), -sizes, np.round(centre_coord, 9)))
    new_label = np.empty(k, dtype=np.int64)
    new_label[cluster_rank] = np.arange(k)
    cluster = new_label[labels]
    dist = np.linalg.norm(unit - centres[labels], axis=1)
    order = np.lexsort((np.arange(c), np.round(dist, 9), cluster))
    return ChannelOrder(order=order, cluster=cluster)


@CHANNEL_ORDERS.register("pca", help=CHANNEL_ORDER_NAMES["pca"])
def _pca(flat: np.ndarray, n_clusters: int | None, random_state: int) -> ChannelOrder:
    coord = _first_axis(flat)
    return ChannelOrder(order=np.argsort(coord, kind="stable"), pca=coord)


def order_channels(
    maps: np.ndarray,
    method: str = "natural",
    *,
    n_clusters: int | None = None,
    random_state: int = 0,
) -> ChannelOrder:
    """Order a layer's channels so that similar feature maps sit next to each other.

    ``kmeans`` clusters the maps by pattern (each map scaled to unit length, so a weak and a
    strong copy of one pattern group together; all-zero maps form their own group), shows the
    clusters in order of their centre along the first principal axis and, inside a cluster,
    the maps closest to its centre first. ``pca`` sorts maps by their coordinate on the first
    principal axis of the raw maps, with the axis's sign fixed so its loadings sum to a
    positive number (if they cancel, its largest loading is positive): negating every map
    therefore reverses the order. Both are deterministic for a ``random_state``.

    Args:
        maps: ``[C, H, W]`` feature maps of one image (``[C]`` for a fully connected layer).
        method: A name in ``CHANNEL_ORDERS``.
        n_clusters: Number of k-means clusters; default ``min(8, max(2, round(sqrt(C))))``,
            never more than the number of distinct maps.
        random_state: Seed of k-means.

    Raises:
        UserInputError: Unknown method, empty or non-finite maps, ``n_clusters < 1``.
    """
    orderer = CHANNEL_ORDERS.get(method)
    shape = np.shape(maps)
    if len(shape) == 0 or shape[0] == 0 or int(np.prod(shape)) == 0:
        raise UserInputError(f"maps must be [C, H, W] or [C] with C >= 1, got shape {shape}")
    if method == "natural":  # nothing to compute: no float64 copy of every map
        return ChannelOrder(order=np.arange(shape[0], dtype=np.int64))
    arr = np.asarray(maps, dtype=np.float64)
    if not np.isfinite(arr).all():
        raise UserInputError("maps contain NaN or infinite values: give finite activations")
    if n_clusters is not None and (isinstance(n_clusters, bool) or int(n_clusters) < 1):
        raise UserInputError(f"n_clusters must be a whole number >= 1, got {n_clusters!r}")
    flat = arr.reshape(arr.shape[0], -1)
    result = orderer(flat, None if n_clusters is None else int(n_clusters), int(random_state))
    return ChannelOrder(
        order=np.asarray(result.order, dtype=np.int64),
        cluster=result.cluster,
        pca=result.pca,
    )
