"""PCA of wide layers: the timeline's shared axes against scikit-learn's PCA, same data.

    PYTHONPATH=src python bench/bench_pca_wide.py

For each shape (points per epoch × features × epochs) of activations whose spectrum falls off
(feature scale 3/sqrt(k), as a trained layer's does), times ConvLens's ``pca`` embedder's axes
(`analyze/embed/_pca.py` picks the scatter, the Gram matrix or randomised subspace iteration by
shape), the full eigendecomposition of the ``[D, D]`` scatter it used before for every shape,
and scikit-learn's ``PCA(2)`` on all epochs stacked (the reference); reports the cosine between
our axes and scikit-learn's. The better of two runs each; one process; the machine's load
printed at the end.
"""

from __future__ import annotations

import os
import time

import numpy as np
from sklearn.decomposition import PCA

from convlens.analyze.embed import _pca

SHAPES = [(3, 4096, 1), (400, 4096, 5), (400, 1024, 30), (2000, 512, 10)]


def data(n: int, d: int, epochs: int) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    base = rng.standard_normal((n, d)) * (3 / np.sqrt(np.arange(1, d + 1)))
    return [
        (base + 0.1 * k + 0.05 * rng.standard_normal((n, d))).astype(np.float32)
        for k in range(epochs)
    ]


def full_scatter(epochs: list[np.ndarray], mean: np.ndarray) -> np.ndarray:
    d = mean.shape[0]
    scatter = np.zeros((d, d))
    for x in epochs:
        xc = x.astype(np.float64) - mean
        scatter += xc.T @ xc
    vals, vecs = np.linalg.eigh(scatter)
    return vecs[:, np.argsort(vals)[::-1][:2]]


def main() -> None:
    print(
        "| points × features × epochs | ConvLens | full [D, D] eigh (before) "
        "| scikit-learn PCA | cosine with scikit-learn |"
    )
    print("|---|---|---|---|---|")
    for n, d, e in SHAPES:
        X = data(n, d, e)
        stacked = np.concatenate(X).astype(np.float64)
        mean = stacked.mean(axis=0)
        ours, before = float("inf"), float("inf")
        for _ in range(2):  # the better of two: the first call pays for page faults
            t = time.perf_counter()
            _, axes = _pca._top_axes(X, mean, n * e, d)
            ours = min(ours, time.perf_counter() - t)
            t = time.perf_counter()
            full_scatter(X, mean)
            before = min(before, time.perf_counter() - t)
        t = time.perf_counter()
        ref = PCA(2, svd_solver="full" if n * e * d < 3e7 else "covariance_eigh").fit(stacked)
        sk = time.perf_counter() - t
        cos = np.abs(np.sum(axes.T * ref.components_, axis=1)).min()
        print(
            f"| {n} × {d} × {e} | {ours:.2f} s | {before:.2f} s | {sk:.2f} s | {cos:.6f} |",
            flush=True,
        )
    print(f"load average {os.getloadavg()[0]:.2f} at end")


if __name__ == "__main__":
    main()
