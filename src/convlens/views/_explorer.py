"""Layer-explorer view: the model's layers, feature maps, weights and top probe images."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from convlens.analyze import layer_outputs, order_channels
from convlens.core import NotFoundError
from convlens.pipelines import LayerShape, plain_layer_names
from convlens.store import Run

from ._accepts import has_weights
from ._common import cap, check_layer, modules, pct, shape_words, softmax
from ._compute_text import plural
from ._inspect import Inspector

if TYPE_CHECKING:
    import torch

MAX_WEIGHT_FILTERS = 64
MAX_WEIGHT_INPUTS = 1024
FAINT = 0.1  # a map whose peak is under this share of the colour scale looks empty
"""A fully connected layer's weights are sent for at most this many inputs (columns)."""


def layers(insp: Inspector, run: Run, epoch: int | None) -> dict[str, Any]:
    """Every layer of the model in the order the forward pass runs them.

    The pass that finds them runs on the picture the explorer opens on and keeps its outputs
    (``Inspector.layer_list``), so asking for the layers builds the model and makes the first
    feature-map request a look-up."""
    loaded, infos = insp.layer_list(run, epoch)
    infos = [li for li in infos if li.calls == 1]  # a reused module has no single output to show
    plain = plain_layer_names(
        [LayerShape(li.name, li.type, li.out_shape) for li in infos], len(run.classes)
    )
    c, h, w = insp.input_shape(run)
    return {
        "epoch": loaded.epoch,
        "input_shape": [c, h, w],
        "input_description": insp.contract(run).describe(),
        "layers": [
            {
                "name": li.name,
                "type": li.type,
                "out_shape": list(li.out_shape),
                "params": li.params,
                "kernel": list(li.kernel) if li.kernel else None,
                "stride": list(li.stride) if li.stride else None,
                "explanation": layer_text(li),
                "plain": p,
            }
            for li, p in zip(infos, plain, strict=True)
        ],
    }


def featuremaps(
    insp: Inspector,
    run: Run,
    *,
    epoch: int | None,
    layer: str,
    image: str,
    order: str = "natural",
    clusters: int | None = None,
) -> dict[str, Any]:
    """All feature maps of ``layer`` for one image, in the chosen order."""
    loaded = insp.loaded_model(run, epoch)
    epoch = loaded.epoch
    check_layer(loaded.module, layer)
    out_t, logits = insp.forward(run, epoch, image, layer)
    out = out_t[0].numpy().astype(np.float32)
    maps = out if out.ndim == 3 else out.reshape(-1, 1, 1)
    ordered = order_channels(maps, order, n_clusters=clusters, random_state=0)
    probs = softmax(logits[0].numpy().astype(np.float64))
    # the model's own output: its numbers are the class scores the answer comes from
    scores = (
        out.ndim == 1
        and out.shape == logits[0].shape
        and bool(np.allclose(out, logits[0].numpy(), atol=1e-6))
    )
    stats = {
        "min": float(maps.min()),
        "max": float(maps.max()),
        "mean": float(maps.mean()),
        "zero_fraction": float((maps == 0).mean()),
    }
    return {
        **insp.input_info(run, image),
        "layer": layer,
        "epoch": epoch,
        "image": image,
        "shape": list(maps.shape),
        "maps": maps,
        "order": [int(i) for i in ordered.order],
        "cluster": None if ordered.cluster is None else [int(i) for i in ordered.cluster],
        "pca": None if ordered.pca is None else [float(v) for v in ordered.pca],
        "stats": stats,
        "probabilities": [float(p) for p in probs],
        "predicted": int(probs.argmax()),
        **featuremaps_explanation(
            run, layer, maps, order, probs, upload=image.startswith("upload:"), scores=scores
        ),
    }


def weights(insp: Inspector, run: Run, *, epoch: int | None, layer: str) -> dict[str, Any]:
    """The weights of ``layer``: at most 64 × 64 filters of a conv layer, at most 64 units ×
    1,024 inputs of a fully connected one (``truncated`` says when some were left out)."""
    loaded = insp.loaded_model(run, epoch)
    module = check_layer(loaded.module, layer)
    w = getattr(module, "weight", None)
    if not has_weights(module):
        with_w = [n for n, m in modules(loaded.module).items() if has_weights(m)]
        raise NotFoundError(
            f"layer '{layer}' ({type(module).__name__}) has no weights: layers with weights are "
            f"{', '.join(with_w[:30])}"
        )
    arr = cast("torch.Tensor", w).detach().cpu().float().numpy()  # has_weights: a tensor
    full = list(arr.shape)
    truncated = False
    if arr.ndim == 4 and (arr.shape[0] > MAX_WEIGHT_FILTERS or arr.shape[1] > MAX_WEIGHT_FILTERS):
        arr = arr[:MAX_WEIGHT_FILTERS, :MAX_WEIGHT_FILTERS]
        truncated = True
    elif arr.ndim == 2 and (arr.shape[0] > MAX_WEIGHT_FILTERS or arr.shape[1] > MAX_WEIGHT_INPUTS):
        arr = arr[:MAX_WEIGHT_FILTERS, :MAX_WEIGHT_INPUTS]
        truncated = True
    return {
        "layer": layer,
        "epoch": loaded.epoch,
        "shape": full,
        "weights": np.ascontiguousarray(arr),
        "truncated": truncated,
        "explanation": weights_text(layer, type(module).__name__, full, arr),
    }


