"""Aligned 2-D embeddings of per-epoch activations (convlens.analyze embedders).

Stochastic layouts are checked by quality thresholds (trustworthiness, displacement), not by exact
numbers; the maths helpers (fuzzy graph, rotation) are checked exactly.
"""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import numpy as np
import pytest

import convlens.analyze as analyze
from convlens.analyze import EMBEDDERS, embedding_quality, make_embedder
from convlens.analyze.embed._umap_layout import rotate_onto
from convlens.core import MissingExtraError, UserInputError


@pytest.fixture(autouse=True)
def _quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONVLENS_QUIET", "1")


def drifting_clusters(
    n: int = 300, d: int = 32, epochs: int = 4, k: int = 5, seed: int = 0
) -> list[np.ndarray]:
    """Clusters (noisy 4-D patches in ``d`` dims) that separate and drift over the epochs."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, k, n)
    start = rng.normal(size=(k, d)) * 1.0
    end = rng.normal(size=(k, d)) * 3.0
    basis = rng.normal(size=(k, 4, d)) / 2.0
    z = rng.normal(size=(n, 4))
    out = []
    for e in range(epochs):
        t = e / max(epochs - 1, 1)
        centres = (1 - t) * start + t * end
        z = z + 0.1 * rng.normal(size=z.shape)
        x = centres[labels] + np.einsum("ni,nid->nd", z, basis[labels])
        out.append((x + 0.2 * rng.normal(size=(n, d))).astype(np.float32))
    return out


@pytest.fixture(scope="module")
def data() -> list[np.ndarray]:
    return drifting_clusters()


@pytest.fixture(scope="module")
def fitted(data: list[np.ndarray]) -> analyze.AlignedEmbedder:
    return make_embedder("aligned", random_state=0).fit(data)


# -- surface and registry ----------------------------------------------------------------------


def test_public_surface_is_pinned() -> None:
    assert set(analyze.__all__) == {
        "ATTRIBUTIONS",
        "ATTRIBUTION_METHODS",
        "CHANNEL_ORDER_NAMES",
        "has_weight_parameter",
        "BUNDLERS",
        "BundleOptions",
        "GraphBundler",
        "GraphLayer",
        "GraphLayout",
        "KDEBundler",
        "NetGraph",
        "StraightBundler",
        "network_graph",
        "CHANNEL_ORDERS",
        "EMBEDDERS",
        "IMPORTANCE",
        "PROJECTIONS",
        "AlignedEmbedder",
        "AlignedUMAPEmbedder",
        "Attribution",
        "BNGammaImportance",
        "ChannelOrder",
        "DeletionInsertion",
        "EdgeImportance",
        "EpochEmbedder",
        "GradCAM",
        "ImportanceResult",
        "IntegratedGradients",
        "LayerImportance",
        "LayerInfo",
        "Occlusion",
        "PCAEmbedder",
        "PruningCurves",
        "Saliency",
        "TaylorImportance",
        "UnitGraph",
        "UnitImportance",
        "WeightImportance",
        "deletion_insertion",
        "embedding_quality",
        "filter_gradient_norms",
        "last_conv_layer",
        "layer_outputs",
        "leaf_layers",
        "make_embedder",
        "order_channels",
        "project",
        "pruning_curves",
        "unit_graph",
    }


def test_registry_lists_the_three_methods_default_first() -> None:
    assert EMBEDDERS.names() == ["aligned", "aligned-umap", "pca"]
    assert all(EMBEDDERS.help(name) for name in EMBEDDERS.names())


def test_make_embedder_rejects_unknown_names_and_parameters() -> None:
    with pytest.raises(UserInputError, match="aligned-umap"):
        make_embedder("tsne")
    with pytest.raises(UserInputError, match="n_neighbours"):
        make_embedder("aligned", n_neighbours=15)
    with pytest.raises(UserInputError, match="it takes: random_state"):
        make_embedder("pca", n_neighbors=15)


def test_default_path_never_imports_umap_or_numba() -> None:
    code = (
        "import os, sys\n"
        "os.environ['CONVLENS_QUIET'] = '1'\n"
        "import numpy as np\n"
        "from convlens.analyze import make_embedder, embedding_quality\n"
        "rng = np.random.default_rng(0)\n"
        "X = [rng.normal(size=(60, 8)).astype(np.float32) for _ in range(2)]\n"
        "emb = make_embedder('aligned', random_state=0).fit(X)\n"
        "embedding_quality(X, emb.embedding_)\n"
        "make_embedder('pca').fit(X)\n"
        "print(sorted(m for m in ('umap', 'numba', 'pynndescent') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_umap_learn_is_an_extra_named_where_it_is_needed(monkeypatch: pytest.MonkeyPatch) -> None:
    """umap-learn's import site (aligned-umap) names convlens[umap]; the umap projection is
    ConvLens's own and needs no extra."""
    monkeypatch.setitem(sys.modules, "umap", None)  # `import umap` raises ImportError
    rng = np.random.default_rng(0)
    X = [rng.normal(size=(20, 4)).astype(np.float32) for _ in range(2)]
    with pytest.raises(MissingExtraError, match=r"pip install 'convlens\[umap\]'"):
        make_embedder("aligned-umap", random_state=0).fit(X)
    assert analyze.project(X[0], "umap").shape == (20, 2)
    assert make_embedder("aligned", random_state=0).fit(X).embedding_.shape == (2, 20, 2)


