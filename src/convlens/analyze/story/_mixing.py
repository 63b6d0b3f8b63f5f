"""Pair mixing kept sparse: per epoch only the class pairs that matter, so that its size grows
with the number of classes ``C``, not ``C^2`` (1,000 classes: 8 MB an epoch dense).

Which pairs an epoch keeps (``i < j``, mixing above 0):

- the pairs at or above :data:`FLOOR` (0.02, well below every threshold read: untangled 0.08,
  "still overlap" 0.1, tangled 0.15), at most :data:`PAIRS_PER_CLASS` ``* C`` of them, the
  largest, but never fewer than all those at or above 0.08. The mixing a measure gives sums to
  at most ``C / 2`` over all pairs, so at most ``C / (2 t)`` pairs reach ``t``: 6.25 ``C`` reach
  0.08, and for a measure the cap of 8 ``C`` is what binds;
- each class's most mixed partner (the "separates from" of an event);
- the pairs at or above 0.08 the epoch before (their value now is an untangle's "after").

That is at most about 15 ``C`` pairs an epoch, and every event, most tangled pair and verdict
is the one the whole ``[C, C]`` matrix gives.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ._events import UNTANGLED

FLOOR = 0.02
PAIRS_PER_CLASS = 8
assert PAIRS_PER_CLASS > 1 / (2 * UNTANGLED), "a measure's pairs at 0.08 must fit under the cap"

Pairs = tuple[np.ndarray, np.ndarray, np.ndarray]
"""One epoch's pairs: ``rows``, ``cols`` (``rows < cols``) and ``values``, sorted by pair."""


def dense_pairs(mixing: np.ndarray) -> Pairs:
    """Every pair ``i < j`` of a symmetric ``[C, C]`` mixing that is above zero."""
    M = np.asarray(mixing, np.float64)
    rows, cols = np.nonzero(np.triu(M, 1) > 0)
    return rows.astype(np.int32), cols.astype(np.int32), M[rows, cols]


def _top_partners(n_classes: int, pairs: Pairs) -> tuple[np.ndarray, np.ndarray]:
    """Per class its most mixed partner and that mixing (first partner on a tie, as
    ``np.argmax`` over the dense row; partner 0 and mixing 0 for a class mixed with none)."""
    rows, cols, values = pairs
    who = np.concatenate([rows, cols])
    other = np.concatenate([cols, rows])
    val = np.concatenate([values, values])
    order = np.lexsort((other, -val, who))
    who, other, val = who[order], other[order], val[order]
    first = np.ones(len(who), bool)
    first[1:] = who[1:] != who[:-1]
    partner = np.zeros(n_classes, np.int64)
    best = np.zeros(n_classes)
    partner[who[first]] = other[first]
    best[who[first]] = val[first]
    return partner, best


def _select(n_classes: int, pairs: Pairs, before: Pairs | None) -> Pairs:
    """The pairs of one epoch to keep (see the module's rules), sorted by pair."""
    rows, cols, values = pairs
    keep = np.zeros(len(values), bool)
    big = np.flatnonzero(values >= FLOOR)
    cap = max(PAIRS_PER_CLASS * n_classes, int((values >= UNTANGLED).sum()))  # see the rules
    if len(big) > cap:  # the largest, ties by pair order
        big = big[np.argsort(-values[big], kind="stable")[:cap]]
    keep[big] = True
    code = rows.astype(np.int64) * n_classes + cols
    partner, best = _top_partners(n_classes, pairs)
    has = np.flatnonzero(best > 0)
    lo, hi = np.minimum(has, partner[has]), np.maximum(has, partner[has])
    keep[np.searchsorted(code, lo * n_classes + hi)] = True
    if before is not None:
        was = before[2] >= UNTANGLED
        want = before[0][was].astype(np.int64) * n_classes + before[1][was]
        at = np.searchsorted(code, want)
        found = at < len(code)
        found[found] = code[at[found]] == want[found]
        keep[at[found]] = True
    return rows[keep], cols[keep], values[keep]