def probe_features(insp: Inspector, run: Run, epoch: int | None, layer: str) -> np.ndarray:
    """Per-probe activations of ``layer`` from the model: conv maps averaged over space."""
    loaded = insp.loaded_model(run, epoch)
    x = insp.probe_tensor(run)
    chunks = []
    with loaded.lock:
        for i in range(0, len(x), 256):
            outs, _ = layer_outputs(loaded.module, x[i : i + 256], [layer])
            o = outs[layer]
            chunks.append((o.mean(dim=(2, 3)) if o.ndim == 4 else o.flatten(1)).numpy())
    return np.concatenate(chunks).astype(np.float32)


def top(
    insp: Inspector, run: Run, *, epoch: int | None, layer: str, channel: int, k: int = 9
) -> dict[str, Any]:
    """The probe images that make one channel of ``layer`` most active."""
    loaded = insp.loaded_model(run, epoch)
    check_layer(loaded.module, layer)
    feats = probe_features(insp, run, loaded.epoch, layer)
    if not 0 <= channel < feats.shape[1]:
        raise NotFoundError(f"layer '{layer}' has channels 0..{feats.shape[1] - 1}, not {channel}")
    k = max(1, min(int(k), 64, len(feats)))
    col = feats[:, channel]
    idx = np.argsort(-col, kind="stable")[:k]
    labels = insp.probe(run)["labels"]
    _, infos = insp.layer_list(run, loaded.epoch)
    info = next((li for li in infos if li.name == layer), None)
    if info is None or len(info.out_shape) == 3:
        what = f"excite map {channel}"
        measure = "The number under each is its strength: the map's average over that picture."
    elif infos[-1].name == layer and feats.shape[1] == len(run.classes):
        what = f"raise the {run.classes[channel]} score"
        measure = "The number under each is that score."
    else:
        what = f"excite unit {channel}"
        measure = "The number under each is its strength: the unit's value for that picture."
    return {
        "layer": layer,
        "epoch": loaded.epoch,
        "channel": channel,
        "indices": [int(i) for i in idx],
        "values": [float(col[i]) for i in idx],
        "explanation": top_text(run, layer, what, labels[idx], measure),
    }


# -- words ------------------------------------------------------------------------------------

_KINDS = {
    "Conv2d": (
        "a filter layer. It slides {n} small {k} stencils over the picture. Each stencil looks "
        "for one pattern, like an edge or a spot, and makes one map of where it found it."
    ),
    "Linear": (
        "a fully connected layer. Each of its {n} units adds up everything from the layer "
        "before, each part with its own weight."
    ),
    "ReLU": "a cut-off. It keeps positive numbers and turns negative ones into zero.",
    "MaxPool2d": "a shrink step. It keeps only the strongest value in each small patch.",
    "AvgPool2d": "a shrink step. It keeps the average of each small patch.",
    "AdaptiveAvgPool2d": "a shrink step. It averages each map down to a few numbers.",
    "BatchNorm2d": "a rescale step. It keeps the numbers in a steady range.",
    "BatchNorm1d": "a rescale step. It keeps the numbers in a steady range.",
    "Dropout": "a training trick. While it learns, it hides some numbers at random. It does "
    "nothing when the network is used.",
    "Dropout2d": "a training trick. It does nothing when the network is used.",
    "Flatten": "a reshape step. It lays all the maps out in one long row of numbers.",
}


def layer_text(info: Any) -> str:
    kind = _KINDS.get(info.type)
    n = info.out_shape[0] if info.out_shape else 0
    k = "×".join(str(v) for v in info.kernel) if info.kernel else "small"
    body = (
        kind.format(n=n, k=k)
        if kind
        else f"a {info.type} step, written for this model. It turns its input into new numbers."
    )
    return f"{info.name} is {body} It gives {shape_words(info.out_shape)}."


