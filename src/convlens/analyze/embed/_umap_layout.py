"""UMAP's layout optimisation as vectorised NumPy, with an optional anchor to a previous layout.

umap-learn walks the edges one by one in numba. Here every step moves all points at once: each
edge pulls its two ends with its expected per-step force (weight times umap's attractive
gradient, clipped as umap clips), and each point is pushed away from a few points drawn at random,
scaled to the number of negative samples umap would draw for it. The learning rate decays
linearly to zero as in umap. An anchor term ``lambda * (y - y_prev)`` keeps a later epoch close to
the layout of the epoch before, the way AlignedUMAP's regulariser does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

_CLIP = 4.0


@dataclass(frozen=True)
class LayoutProblem:
    """One epoch's graph, ready to optimise.

    Attributes:
        head: First end of each undirected edge.
        tail: Second end of each undirected edge.
        weight: Edge weight, largest 1.
        n_points: Number of points.
    """

    head: np.ndarray
    tail: np.ndarray
    weight: np.ndarray
    n_points: int


def optimize_layout(
    y: np.ndarray,
    problem: LayoutProblem,
    *,
    n_iter: int,
    a: float,
    b: float,
    rng: np.random.Generator,
    learning_rate: float = 1.0,
    negative_sample_rate: float = 5.0,
    n_negative: int = 5,
    anchor: np.ndarray | None = None,
    anchor_weight: float = 0.0,
    on_step: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Minimise UMAP's fuzzy cross-entropy from the start layout ``y``.

    Args:
        y: Start layout ``[N, 2]`` (copied, not changed).
        problem: The graph.
        n_iter: Optimisation steps.
        a: Curve parameter from ``find_ab_params``.
        b: Curve parameter from ``find_ab_params``.
        rng: Source of the negative samples.
        learning_rate: Step size at the first step; decays linearly to zero.
        negative_sample_rate: Negative samples per edge sample, as in umap.
        n_negative: Points actually drawn per point and step (their push is rescaled).
        anchor: Layout ``[N, 2]`` to stay close to, or ``None``.
        anchor_weight: Strength of the pull toward ``anchor``.
        on_step: Called with the number of steps done, every 25 steps (progress; it may raise
            to stop the work).

    Returns:
        The optimised layout, float32 ``[N, 2]``.
    """
    n = problem.n_points
    head, tail, w = problem.head, problem.tail, problem.weight
    # Points are complex numbers x + iy: every array is then 1-D or 2-D and contiguous, which
    # NumPy handles several times faster than arrays whose last axis has length 2.
    z = np.ascontiguousarray(y, dtype=np.float32).view(np.complex64)[:, 0].copy()
    w2 = (2.0 * w).astype(np.float32)  # each undirected edge is sampled both ways in umap
    degree = np.bincount(head, weights=w, minlength=n) + np.bincount(tail, weights=w, minlength=n)
    neg_scale = (negative_sample_rate * degree / n_negative).astype(np.float32)
    a32, b32 = np.float32(a), np.float32(b)
    one = np.float32(1.0)
    att_c = np.float32(-2.0 * a * b)
    rep_c = np.float32(2.0 * b)
    use_anchor = anchor is not None and anchor_weight > 0
    if use_anchor:
        z_anchor = np.ascontiguousarray(anchor, dtype=np.float32).view(np.complex64)[:, 0]
        lam = np.float32(anchor_weight)

    for it in range(n_iter):
        if on_step is not None and it % 25 == 0:
            on_step(it)
        alpha = np.float32(learning_rate * (1.0 - it / n_iter))

        # Attraction along edges.
        diff = np.take(z, head)
        diff -= np.take(z, tail)
        d2 = diff.real * diff.real + diff.imag * diff.imag
        np.maximum(d2, np.float32(1e-12), out=d2)
        d2b = np.exp(b32 * np.log(d2))
        coef = att_c * (d2b / d2) / (one + a32 * d2b)
        diff *= coef
        flat = diff.view(np.float32)
        np.clip(flat, -_CLIP, _CLIP, out=flat)
        diff *= w2
        grad = (
            np.bincount(head, weights=diff.real, minlength=n)
            - np.bincount(tail, weights=diff.real, minlength=n)
        ) + 1j * (
            np.bincount(head, weights=diff.imag, minlength=n)
            - np.bincount(tail, weights=diff.imag, minlength=n)
        )

        # Repulsion from random points.
        other = rng.integers(0, n, size=(n, n_negative))
        diff_n = z[:, None] - np.take(z, other)
        d2n = diff_n.real * diff_n.real + diff_n.imag * diff_n.imag
        zero = d2n <= 0
        np.maximum(d2n, np.float32(1e-12), out=d2n)
        coef_n = rep_c / ((np.float32(0.001) + d2n) * (one + a32 * np.exp(b32 * np.log(d2n))))
        coef_n[zero] = 0.0
        diff_n *= coef_n
        flat = diff_n.view(np.float32)
        np.clip(flat, -_CLIP, _CLIP, out=flat)
        grad += diff_n.sum(axis=1) * neg_scale

        if use_anchor:
            grad -= lam * (z - z_anchor)
        z += (alpha * grad).astype(np.complex64)
    return z.view(np.float32).reshape(n, 2).copy()


def pca_init(x_reduced: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """umap's PCA start: the first two principal scores scaled to a 10-wide box, plus tiny noise.

    Args:
        x_reduced: Centred data whose first two columns are the top principal scores.
        rng: Source of the noise.
    """
    y = np.array(x_reduced[:, :2], dtype=np.float64)
    if y.shape[1] < 2:
        y = np.hstack([y, np.zeros((len(y), 2 - y.shape[1]))])
    span = np.abs(y).max()
    y = y * (10.0 / span) if span > 0 else y
    y += rng.normal(scale=1e-4, size=y.shape)
    return y.astype(np.float32)


def rotate_onto(y: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Rigidly move ``y`` onto ``reference``: translation and a proper rotation, never a mirror.

    The rotation is the orthogonal Procrustes solution restricted to determinant +1 (Kabsch), so
    a layout is never flipped between frames; no scaling, so spread keeps its meaning.
    """
    mu_y = y.mean(axis=0)
    mu_r = reference.mean(axis=0)
    yc = (y - mu_y).astype(np.float64)
    rc = (reference - mu_r).astype(np.float64)
    u, _, vt = np.linalg.svd(yc.T @ rc)
    d = np.sign(np.linalg.det(u @ vt)) or 1.0
    rot = u @ np.diag([1.0, d]) @ vt
    return (yc @ rot + mu_r).astype(np.float32)