@dataclass(frozen=True, eq=False)
class PairMixing:
    """How tangled class pairs are, epoch by epoch, kept sparse (per epoch ``offsets[e]`` to
    ``offsets[e + 1]`` of ``rows``, ``cols``, ``values``; a pair not kept reads as below
    :data:`FLOOR`, and as 0).

    Attributes:
        n_classes: ``C``.
        offsets: ``[E + 1]`` where each epoch's pairs start.
        rows, cols: ``[P]`` the pair's classes, ``rows < cols``, sorted within an epoch.
        values: ``[P]`` their mixing (0..1).
    """

    n_classes: int
    offsets: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    values: np.ndarray

    @classmethod
    def from_epochs(cls, n_classes: int, epochs: Sequence[Pairs]) -> PairMixing:
        """Keep what matters of each epoch's pairs (all of them, e.g. :func:`dense_pairs`)."""
        kept: list[Pairs] = []
        for pairs in epochs:
            kept.append(_select(n_classes, pairs, kept[-1] if kept else None))
        sizes = [len(p[2]) for p in kept]
        return cls(
            n_classes,
            np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64),
            np.concatenate([p[0] for p in kept] or [np.zeros(0)]).astype(np.int32),
            np.concatenate([p[1] for p in kept] or [np.zeros(0)]).astype(np.int32),
            np.concatenate([p[2] for p in kept] or [np.zeros(0)]).astype(np.float64),
        )

    @classmethod
    def from_dense(cls, mixing: np.ndarray) -> PairMixing:
        """From a whole ``[E, C, C]`` mixing (a version 1 story file, a hand-made story)."""
        M = np.asarray(mixing, np.float64)
        if M.ndim != 3 or M.shape[1] != M.shape[2]:
            raise ValueError(f"pair mixing must be [E, C, C], got shape {M.shape}")
        return cls.from_epochs(M.shape[1], [dense_pairs(m) for m in M])

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.offsets, self.rows, self.cols, self.values))

    def pairs(self, epoch_index: int) -> Pairs:
        """The kept pairs of one epoch (``-1``: the last)."""
        e = range(len(self))[epoch_index]
        s = slice(int(self.offsets[e]), int(self.offsets[e + 1]))
        return self.rows[s], self.cols[s], self.values[s]

    def value(self, epoch_index: int, a: int, b: int) -> float:
        """The mixing of classes ``a`` and ``b`` (0 when the pair is not kept)."""
        lo, hi = np.array([min(a, b)]), np.array([max(a, b)])
        return float(self.values_at(epoch_index, lo, hi)[0])

    def values_at(self, epoch_index: int, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """The mixing of the pairs ``rows[i] < cols[i]`` at one epoch (0 where not kept)."""
        have_rows, have_cols, values = self.pairs(epoch_index)
        code = have_rows.astype(np.int64) * self.n_classes + have_cols
        want = np.asarray(rows, np.int64) * self.n_classes + np.asarray(cols, np.int64)
        at = np.minimum(np.searchsorted(code, want), max(len(code) - 1, 0))
        found = (code[at] == want) if len(code) else np.zeros(len(want), bool)
        return np.where(found, values[at] if len(code) else 0.0, 0.0)

    def top_partners(self, epoch_index: int) -> tuple[np.ndarray, np.ndarray]:
        """``[C]`` each class's most mixed partner and that mixing, at one epoch."""
        return _top_partners(self.n_classes, self.pairs(epoch_index))

    def most_tangled(self, epoch_index: int = -1) -> tuple[int, int, float] | None:
        """The most tangled pair ``(i, j, mixing)``, ``i < j``, first by class on a tie."""
        if not len(self):
            return None
        rows, cols, values = self.pairs(epoch_index)
        if not len(values) or float(values.max()) <= 0:
            return None
        at = int(np.argmax(values))
        return int(rows[at]), int(cols[at]), float(values[at])

    def dense(self) -> np.ndarray:
        """``[E, C, C]`` with the pairs not kept as 0 (for a few classes only: ``C^2``)."""
        out = np.zeros((len(self), self.n_classes, self.n_classes))
        for e in range(len(self)):
            rows, cols, values = self.pairs(e)
            out[e, rows, cols] = values
            out[e, cols, rows] = values
        return out
