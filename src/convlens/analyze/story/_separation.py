"""How well classes separate in a layer's own space: k-nearest-neighbour class purity."""

from __future__ import annotations

import numpy as np

#: Above this many pictures the measure runs on a stratified sample of them (the same sample for
#: every epoch of a run, so epochs stay comparable): memory and time stay bounded (a 50,000-probe
#: run needed a 20 GB distance matrix per epoch before).
MAX_REFERENCE = 10_000
#: Of the reference pictures, at most this many vote (purity's sampling error ~1 %).
MAX_VOTERS = 2_000
#: Fewest neighbours that still make a measure: a class needs one more picture than this.
MIN_NEIGHBOURS = 1


def _stratified(y: np.ndarray, m: int, rng: np.random.Generator) -> np.ndarray:
    """Sorted indices of ``m`` of ``y``'s rows, every class in proportion (at least one each)."""
    n = len(y)
    if m >= n:
        return np.arange(n)
    picks = []
    for c in np.unique(y):
        rows = np.flatnonzero(y == c)
        take = max(1, round(m * len(rows) / n))
        picks.append(rng.choice(rows, min(take, len(rows)), replace=False))
    return np.sort(np.concatenate(picks))


def neighbours_for(labels: np.ndarray, k: int = 10, *, max_reference: int = MAX_REFERENCE) -> int:
    """The ``k`` that :func:`class_separation` really counts for ``labels``: at most the size of
    the smallest class present (among the pictures it measures) less one, so that every
    neighbour could be of a picture's own class (on 3 pictures a class, ``k = 8`` of 9 capped
    purity at 25 %). ``0`` when a class has too few pictures to measure (a single one): the
    measure cannot tell whether the kinds separate. Unlabelled pictures (``-1``) are ignored."""
    y = np.asarray(labels, np.int64)
    if len(y) < 2:
        return 0
    y = y[_stratified(y, max_reference, np.random.default_rng(0))]
    counts = np.unique(y[y >= 0], return_counts=True)[1]
    if not len(counts):  # no labelled picture: no class to cap k by
        return int(min(max(k, 1), len(y) - 1))
    k = int(min(max(k, 1), len(y) - 1, counts.min() - 1))
    return k if k >= MIN_NEIGHBOURS else 0


def class_separation(
    features: np.ndarray,
    labels: np.ndarray,
    n_classes: int,
    k: int = 10,
    *,
    max_reference: int = MAX_REFERENCE,
    max_voters: int = MAX_VOTERS,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-class purity and pairwise mixing of ``features`` ``[N, D]`` with classes ``labels``.

    For each point, its ``k`` nearest other points (Euclidean, in the layer's own space, after
    scaling every feature to unit variance so that no single unit dominates) vote: purity is the
    share of those neighbours of the point's own class, averaged over the class (``k`` is capped
    by :func:`neighbours_for` at the smallest class's size less one); mixing
    ``[i, j]`` is the share of class ``i``'s neighbours that belong to class ``j``, made symmetric
    (``(m_ij + m_ji) / 2``) so that it reads "how tangled are i and j".

    Exact on every point up to ``max_voters`` points. Above that, ``max_voters`` points (a
    stratified sample, the same for the same labels) vote, with neighbours among
    ``max_reference`` points (a stratified sample containing the voters; all points up to that
    size); scikit-learn's search works in chunks, so memory never grows as ``N^2``.

    Returns:
        ``purity`` ``[C]`` (NaN for a class with no point, and for every class when a class has
        too few pictures to measure: ``neighbours_for`` gives 0) and ``mixing`` ``[C, C]``
        (zero diagonal), both in 0..1.
    """
    X = np.asarray(features, np.float64).reshape(len(features), -1)
    y = np.asarray(labels, np.int64)
    if len(X) != len(y):
        raise ValueError(f"{len(X)} feature rows but {len(y)} labels")
    purity = np.full(n_classes, np.nan)
    mixing = np.zeros((n_classes, n_classes))
    k = neighbours_for(y, k, max_reference=max_reference)
    if k < MIN_NEIGHBOURS:
        return purity, mixing
    rng = np.random.default_rng(0)  # a local generator: the same sample on every call
    ref = _stratified(y, max_reference, rng)
    X, y = X[ref], y[ref]
    n = len(X)
    voters = _stratified(y, max_voters, rng)
    X = X - X.mean(axis=0)
    std = X.std(axis=0)
    X = X[:, std > 1e-12] / std[std > 1e-12]
    if X.shape[1] == 0:  # every feature constant: all points alike (ties, any neighbours)
        X = np.zeros((n, 1))
    nn = _neighbours(X, voters, k)
    votes = np.zeros((len(voters), n_classes))
    np.add.at(votes, (np.repeat(np.arange(len(voters)), k), y[nn].ravel()), 1.0 / k)
    yv = y[voters]
    share = np.zeros((n_classes, n_classes))  # share[i, j]: mean vote of class i's points for j
    for c in range(n_classes):
        mine = yv == c
        if mine.any():
            share[c] = votes[mine].mean(axis=0)
            purity[c] = share[c, c]
    mixing = (share + share.T) / 2
    np.fill_diagonal(mixing, 0.0)
    return purity, mixing


def _neighbours(X: np.ndarray, voters: np.ndarray, k: int) -> np.ndarray:
    """``[len(voters), k]`` indices of each voter's ``k`` nearest other rows of ``X`` (exact:
    scikit-learn picks a k-d tree for few features, chunked brute force for many)."""
    from sklearn.neighbors import NearestNeighbors

    idx = NearestNeighbors(n_neighbors=k + 1).fit(X).kneighbors(X[voters], return_distance=False)
    # drop the voter itself (moved last, stably: a duplicate point may come before it)
    order = np.argsort(idx == voters[:, None], axis=1, kind="stable")
    return np.take_along_axis(idx, order, axis=1)[:, :k]
