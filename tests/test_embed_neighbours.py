"""Nearest neighbours for the aligned embedding: exact below a size threshold, faiss IVF above."""

from __future__ import annotations

import numpy as np
import pytest

from convlens.analyze import make_embedder
from convlens.analyze.embed import _neighbours
from convlens.analyze.embed._fuzzy_graph import knn


@pytest.fixture(autouse=True)
def _quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONVLENS_QUIET", "1")


def _clusters(n: int = 1500, d: int = 20, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(8, d)) * 3.0
    return (centres[rng.integers(0, 8, n)] + rng.normal(size=(n, d))).astype(np.float32)


def _recall(approx: np.ndarray, exact: np.ndarray) -> float:
    both = np.sort(np.hstack([approx, exact]), axis=1)
    return float((both[:, 1:] == both[:, :-1]).sum(axis=1).mean() / exact.shape[1])


def test_exact_at_or_below_the_threshold_approximate_above() -> None:
    x = _clusters(300)
    idx, dist, method = _neighbours.nearest_neighbours(x, 10, approximate_above=300)
    assert method == "exact"
    want_idx, want_dist = knn(x, 10)
    np.testing.assert_array_equal(idx, want_idx)
    np.testing.assert_array_equal(dist, want_dist)
    assert _neighbours.nearest_neighbours(x, 10, approximate_above=299)[2] == "ivf"


def test_ivf_finds_nearly_the_exact_neighbours() -> None:
    x = _clusters()
    idx, dist, method = _neighbours.nearest_neighbours(x, 15, approximate_above=100)
    assert method == "ivf"
    exact_idx, exact_dist = knn(x, 15)
    assert idx.shape == (1500, 15) and idx.dtype == np.int64 and dist.dtype == np.float32
    np.testing.assert_array_equal(idx[:, 0], np.arange(1500))  # each point first, at 0
    np.testing.assert_array_equal(dist[:, 0], 0.0)
    assert (np.diff(dist, axis=1) >= 0).all()
    # the distances are true distances to the neighbours named
    true = np.linalg.norm(x[idx] - x[:, None, :], axis=2)
    np.testing.assert_allclose(dist, true, rtol=1e-4, atol=1e-4)
    assert _recall(idx[:, 1:], exact_idx[:, 1:]) >= 0.9
    # approximate distances are never shorter than the exact k-th
    assert (dist[:, -1] >= exact_dist[:, -1] - 1e-4).all()


def test_ivf_puts_a_point_first_even_among_duplicates() -> None:
    x = _clusters(400)
    x[200:220] = x[199]  # 21 identical points: more than k tie at distance 0
    idx, dist = _neighbours.ivf_knn(x, 10)
    np.testing.assert_array_equal(idx[:, 0], np.arange(400))
    assert (dist[199:220] == 0).all()
    assert all(len(set(row)) == 10 for row in idx)


def test_ivf_is_deterministic_whatever_the_threads() -> None:
    import faiss

    x = _clusters(4000)
    threads = faiss.omp_get_max_threads()
    a = _neighbours.ivf_knn(x, 15, seed=5)
    try:
        faiss.omp_set_num_threads(1 if threads > 1 else 2)
        b = _neighbours.ivf_knn(x, 15, seed=5)
    finally:
        faiss.omp_set_num_threads(threads)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_aligned_embedder_takes_the_approximate_path_above_the_threshold(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(1)
    base = _clusters(600, 32)
    epochs = [base + 0.1 * rng.normal(size=base.shape).astype(np.float32) for _ in range(3)]
    calls: list[str] = []
    real = _neighbours.ivf_knn

    def spy(x: np.ndarray, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        calls.append("ivf")
        return real(x, k, seed)

    monkeypatch.setattr(_neighbours, "ivf_knn", spy)
    exact = make_embedder("aligned", random_state=3, n_iter=100).fit(epochs)
    assert calls == [] and exact.params_["neighbour_search"] == "exact"

    monkeypatch.setattr(_neighbours, "APPROXIMATE_ABOVE", 500)
    first = make_embedder("aligned", random_state=3, n_iter=100).fit(epochs)
    assert calls == ["ivf"] * 3 and first.params_["neighbour_search"] == "ivf"
    again = make_embedder("aligned", random_state=3, n_iter=100).fit(epochs)
    np.testing.assert_array_equal(first.embedding_, again.embedding_)

    from convlens.analyze import embedding_quality

    q_approx = embedding_quality(epochs, first.embedding_)["trustworthiness"]
    q_exact = embedding_quality(epochs, exact.embedding_)["trustworthiness"]
    assert q_approx >= 0.97 * q_exact


def test_sampled_quality_equals_the_exact_scores_on_every_point() -> None:
    from sklearn.manifold import trustworthiness

    from convlens.analyze.embed._quality import knn_preservation, sampled_scores

    x = _clusters(400, 16)
    y = x[:, :2] + 0.5 * np.random.default_rng(2).normal(size=(400, 2))
    trust, kept = sampled_scores(x, y, 10, np.arange(400))
    assert trust == pytest.approx(trustworthiness(x, y, n_neighbors=10), abs=1e-6)
    assert kept == pytest.approx(knn_preservation(x, y, 10), abs=1e-9)
    # a sample of a quarter of the points estimates the same within a few thousandths
    some = np.sort(np.random.default_rng(0).choice(400, 100, replace=False))
    assert sampled_scores(x, y, 10, some)[0] == pytest.approx(trust, abs=0.02)


def test_quality_of_many_points_is_sampled_with_bounded_memory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from convlens.analyze import embedding_quality
    from convlens.analyze.embed import _quality

    monkeypatch.setattr(_quality, "_EXACT_UP_TO", 300)
    monkeypatch.setattr(_quality, "_SAMPLE", 200)

    def no_full_matrices(*args: object, **kwargs: object) -> None:
        raise AssertionError("scikit-learn's N x N trustworthiness was called")

    monkeypatch.setattr("sklearn.manifold.trustworthiness", no_full_matrices)
    x = _clusters(600, 16)
    good = embedding_quality([x], x[None, :, :2] * 1.0)
    noise = np.random.default_rng(0).normal(size=(1, 600, 2))
    bad = embedding_quality([x], noise)
    assert good["trustworthiness"] > bad["trustworthiness"] + 0.1
