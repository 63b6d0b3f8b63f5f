"""Projection view: the probe set placed in 2-D by what one layer sees.

A recorded layer is read from the run (no torch); any other layer runs the model.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from convlens.analyze import PROJECTIONS, project
from convlens.core import UserInputError
from convlens.store import Run

from ._common import check_layer, plural, to_unit
from ._inspect import Inspector
from ._timeline import few_text

_NAMES = {"pca": "PCA", "tsne": "t-SNE", "umap": "UMAP"}


def _stratified(labels: np.ndarray, max_points: int) -> np.ndarray:
    """At most ``max_points`` indices, the same share of every class, in ascending order."""
    if len(labels) <= max_points:
        return np.arange(len(labels))
    rng = np.random.default_rng(0)
    classes, counts = np.unique(labels, return_counts=True)
    quota = np.maximum(1, np.floor(counts * max_points / len(labels))).astype(int)
    picked = [
        rng.choice(np.flatnonzero(labels == c), size=min(q, n), replace=False)
        for c, q, n in zip(classes, quota, counts, strict=True)
    ]
    return np.sort(np.concatenate(picked))[:max_points]


def projection(
    insp: Inspector,
    run: Run,
    *,
    epoch: int | None,
    layer: str,
    method: str = "pca",
    max_points: int = 2000,
    report: Callable[[float, str], None] | None = None,
) -> dict[str, Any]:
    """The probe images placed in 2-D by what ``layer`` sees (sampled evenly per class).

    ``report(progress, message)`` hears how far it is (a background job's progress; it may
    raise to stop the work: nothing is stored).
    """
    say = report or (lambda progress, message: None)
    if method not in PROJECTIONS.names():
        raise UserInputError(
            f"unknown projection '{method[:40]}': choose one of {', '.join(PROJECTIONS.names())}"
        )
    if max_points < 10:
        raise UserInputError("max_points must be at least 10")
    say(0.02, f"reading what layer {layer} sees")
    labels = insp.probe(run)["labels"]
    if layer in run.layers and (epoch is None or epoch in run.epochs) and run.epochs:
        epoch = run.epochs[-1] if epoch is None else epoch
        feats = run.activations(epoch, layer)
    else:
        from ._explorer import probe_features  # runs the model: torch loads here

        loaded = insp.loaded_model(run, epoch)
        epoch = loaded.epoch
        check_layer(loaded.module, layer)
        say(0.1, f"running the model over the probe set up to layer {layer}")
        feats = probe_features(insp, run, epoch, layer)
    idx = _stratified(labels, max_points)
    x = feats[idx].reshape(len(idx), -1).astype(np.float32)
    asked = method
    if len(idx) < _FEWEST:  # one or two pictures: PCA's layout is exact, the others need more
        method = "pca"
    name = _NAMES.get(method, method)

    def step(fraction: float, message: str) -> None:  # the method's own steps: 40 % to 90 %
        say(0.4 + 0.5 * fraction, message)

    say(0.4, f"placing {plural(len(idx), 'picture')} with {name}")
    if len(idx) < _FEWEST:
        coords = np.nan_to_num(np.asarray(PROJECTIONS.get("pca")(x, 0, step), np.float32))
    else:
        coords = project(x, method, random_state=0, report=step)
    say(0.92, "finding each picture's nearest neighbours in the layer")
    near = layer_neighbours(x, NEIGHBOURS)
    quality = _quality(x, coords)
    stored = run.embedding(layer) if layer in run.layers else None
    stored_quality = (stored[1].get("quality") or None) if stored is not None else None
    return {
        "layer": layer,
        "epoch": epoch,
        "method": method,
        "coords": to_unit(coords),
        "indices": [int(i) for i in idx],
        "labels": [int(v) for v in labels[idx]],
        "n_total": len(labels),
        "n_shown": len(idx),
        "sampled": len(idx) < len(labels),
        "neighbours": near,
        "quality": quality,
        "stored_quality": _plain_quality(stored_quality),
        "quality_text": quality_text(quality, method),
        "explanation": projection_text(run, layer, method, len(idx), len(labels))
        + _fallback_text(asked, len(idx)),
    }


_FEWEST = 3  # the fewest pictures ``project`` lays out (PCA alone is exact below)


def _fallback_text(asked: str, n: int) -> str:
    """The note for a projection of one or two pictures: which method placed them, and why."""
    if n >= _FEWEST:
        return ""
    instead = (
        f" {_NAMES.get(asked, asked)} needs at least three pictures, so PCA placed them instead."
        if asked != "pca"
        else ""
    )
    return instead + few_text(n)


NEIGHBOURS = 8
_QUALITY_K = 10
_QUALITY_ROWS = 1_000


def layer_neighbours(x: np.ndarray, k: int) -> np.ndarray:
    """Each row's ``k`` nearest other rows of ``x`` in the layer's own space (not in 2-D), as
    positions into ``x``, nearest first: ``int32 [n, min(k, n - 1)]``."""
    from convlens.analyze.embed._neighbours import nearest_neighbours

    k = min(k, len(x) - 1)
    idx, _, _ = nearest_neighbours(x, k + 1)
    rows = np.arange(len(x))[:, None]
    keep = idx != rows  # drop the point itself wherever a tie put it
    out = np.array([r[m][:k] for r, m in zip(idx, keep, strict=True)])
    return out.astype(np.int32)


def _quality(x: np.ndarray, coords: np.ndarray) -> dict[str, float] | None:
    """How faithful this 2-D layout is to the layer: trustworthiness and k-NN preservation,
    exact up to 1,000 points, else estimated on 1,000 of them (NumPy only: no scikit-learn
    import in a fresh worker)."""
    from convlens.analyze.embed._quality import sampled_scores

    n = len(x)
    k = min(_QUALITY_K, (n - 1) // 2)
    if k < 1:
        return None
    rows = (
        np.arange(n)
        if n <= _QUALITY_ROWS
        else np.sort(np.random.default_rng(0).choice(n, _QUALITY_ROWS, replace=False))
    )
    trust, kept = sampled_scores(x, coords, k, rows)
    return {"trustworthiness": trust, "knn_preservation": kept, "k": float(k)}


def _plain_quality(q: dict[str, Any] | None) -> dict[str, float] | None:
    if not q:
        return None
    keys = ("trustworthiness", "knn_preservation", "displacement")
    return {k: float(q[k]) for k in keys if isinstance(q.get(k), (int, float))} or None


def quality_text(quality: dict[str, float] | None, method: str) -> str:
    """Two plain sentences on what the layout's quality figures mean."""
    if not quality:
        return "There are too few pictures to say how faithful this map is."
    k = int(quality["k"])
    kept = round(quality["knn_preservation"] * k)
    verdict = (
        "Dots near each other here are alike in the layer too."
        if quality["trustworthiness"] >= 0.9
        else "Some dots near each other here are not alike in the layer."
    )
    return (
        f"Of the {plural(k, 'picture')} most like each one in the layer, about {kept} "
        f"{'is' if kept == 1 else 'are'} near it on this map. {verdict}"
    )


def projection_text(run: Run, layer: str, method: str, n_shown: int, n_total: int) -> str:
    shown = (
        f"It shows {n_shown} of {plural(n_total, 'picture')}, the same share of each kind."
        if n_shown < n_total
        else f"It shows all {plural(n_total, 'picture')}."
    )
    name = _NAMES.get(method, method)
    return (
        f"Each dot is a picture, placed by what layer {layer} sees in it. {name} squeezes "
        f"many numbers down to two, so alike pictures land close. {shown}"
    )
