"""One-off 2-D projections of a set of activations (one epoch): PCA, t-SNE, UMAP."""

from __future__ import annotations

import numpy as np

from convlens.core import Registry, UserInputError, missing_extra

PROJECTIONS = Registry("projection")


@PROJECTIONS.register("pca", help="principal components: instant, keeps large distances")
def _pca(X: np.ndarray, random_state: int) -> np.ndarray:
    from sklearn.decomposition import PCA

    n = min(2, X.shape[0], X.shape[1])
    Y = PCA(n_components=n, random_state=random_state).fit_transform(X)
    signs = np.sign(Y[np.abs(Y).argmax(axis=0), range(n)])  # fix each axis' sign
    Y = Y * np.where(signs == 0, 1, signs)
    return np.pad(Y, ((0, 0), (0, 2 - n)))


@PROJECTIONS.register("tsne", help="t-SNE (scikit-learn): neighbourhoods, slower")
def _tsne(X: np.ndarray, random_state: int) -> np.ndarray:
    from sklearn.manifold import TSNE

    perplexity = float(min(30.0, max(2.0, (len(X) - 1) / 3)))
    return TSNE(
        n_components=2, perplexity=perplexity, init="pca", random_state=random_state
    ).fit_transform(X)


@PROJECTIONS.register("umap", help="UMAP (umap-learn): neighbourhoods and some global shape")
def _umap(X: np.ndarray, random_state: int) -> np.ndarray:
    try:
        import umap
    except ImportError:  # umap-learn is the optional extra convlens[umap]
        raise missing_extra("umap", "umap") from None

    n_neighbors = int(min(15, max(2, len(X) - 1)))
    est = umap.UMAP(n_neighbors=n_neighbors, random_state=random_state, n_jobs=1)
    return est.fit_transform(X)


def project(X: np.ndarray, method: str = "pca", *, random_state: int = 0) -> np.ndarray:
    """Project ``X [n, d]`` to ``[n, 2]`` with a registered method.

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
    Y = np.asarray(PROJECTIONS.get(method)(X, random_state), dtype=np.float32)
    return np.nan_to_num(Y)
