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
    say(0.4, f"placing {len(idx)} pictures with {_NAMES.get(method, method)}")
    coords = project(feats[idx].astype(np.float32), method, random_state=0)
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
        "explanation": projection_text(run, layer, method, len(idx), len(labels)),
    }


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