def featuremaps_explanation(
    run: Run,
    layer: str,
    maps: np.ndarray,
    order: str,
    probs: np.ndarray,
    *,
    upload: bool = False,
    scores: bool = False,
) -> dict[str, Any]:
    """The explanation of a layer's maps (``explanation``), and the same text in sentences
    (``explanation_parts``), each with the channels it names: the maps that find nothing, the
    strongest ones. The web highlights those maps while a sentence is pointed at.

    ``scores``: the layer is the model's output, so its numbers are class scores, not maps."""
    c = maps.shape[0]
    peak = maps.reshape(c, -1).max(axis=1)
    dead = [int(i) for i in np.flatnonzero(peak <= 0)]
    guess = run.classes[int(np.argmax(probs))]
    how = {
        "natural": "in the network's own order",
        "kmeans": "in groups that look alike",
        "pca": "from one look to its opposite",
    }.get(order, "")
    flat = maps.shape[1] * maps.shape[2] == 1
    # the web draws values of both signs blue-white-red, and values all >= 0 dark-to-yellow
    signed = bool(maps.min() < 0)
    if scores:
        parts = _score_parts(run.classes, layer, peak, signed)
    elif flat:
        parts = [
            (
                f"These are the {c} numbers that layer {layer} makes from this picture, one per "
                f"unit, {how}. "
                + (
                    "Red means a unit is strongly on, blue the opposite, white zero."
                    if signed
                    else "Yellow means a unit is strongly on, dark purple that it is off."
                ),
                [],
            )
        ]
        if dead:
            parts.append((f"{len(dead)} of them stay at zero or below for this picture.", dead))
    else:
        parts = [
            (
                f"These are the {c} maps that layer {layer} makes from this picture, {how}. "
                + (
                    "Red means the layer found its pattern there, blue the opposite, white nothing."
                    if signed
                    else "Yellow means the layer found its pattern there, dark purple nothing."
                ),
                [],
            )
        ]
        if dead:
            none = "no red at all" if signed else "they stay dark"
            parts.append((f"{len(dead)} of them find nothing in this picture: {none}.", dead))
        # maps whose peak is a few percent of the shared colour scale look as empty as the dead
        # ones: say so, or the count above reads lower than what the eye sees
        scale = float(np.abs(maps).max())
        faint = [int(i) for i in np.flatnonzero((peak > 0) & (peak < FAINT * scale))]
        if faint:
            more = f"{len(faint)} more" if dead else plural(len(faint), "map")
            trace = "a trace of red, too faint to see" if signed else "a trace, too faint to see"
            verb = "finds" if len(faint) == 1 else "find"
            parts.append((f"{more} {verb} only {trace}.", faint))
        if c > 3 and peak.max() > 0:
            top = [int(i) for i in np.argsort(-peak, kind="stable")[:3]]
            parts.append(
                (f"Maps {top[0]}, {top[1]} and {top[2]} find their pattern the most strongly.", top)
            )
    best = float(np.max(probs))
    parts.append((f"The network says: {guess}, {pct(best)} sure.", []))
    if best < WEAK_ANSWER:
        parts.append(("That is a weak answer: the network is not sure.", []))
    if upload:
        parts.append((known_kinds_sentence(run.classes), []))
    return {
        "explanation": " ".join(t for t, _ in parts),
        "explanation_parts": [{"text": t, "channels": ch} for t, ch in parts],
    }


def _score_parts(
    classes: Sequence[str], layer: str, score: np.ndarray, signed: bool
) -> list[tuple[str, list[int]]]:
    """The output layer's numbers, named as what they are: one score per class."""
    n = len(score)
    names = ", ".join(classes[:8]) + (f" and {n - 8} more" if n > 8 else "")
    first, second = (int(i) for i in np.argsort(-score, kind="stable")[:2])
    return [
        (
            f"These are the {n} class scores that layer {layer} gives for this picture, one for "
            f"each class: {names}. The highest score is the network's answer. "
            + (
                "Red means a high score, blue a low one."
                if signed
                else "Yellow means a high score, dark purple a low one."
            ),
            [],
        ),
        (
            f"{cap(classes[first])} scores highest ({score[first]:.2f}), then {classes[second]} "
            f"({score[second]:.2f}).",
            [first, second],
        ),
    ]


WEAK_ANSWER = 0.5
"""Below this probability the top answer is called weak."""


def known_kinds_sentence(classes: Sequence[str]) -> str:
    """Says that the network can only answer with the kinds it was trained on."""
    n = len(classes)
    names = ", ".join(classes[:8]) + (f" and {n - 8} more" if n > 8 else "")
    return (
        f"Keep in mind: this network knows only {n} kinds of picture ({names}). It must pick "
        "one of them, whatever your picture shows."
    )


def weights_text(layer: str, kind: str, shape: Sequence[int], arr: np.ndarray) -> str:
    if len(shape) == 4:
        return (
            f"These are the stencils of layer {layer}: {shape[0]} of them, each "
            f"{shape[2]}×{shape[3]} over {plural(shape[1], 'input map')}. Red is a plus weight, "
            "blue a minus one. The network learned them from examples."
        )
    return (
        f"These are the weights of layer {layer}: one row for each of its "
        f"{plural(shape[0], 'unit')} and one column for each of its "
        f"{plural(shape[-1], 'input')}. Each number says how much one input counts for one "
        "unit. Red is plus, blue is minus."
    )


def top_text(run: Run, layer: str, what: str, labels: np.ndarray, measure: str = "") -> str:
    """Which probes ``what`` (``excite map 3``, ``raise the cat score``) the most, and what the
    number under each picture is (``measure``, one sentence)."""
    s = f"These probe pictures {what} of layer {layer} the most."
    known = labels[labels >= 0]  # a probe set from a flat folder has no labels (-1)
    if len(known):
        counts = np.bincount(known, minlength=len(run.classes))
        best = int(counts.argmax())
        s += f" {int(counts[best])} of {len(labels)} show a {run.classes[best]}."
    return f"{s} {measure}" if measure else s
