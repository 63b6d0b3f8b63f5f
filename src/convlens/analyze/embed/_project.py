"""One-off 2-D projections of a set of activations (one epoch): PCA, t-SNE, UMAP.

None of them compiles anything at first use, so the first projection in a fresh process is as
fast as the next: ``umap`` is ConvLens's own NumPy UMAP (``_fuzzy_graph`` + ``_umap_layout``, the
layout the timeline uses; umap-learn and its numba compilation are only the reference in the
tests), ``tsne`` is an exact NumPy t-SNE up to 1,000 points (``_tsne``; scikit-learn's Barnes-Hut
above). Each reports its real steps to ``report``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from convlens.core import Registry, UserInputError

from ._tsne import EXACT_UP_TO, tsne

PROJECTIONS = Registry("projection")

Report = Callable[[float, str], None]

# The projection's own UMAP: the same settings as umap-learn's defaults.
_UMAP_NEIGHBOURS = 15
_UMAP_PCA = 50
_UMAP_NEGATIVES_DRAWN = 15

# Below this many points scikit-learn's t-SNE runs on one thread: its OpenMP threads gain nothing
# there and, on a busy machine, slow it down many times (400 points: 68 s on 2 busy cores, 3.6 s
# on one).
_TSNE_THREADS_FROM = 20_000


def _quiet(progress: float, message: str) -> None:
    return None


def _principal_scores(X: np.ndarray, n: int) -> np.ndarray:
    """The top ``n`` principal scores of ``X`` in NumPy (no scikit-learn import: a fresh
    process answers at once), each axis' sign fixed so its largest score is positive."""
    xc = X.astype(np.float64) - X.mean(axis=0, dtype=np.float64)
    if xc.shape[1] <= 2048 and xc.shape[0] > xc.shape[1]:
        _, vecs = np.linalg.eigh(xc.T @ xc)  # one pass over many rows
        axes = vecs[:, ::-1][:, :n]
    else:
        _, _, vt = np.linalg.svd(xc, full_matrices=False)
        axes = vt[:n].T
    Y = xc @ axes
    signs = np.sign(Y[np.abs(Y).argmax(axis=0), range(Y.shape[1])])
    return (Y * np.where(signs == 0, 1, signs)).astype(np.float32)


@PROJECTIONS.register("pca", help="principal components: instant, keeps large distances")
def _pca(X: np.ndarray, random_state: int, report: Report = _quiet) -> np.ndarray:
    report(0.0, "finding the two main directions (PCA)")
    n = min(2, X.shape[0], X.shape[1])
    return np.pad(_principal_scores(X, n), ((0, 0), (0, 2 - n)))


_tsne_hook = threading.local()


def _hook_tsne_steps() -> None:
    """Let scikit-learn's t-SNE say how many optimisation steps it has done.

    Wraps its (private) gradient descent once: the objective it calls every step counts the
    steps for the callback set on this thread, if any. Without that function (another
    scikit-learn), t-SNE still works and reports its two phases only.
    """
    try:
        from sklearn.manifold import _t_sne
    except ImportError:  # pragma: no cover - a scikit-learn without the private module
        return
    inner = getattr(_t_sne, "_gradient_descent", None)
    if inner is None or getattr(inner, "_convlens_steps", False):
        return

    def counted(objective: Any, p0: Any, it: int, max_iter: int, *args: Any, **kw: Any) -> Any:
        callback = getattr(_tsne_hook, "callback", None)
        if callback is None:
            return inner(objective, p0, it, max_iter, *args, **kw)
        step = [it]

        def counting(p: Any, *a: Any, **k: Any) -> Any:
            if step[0] % 25 == 0:
                callback(step[0])
            step[0] += 1
            return objective(p, *a, **k)

        return inner(counting, p0, it, max_iter, *args, **kw)

    counted._convlens_steps = True  # type: ignore[attr-defined]
    _t_sne._gradient_descent = counted


@PROJECTIONS.register(
    "tsne", help="t-SNE: neighbourhoods (exact in NumPy up to 1,000 points, else scikit-learn's)"
)
def _tsne(X: np.ndarray, random_state: int, report: Report = _quiet) -> np.ndarray:
    perplexity = float(min(30.0, max(2.0, (len(X) - 1) / 3)))
    report(0.0, "measuring how alike the pictures are (t-SNE)")
    total = 1000

    def step(done: int) -> None:
        report(0.1 + 0.9 * done / total, f"t-SNE: step {done} of {total}")

    if len(X) <= EXACT_UP_TO:
        init = _principal_scores(X, min(2, X.shape[1]))
        return tsne(X, perplexity=perplexity, init=init, n_iter=total, on_step=step)
    from sklearn.manifold import TSNE

    est = TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=random_state)
    total = int(getattr(est, "max_iter", None) or total)
    _hook_tsne_steps()
    _tsne_hook.callback = step
    try:
        if len(X) >= _TSNE_THREADS_FROM:
            return est.fit_transform(X)
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1):
            return est.fit_transform(X)
    finally:
        _tsne_hook.callback = None


@PROJECTIONS.register("umap", help="UMAP (ConvLens's NumPy UMAP): neighbourhoods, a second or two")
def _umap(X: np.ndarray, random_state: int, report: Report = _quiet) -> np.ndarray:
    from ._aligned import _reduce
    from ._fuzzy_graph import edge_list, find_ab_params, fuzzy_graph
    from ._neighbours import nearest_neighbours
    from ._umap_layout import LayoutProblem, optimize_layout, pca_init

    n = len(X)
    rng = np.random.default_rng(random_state)
    seed = int(rng.integers(2**31 - 1))
    k = int(min(_UMAP_NEIGHBOURS, max(2, n - 1)))
    report(0.0, "finding each picture's nearest neighbours (UMAP)")
    reduced = _reduce(X, _UMAP_PCA, seed)
    idx, dist, _ = nearest_neighbours(reduced, k, seed=seed)
    n_iter = 500 if n <= 10_000 else 200
    head, tail, weight = edge_list(fuzzy_graph(idx, dist), n_iter)
    a, b = find_ab_params(1.0, 0.1)

    def step(done: int) -> None:
        report(0.2 + 0.8 * done / n_iter, f"UMAP: step {done} of {n_iter}")

    return optimize_layout(
        pca_init(_principal_scores(reduced, min(2, reduced.shape[1])), rng),
        LayoutProblem(head, tail, weight, n),
        n_iter=n_iter,
        a=a,
        b=b,
        rng=rng,
        n_negative=_UMAP_NEGATIVES_DRAWN,
        on_step=step,
    )


def project(
    X: np.ndarray,
    method: str = "pca",
    *,
    random_state: int = 0,
    report: Report | None = None,
) -> np.ndarray:
    """Project ``X [n, d]`` to ``[n, 2]`` with a registered method.

    ``report(fraction, message)`` hears the method's real steps (0 to 1); it may raise to stop
    the work.

    Raises:
        UserInputError: Unknown method, or fewer than 3 points.
    """
    X = np.asarray(X, dtype=np.float32)
    if X.ndim != 2 or len(X) < 3:
        raise UserInputError(f"a projection needs at least 3 points [n, d], got {list(X.shape)}")
    if method not in PROJECTIONS:
        raise UserInputError(
            f"unknown projection '{method}': choose one of {', '.join(PROJECTIONS.names())}"
        )
    Y = np.asarray(PROJECTIONS.get(method)(X, random_state, report or _quiet), dtype=np.float32)
    return np.nan_to_num(Y)