# -- the aligned method ------------------------------------------------------------------------


def test_aligned_shapes_and_dtype(fitted: analyze.AlignedEmbedder, data: list[np.ndarray]) -> None:
    assert fitted.embedding_.shape == (len(data), len(data[0]), 2)
    assert fitted.embedding_.dtype == np.float32
    assert np.isfinite(fitted.embedding_).all()


def test_aligned_keeps_neighbourhoods(
    fitted: analyze.AlignedEmbedder, data: list[np.ndarray]
) -> None:
    quality = embedding_quality(data, fitted.embedding_, n_neighbors=10)
    assert quality["trustworthiness"] >= 0.9
    assert quality["knn_preservation"] >= 0.4


def test_aligned_moves_less_than_independent_fits(
    fitted: analyze.AlignedEmbedder, data: list[np.ndarray]
) -> None:
    independent = np.stack(
        [
            make_embedder("aligned", random_state=e).fit([x]).embedding_[0]
            for e, x in enumerate(data)
        ]
    )
    steady = embedding_quality(data, fitted.embedding_)["displacement"]
    free = embedding_quality(data, independent)["displacement"]
    assert steady < 0.5 * free


def test_same_seed_same_result_other_seed_other_result(
    fitted: analyze.AlignedEmbedder, data: list[np.ndarray]
) -> None:
    again = make_embedder("aligned", random_state=0).fit(data).embedding_
    np.testing.assert_array_equal(again, fitted.embedding_)
    other = make_embedder("aligned", random_state=1).fit(data).embedding_
    assert not np.allclose(other, fitted.embedding_)


def test_fit_leaves_the_global_numpy_seed_alone(data: list[np.ndarray]) -> None:
    before = np.random.get_state()[1].copy()
    make_embedder("aligned", random_state=0, n_iter=20).fit(data[:2])
    np.testing.assert_array_equal(np.random.get_state()[1], before)


def test_partial_fit_matches_fit(fitted: analyze.AlignedEmbedder, data: list[np.ndarray]) -> None:
    live = make_embedder("aligned", random_state=0)
    for x in data:
        live.partial_fit(x)
    np.testing.assert_allclose(live.embedding_, fitted.embedding_, atol=1e-5)

    grown = make_embedder("aligned", random_state=0).fit(data[:-1])
    first_rows = grown.embedding_.copy()
    grown.partial_fit(data[-1])
    assert grown.embedding_.shape[0] == len(data)
    np.testing.assert_array_equal(grown.embedding_[:-1], first_rows)
    np.testing.assert_allclose(grown.embedding_, fitted.embedding_, atol=1e-5)


def test_float16_and_stacked_input(data: list[np.ndarray]) -> None:
    halves = np.stack(data[:2]).astype(np.float16)  # one [E, N, D] array, as stored in a run
    emb = make_embedder("aligned", random_state=0, n_iter=50).fit(halves)
    assert emb.embedding_.shape == (2, len(data[0]), 2)
    assert emb.embedding_.dtype == np.float32


