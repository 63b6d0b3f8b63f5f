"""Exact t-SNE in NumPy for small point sets (no scikit-learn import: a fresh process answers
at once).

It follows scikit-learn's ``TSNE(method="exact", init="pca", learning_rate="auto")`` step by
step: squared Euclidean affinities calibrated to the perplexity by bisection, 250 steps of early
exaggeration (12) at momentum 0.5, then momentum 0.8, with the same adaptive gains. Every step
costs ``O(n^2)``, so it serves up to ``EXACT_UP_TO`` points; above, scikit-learn's Barnes-Hut
t-SNE does.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

EXACT_UP_TO = 1_000
_EXAGGERATION = 12.0
_EXPLORATION_STEPS = 250
_MIN_GAIN = 0.01


def _affinities(x: np.ndarray, perplexity: float) -> np.ndarray:
    """Symmetric joint probabilities ``P`` whose rows each have the given perplexity."""
    x = x.astype(np.float64)
    sq = np.einsum("ij,ij->i", x, x)
    d = np.maximum(sq[:, None] - 2.0 * (x @ x.T) + sq[None, :], 0.0)
    n = len(x)
    np.fill_diagonal(d, np.inf)
    target = np.log(perplexity)
    lo = np.full(n, -np.inf)
    hi = np.full(n, np.inf)
    beta = np.ones(n)
    for _ in range(100):  # bisection on each row's precision, all rows at once
        p = np.exp(-(d - d.min(axis=1, keepdims=True)) * beta[:, None])
        total = p.sum(axis=1, keepdims=True)
        p /= total
        shifted = np.where(np.isinf(d), 0.0, d - d.min(axis=1, keepdims=True))
        entropy = np.log(total[:, 0]) + beta * (p * shifted).sum(axis=1)
        too_flat = entropy > target
        lo = np.where(too_flat, beta, lo)
        hi = np.where(too_flat, hi, beta)
        halfway = np.where(np.isinf(lo), beta / 2.0, (lo + hi) / 2)
        beta = np.where(np.isinf(hi), beta * 2.0, halfway)
        if np.abs(entropy - target).max() < 1e-5:
            break
    joint = (p + p.T) / (2.0 * n)
    return np.maximum(joint, np.finfo(np.float64).eps)


def tsne(
    x: np.ndarray,
    *,
    perplexity: float,
    init: np.ndarray,
    n_iter: int = 1000,
    on_step: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Lay ``x [n, d]`` out in 2-D from ``init [n, 2]`` (scaled as scikit-learn scales its PCA
    start); ``on_step(done)`` hears every 25th step."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):  # small products: threads only cost
        return _optimise(x, perplexity, init, n_iter, on_step)


def _optimise(
    x: np.ndarray,
    perplexity: float,
    init: np.ndarray,
    n_iter: int,
    on_step: Callable[[int], None] | None,
) -> np.ndarray:
    n = len(x)
    p = _affinities(x, perplexity).astype(np.float32)
    p_big = p * np.float32(_EXAGGERATION)
    y = init.astype(np.float64)
    y = y / (np.std(y[:, 0]) or 1.0) * 1e-4
    learning_rate = max(n / _EXAGGERATION / 4.0, 50.0)
    update = np.zeros_like(y)
    gains = np.ones_like(y)
    tiny = np.float32(np.finfo(np.float32).tiny)
    q_raw = np.empty((n, n), np.float32)
    diag = np.arange(n)
    for it in range(n_iter):
        if on_step is not None and it % 25 == 0:
            on_step(it)
        exploring = it < _EXPLORATION_STEPS
        momentum = 0.5 if exploring else 0.8
        y32 = y.astype(np.float32)
        sq = np.einsum("ij,ij->i", y32, y32)
        np.matmul(y32, y32.T, out=q_raw)  # q_raw = 1 / (1 + |y_i - y_j|^2), in place
        q_raw *= -2.0
        q_raw += sq[:, None]
        q_raw += sq[None, :]
        np.maximum(q_raw, 0.0, out=q_raw)
        q_raw += 1.0
        np.reciprocal(q_raw, out=q_raw)
        q_raw[diag, diag] = 0.0
        scale = np.float32(1.0 / q_raw.sum())
        pq = (p_big if exploring else p) - np.maximum(q_raw * scale, tiny)
        pq *= q_raw
        grad = 4.0 * (pq.sum(axis=1, dtype=np.float64)[:, None] * y - (pq @ y32))
        grows = update * grad < 0.0
        gains = np.where(grows, gains + 0.2, gains * 0.8)
        np.clip(gains, _MIN_GAIN, None, out=gains)
        update = momentum * update - learning_rate * gains * grad
        y += update
    return y.astype(np.float32)
