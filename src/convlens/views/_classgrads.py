"""Class-gradient view: which filters a class score depends on, for three classes."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from convlens.analyze import filter_gradient_norms
from convlens.core import UnavailableError
from convlens.pipelines import LoadedModel
from convlens.store import Run

from ._common import check_layer, pct, softmax
from ._inspect import Inspector


def _probe_probs(insp: Inspector, run: Run, loaded: LoadedModel) -> np.ndarray:
    if loaded.epoch in run.epochs:
        return softmax(run.outputs(loaded.epoch)["logits"].astype(np.float64))
    x = insp.probe_tensor(run)
    with loaded.lock, torch.no_grad():
        return torch.softmax(loaded.module(x).double(), 1).numpy()


def classgrads(
    insp: Inspector,
    run: Run,
    *,
    epoch: int | None,
    layer: str,
    reference: int | str | None = None,
    max_images: int = 16,
) -> dict[str, Any]:
    """Per-filter gradient norms for the reference, the most similar and a dissimilar class."""
    loaded = insp.loaded_model(run, epoch)
    module = check_layer(loaded.module, layer)
    labels = insp.probe(run)["labels"]
    probs = _probe_probs(insp, run, loaded)
    ref = insp.class_index(run, reference, int(np.bincount(labels).argmax()))
    n_classes = len(run.classes)
    if n_classes < 3:
        raise UnavailableError("class gradients compare three classes; this run has fewer")
    # similar: the class the reference is mixed up with most (probability mass both ways)
    mass = np.zeros(n_classes)
    for c in range(n_classes):
        if (labels == ref).any():
            mass[c] += probs[labels == ref, c].mean()
        if (labels == c).any():
            mass[c] += probs[labels == c, ref].mean()
    mass[ref] = -np.inf
    similar = int(mass.argmax())
    mass[similar] = -np.inf
    mass[ref] = np.inf
    dissimilar = int(np.where(np.isfinite(mass), mass, np.inf).argmin())
    x_all = insp.probe_tensor(run)
    groups = []
    for role, c in (("reference", ref), ("similar", similar), ("dissimilar", dissimilar)):
        idx = np.flatnonzero(labels == c)[:max_images]
        if len(idx) == 0:
            raise UnavailableError(
                f"the probe set has no images of class {run.classes[c]}: pick another reference"
            )
        with loaded.lock:
            norms = filter_gradient_norms(loaded.module, layer, x_all[idx], c)
        groups.append(
            {
                "role": role,
                "class": c,
                "name": run.classes[c],
                "n_images": len(idx),
                "norms": [float(v) for v in norms.mean(axis=0)],
            }
        )
    return {
        "layer": layer,
        "epoch": loaded.epoch,
        "groups": groups,
        "explanation": classgrads_text(layer, type(module).__name__, groups),
    }


def classgrads_text(layer: str, kind: str, groups: list[dict[str, Any]]) -> str:
    ref, sim, dis = (g["name"] for g in groups)
    a, b, c = (np.asarray(g["norms"], dtype=np.float64) for g in groups)
    live = (a > 0) | (b > 0) | (c > 0)
    n_live = int(live.sum())

    def top(u: np.ndarray) -> set[int]:
        k = max(1, n_live // 4)
        return {int(i) for i in np.argsort(-u, kind="stable")[:k] if u[i] > 0}

    def overlap(u: np.ndarray, v: np.ndarray) -> str:
        tu, tv = top(u), top(v)
        return pct(len(tu & tv) / max(1, min(len(tu), len(tv))))

    s = (
        f"Each bar is one filter of layer {layer}. A tall bar means the filter matters for that "
        f"answer. {ref} and {sim} are often mixed up; {overlap(a, b)} of their top filters are "
        f"the same. {ref} and {dis} share {overlap(a, c)}."
    )
    if n_live < len(a):
        s += (
            f" Only {n_live} of {len(a)} filters matter at all here. The rest never fire for "
            "these pictures."
        )
    return s