def test_params_are_json_and_reproduce_an_unseeded_run(data: list[np.ndarray]) -> None:
    emb = make_embedder("aligned", n_iter=60).fit(data[:2])
    params = json.loads(json.dumps(emb.params_))
    assert params["method"] == "aligned"
    assert set(emb.get_params()) <= set(params)
    assert params["random_state"] is None
    again = make_embedder("aligned", n_iter=60, random_state=params["seed"]).fit(data[:2])
    np.testing.assert_array_equal(again.embedding_, emb.embedding_)


def test_a_mirror_image_is_rotated_never_reflected() -> None:
    rng = np.random.default_rng(0)
    reference = rng.normal(size=(50, 2)).astype(np.float32)
    mirrored = reference * np.array([-1.0, 1.0], dtype=np.float32) + 3.0
    aligned = rotate_onto(mirrored, reference)
    # A proper rotation keeps the mirror: distances are kept and the orientation stays flipped.
    np.testing.assert_allclose(
        np.linalg.norm(aligned - aligned.mean(0), axis=1),
        np.linalg.norm(mirrored - mirrored.mean(0), axis=1),
        rtol=1e-5,
    )
    assert not np.allclose(aligned, reference, atol=1e-3)
    theta = 0.7
    rot = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    turned = (reference @ rot.T + 5.0).astype(np.float32)
    np.testing.assert_allclose(rotate_onto(turned, reference), reference, atol=1e-4)


# -- PCA ---------------------------------------------------------------------------------------


def test_pca_shares_axes_and_is_deterministic(data: list[np.ndarray]) -> None:
    a = make_embedder("pca").fit(data)
    b = make_embedder("pca").fit(data)
    np.testing.assert_array_equal(a.embedding_, b.embedding_)
    assert a.embedding_.shape == (len(data), len(data[0]), 2)
    assert a.embedding_.dtype == np.float32
    loading = a.components_[np.arange(2), np.argmax(np.abs(a.components_), axis=1)]
    assert (loading > 0).all()
    json.dumps(a.params_)


def test_pca_partial_fit_projects_on_the_existing_axes(data: list[np.ndarray]) -> None:
    pca = make_embedder("pca").fit(data[:2])
    axes = pca.components_.copy()
    pca.partial_fit(data[2])
    np.testing.assert_array_equal(pca.components_, axes)
    expected = (data[2].astype(np.float64) - pca.mean_) @ axes.T
    np.testing.assert_allclose(pca.embedding_[2], expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    ("n", "d", "epochs"),
    [(40, 32, 3), (3, 4096, 1), (100, 1500, 3), (600, 1100, 4)],
    ids=["scatter", "gram: 3 pictures of a 4,096-wide layer", "gram", "subspace iteration"],
)
def test_pca_axes_equal_scikit_learns_on_every_route(n: int, d: int, epochs: int) -> None:
    """Few features: the whole scatter; few points: the Gram matrix; otherwise randomised
    subspace iteration. Each gives scikit-learn's axes and variances on activations whose
    spectrum falls off (a 4,096-wide layer's full eigendecomposition took 25-66 s)."""
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(3)
    base = rng.standard_normal((n, d)) * (3 / np.sqrt(np.arange(1, d + 1)))
    data = [
        (base + 0.1 * k + 0.05 * rng.standard_normal((n, d))).astype(np.float32)
        for k in range(epochs)
    ]
    ours = make_embedder("pca").fit(data)
    ref = PCA(2, svd_solver="full").fit(np.concatenate(data).astype(np.float64))
    cos = np.abs(np.sum(ours.components_ * ref.components_, axis=1))
    np.testing.assert_allclose(cos, 1.0, atol=1e-6)
    np.testing.assert_allclose(ours.explained_variance_, ref.explained_variance_, rtol=1e-6)
    again = make_embedder("pca").fit(data)
    np.testing.assert_array_equal(ours.embedding_, again.embedding_)


# -- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["aligned", "pca"])
def test_ragged_epochs_are_refused(name: str, data: list[np.ndarray]) -> None:
    with pytest.raises(UserInputError, match="epoch 1 has 299 points"):
        make_embedder(name).fit([data[0], data[1][:-1]])
    with pytest.raises(UserInputError, match="epoch 1 has 31 features"):
        make_embedder(name).fit([data[0], data[1][:, :-1]])


