"""Class-gradient view: which filters a class score depends on, for three classes (two for a
two-class model)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from convlens.analyze import filter_gradient_norms
from convlens.core import UnavailableError
from convlens.pipelines import LoadedModel
from convlens.store import Run

from ._common import cap, check_layer, pct, plural, softmax
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
    probs = _probe_probs(insp, run, loaded)
    labels, by_answer = _groups(insp.probe(run)["labels"], probs)
    present = [int(c) for c in np.unique(labels) if c >= 0]
    binary = probs.shape[1] == 2  # a yes/no model: its other class is the one to compare
    few = len(present) < (2 if binary else 3)  # e.g. an ImageNet model on two photos
    if probs.shape[1] < 2:
        raise UnavailableError(
            "class gradients compare classes, and this model gives a single score"
        )
    ref = insp.class_index(run, reference, int(np.bincount(labels[labels >= 0]).argmax()))
    if ref not in present:
        names = ", ".join(run.classes[c] for c in present[:20])
        raise UnavailableError(
            f"the probe set has no pictures of class {run.classes[ref]}: pick one it holds "
            f"({names}{' ...' if len(present) > 20 else ''})"
        )
    dissimilar: int | None
    if binary:
        similar, dissimilar = 1 - ref, None
    elif few:
        similar, dissimilar = pick_by_answers(probs[labels == ref], ref)
    else:
        similar, dissimilar = pick_classes(probs, labels, ref, present)
    roles = [("reference", ref), ("similar", similar)]
    if dissimilar is not None:
        roles.append(("dissimilar", dissimilar))
    groups = []
    for role, c in roles:
        # too few kinds in the probe set: every class's score is taken on the reference pictures
        idx = np.flatnonzero(labels == (ref if few else c))[:max_images]
        if len(idx) == 0:
            raise UnavailableError(
                f"the probe set has no images of class {run.classes[c]}: pick another reference"
            )
        x = insp.probe_tensor(run, idx)
        with loaded.lock:
            norms = filter_gradient_norms(loaded.module, layer, x, c)
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
        "labelled": not by_answer,
        "explanation": classgrads_text(layer, type(module).__name__, groups, by_answer)
        + (
            (_FEW_ANSWERS if by_answer else _FEW).format(
                kinds=plural(len(present), "kind"), ref=run.classes[ref]
            )
            if few and not binary
            else ""
        )
        + (_BINARY.format(other=run.classes[similar]) if binary else ""),
    }


def _groups(labels: np.ndarray, probs: np.ndarray) -> tuple[np.ndarray, bool]:
    """Each probe picture's class: its label, or, for an unlabelled probe set (a flat folder of
    pictures), the network's answer (and ``True`` to say so)."""
    labels = np.asarray(labels, np.int64)
    if (labels >= 0).any():
        return labels, False
    return probs.argmax(1).astype(np.int64), True


_FEW = (
    " The probe set holds pictures of only {kinds}, so the other two classes are the "
    "network's most and least likely answers for the {ref} pictures, and all three use them."
)
_BINARY = " The model has two classes, so {other} is the only class to compare with."
_FEW_ANSWERS = (
    " Its answers for these pictures name only {kinds}, so the other two classes are its most "
    "and least likely other answers for the pictures it calls {ref}, and all three use them."
)


def pick_by_answers(probs: np.ndarray, ref: int) -> tuple[int, int]:
    """The similar and dissimilar class for ``ref`` from the answers on its own pictures: the
    most and the least probable other class (any number of classes, no other pictures needed)."""
    mean = probs.mean(axis=0).copy()
    mean[ref] = np.nan
    return int(np.nanargmax(mean)), int(np.nanargmin(mean))


def pick_classes(
    probs: np.ndarray, labels: np.ndarray, ref: int, present: list[int]
) -> tuple[int, int]:
    """The similar and the dissimilar class for ``ref``, among the classes the probe set holds.

    Similar: the class the reference is most mixed up with, probability mass both ways (the
    mean probability of class c on pictures of ``ref``, plus that of ``ref`` on pictures of
    c); dissimilar: the least. Only classes with probe pictures compete, so a model with 1,000
    classes compares classes the pictures show (and any number of classes works).
    """
    others = np.asarray([c for c in present if c != ref], np.int64)
    on_ref = probs[labels == ref][:, others].mean(axis=0)
    ref_on = np.asarray([probs[labels == c, ref].mean() for c in others])
    mass = on_ref + ref_on
    order = np.argsort(-mass, kind="stable")
    return int(others[order[0]]), int(others[order[-1]])


def classgrads_text(
    layer: str, kind: str, groups: list[dict[str, Any]], by_answer: bool = False
) -> str:
    ref, sim = groups[0]["name"], groups[1]["name"]
    a, b = (np.asarray(g["norms"], dtype=np.float64) for g in groups[:2])
    live = (a > 0) | (b > 0)
    for g in groups[2:]:
        live |= np.asarray(g["norms"], dtype=np.float64) > 0
    n_live = int(live.sum())

    def top(u: np.ndarray) -> set[int]:
        k = max(1, n_live // 4)
        return {int(i) for i in np.argsort(-u, kind="stable")[:k] if u[i] > 0}

    def overlap(u: np.ndarray, v: np.ndarray) -> str:
        tu, tv = top(u), top(v)
        return pct(len(tu & tv) / max(1, min(len(tu), len(tv))))

    # without labels the pair comes from the network's own answers: nothing says it is wrong
    pair = (
        f"The network's answers for these pictures are often split between {ref} and {sim}"
        if by_answer
        else f"{cap(ref)} and {sim} are often mixed up"
        if len(groups) > 2
        else f"Compare {ref} with {sim}"  # a two-class model: nothing says they are mixed up
    )
    s = (
        (
            "The probe pictures have no labels, so each is counted under the network's own answer. "
            if by_answer
            else ""
        )
        + f"Each bar is one filter of layer {layer}. A tall bar means the filter matters for "
        f"that answer. {pair}; {overlap(a, b)} of their top filters are the same."
    )
    if len(groups) > 2:  # a two-class model has no third class
        dis, c = groups[2]["name"], np.asarray(groups[2]["norms"], dtype=np.float64)
        s += f" {cap(ref)} and {dis} share {overlap(a, c)}."
    if n_live < len(a):
        s += (
            f" Only {n_live} of {plural(len(a), 'filter')} "
            f"{'matters' if n_live == 1 else 'matter'} at all here. The rest never fire for "
            "these pictures."
        )
    return s
