"""The one-off projections (PCA, t-SNE, UMAP): no compiling at first use, and ConvLens's own
UMAP as faithful as umap-learn's (the reference)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from convlens.analyze import embedding_quality, project


def _digits(n: int = 400) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits  # shipped with scikit-learn: no download

    x, y = load_digits(return_X_y=True)
    return x[:n].astype(np.float32), y[:n]


def test_projections_of_small_sets_import_neither_numba_nor_scikit_learn() -> None:
    """The cold path: a fresh process projects without umap-learn's numba compilation and
    without scikit-learn's seconds-long import."""
    code = (
        "import sys\n"
        "import numpy as np\n"
        "from convlens.analyze import project\n"
        "x = np.random.default_rng(0).normal(size=(120, 20)).astype(np.float32)\n"
        "for m in ('pca', 'umap', 'tsne'):\n"
        "    assert project(x, m).shape == (120, 2)\n"
        "print(sorted(m for m in ('umap', 'numba', 'pynndescent', 'sklearn') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_each_projection_reports_rising_progress_and_keeps_neighbourhoods() -> None:
    x, _ = _digits(200)
    for method in ("pca", "umap", "tsne"):
        heard: list[float] = []
        y = project(x, method, random_state=0, report=lambda p, m, h=heard: h.append(p))
        assert y.shape == (200, 2) and np.isfinite(y).all()
        assert heard and heard == sorted(heard) and heard[-1] <= 1.0, (method, heard)
        if method != "pca":  # the optimisation's own steps, not one jump
            assert len(heard) >= 5, (method, heard)
            trust = embedding_quality([x], y[None], n_neighbors=10)["trustworthiness"]
            assert trust > 0.95, (method, trust)


@pytest.mark.slow
def test_the_own_umap_is_as_trustworthy_as_umap_learn() -> None:
    """umap-learn is the reference: on 400 digits the projection's own UMAP keeps at least
    98 % of its trustworthiness (both near 0.99 here) and 90 % of its k-NN preservation."""
    umap = pytest.importorskip("umap")
    x, _ = _digits(400)
    ours = embedding_quality([x], project(x, "umap", random_state=0)[None], n_neighbors=10)
    ref_y = umap.UMAP(n_neighbors=15, random_state=0, n_jobs=1).fit_transform(x)
    ref = embedding_quality([x], np.asarray(ref_y)[None], n_neighbors=10)
    assert ours["trustworthiness"] >= 0.98 * ref["trustworthiness"], (ours, ref)
    assert ours["knn_preservation"] >= 0.9 * ref["knn_preservation"], (ours, ref)


def test_the_numpy_tsne_is_as_trustworthy_as_scikit_learns() -> None:
    """scikit-learn's t-SNE is the reference for the exact NumPy one (up to 1,000 points)."""
    from sklearn.manifold import TSNE

    x, _ = _digits(300)
    ours = embedding_quality([x], project(x, "tsne", random_state=0)[None], n_neighbors=10)
    ref_y = TSNE(perplexity=30, init="pca", random_state=0).fit_transform(x)
    ref = embedding_quality([x], ref_y[None], n_neighbors=10)
    assert ours["trustworthiness"] >= 0.99 * ref["trustworthiness"], (ours, ref)
    assert ours["knn_preservation"] >= 0.9 * ref["knn_preservation"], (ours, ref)