def test_bad_epochs_say_what_is_wrong(data: list[np.ndarray]) -> None:
    emb = make_embedder("aligned", n_neighbors=15)
    with pytest.raises(UserInputError, match="at least 17"):
        emb.fit([data[0][:16]])
    broken = data[1].copy()
    broken[3, 4] = np.nan
    with pytest.raises(UserInputError, match="epoch 1 contains NaN"):
        emb.fit([data[0], broken])
    with pytest.raises(UserInputError, match="2-D array"):
        emb.fit([data[0][:, :, None]])
    with pytest.raises(UserInputError, match="sequence of epochs"):
        emb.fit(data[0])
    with pytest.raises(UserInputError, match="no epochs"):
        emb.fit([])
    with pytest.raises(UserInputError, match="n_neighbors"):
        make_embedder("aligned", n_neighbors=1).fit(data)
    with pytest.raises(UserInputError, match="min_dist"):
        make_embedder("aligned", min_dist=-0.1).fit(data)
    with pytest.raises(UserInputError, match="random_state"):
        make_embedder("aligned", random_state="seven").fit(data)


def test_partial_fit_refuses_a_different_probe_set(fitted: analyze.AlignedEmbedder) -> None:
    live = make_embedder("aligned", random_state=0, n_iter=20)
    live.partial_fit(np.ones((40, 5), dtype=np.float32) + np.arange(40)[:, None])
    with pytest.raises(UserInputError, match="earlier epochs have 40"):
        live.partial_fit(np.zeros((41, 5), dtype=np.float32))


# -- quality measures --------------------------------------------------------------------------


def test_quality_of_a_perfect_still_layout() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(80, 2)).astype(np.float32)
    quality = embedding_quality([x, x], np.stack([x, x]), n_neighbors=5)
    assert quality == pytest.approx(
        {"trustworthiness": 1.0, "knn_preservation": 1.0, "displacement": 0.0}
    )


def test_displacement_ignores_shift_and_scale_but_not_motion() -> None:
    rng = np.random.default_rng(0)
    y = rng.normal(size=(80, 2)).astype(np.float32)
    X = [y, y]
    assert embedding_quality(X, np.stack([y, 3 * y + 7]))["displacement"] == pytest.approx(
        0.0, abs=1e-6
    )
    shuffled = y[rng.permutation(80)]
    assert embedding_quality(X, np.stack([y, shuffled]))["displacement"] > 0.5


def test_quality_refuses_mismatched_layouts(data: list[np.ndarray]) -> None:
    with pytest.raises(UserInputError, match="epochs"):
        embedding_quality(data, np.zeros((2, len(data[0]), 2)))


# -- umap-learn reference (slow: numba JIT) ----------------------------------------------------


@pytest.mark.slow
def test_fuzzy_graph_matches_umap() -> None:
    from umap.umap_ import find_ab_params as umap_ab
    from umap.umap_ import fuzzy_simplicial_set

    from convlens.analyze.embed._fuzzy_graph import find_ab_params, fuzzy_graph, knn

    x = drifting_clusters(n=200)[0]
    x[3] = x[4]  # a duplicate
    idx, dist = knn(x, 15)
    ours = fuzzy_graph(idx, dist)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs, _, _ = fuzzy_simplicial_set(
            x, 15, np.random.RandomState(0), "euclidean", knn_indices=idx, knn_dists=dist
        )
    assert abs(ours - theirs).max() < 1e-5
    assert find_ab_params(1.0, 0.1) == pytest.approx(umap_ab(1.0, 0.1))


@pytest.mark.slow
def test_aligned_is_as_trustworthy_as_aligned_umap(
    fitted: analyze.AlignedEmbedder, data: list[np.ndarray]
) -> None:
    reference = make_embedder("aligned-umap", random_state=0).fit(data)
    assert reference.embedding_.shape == fitted.embedding_.shape
    assert reference.embedding_.dtype == np.float32
    json.dumps(reference.params_)
    ours = embedding_quality(data, fitted.embedding_)
    theirs = embedding_quality(data, reference.embedding_)
    assert ours["trustworthiness"] >= 0.95 * theirs["trustworthiness"]
    assert ours["displacement"] <= 1.5 * theirs["displacement"]

    reference.partial_fit(data[0])
    assert reference.embedding_.shape[0] == len(data) + 1

    live = make_embedder("aligned-umap", random_state=0, n_epochs=30)
    live.partial_fit(data[0])  # one epoch: plain UMAP, since AlignedUMAP needs two
    live.partial_fit(data[1])
    assert live.embedding_.shape == (2, len(data[0]), 2)
