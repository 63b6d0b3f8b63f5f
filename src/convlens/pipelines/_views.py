"""What each web view shows, as plain functions over an :class:`Inspector` (no HTTP here).

Every function returns a dict of plain values and NumPy arrays; the server encodes arrays and
checks the shape of the answer with its pydantic models.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

import numpy as np
import torch
from torch import nn

from convlens.analyze import (
    ATTRIBUTIONS,
    PROJECTIONS,
    deletion_insertion,
    filter_gradient_norms,
    last_conv_layer,
    layer_outputs,
    leaf_layers,
    order_channels,
    project,
)
from convlens.core import EmbedOptions, NotFoundError, UnavailableError, UserInputError
from convlens.store import Run, open_for_update

from . import _explain_views as ex
from ._embed import embed_layer
from ._explain import most_confused_pair
from ._inspect import Inspector

MAX_WEIGHT_FILTERS = 64


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def _finite(values: np.ndarray) -> list[float | None]:
    return [None if not np.isfinite(v) else float(v) for v in values]


def _modules(model: nn.Module) -> dict[str, nn.Module]:
    return {n: m for n, m in model.named_modules() if n}


def _check_layer(model: nn.Module, layer: str) -> nn.Module:
    mods = _modules(model)
    if layer not in mods:
        leaves = [n for n, m in mods.items() if not list(m.children())]
        raise NotFoundError(
            f"the model has no layer '{layer[:80]}': layers are {', '.join(leaves[:40])}"
        )
    return mods[layer]


# -- runs -------------------------------------------------------------------------------------


def run_summary(insp: Inspector, run: Run) -> dict[str, Any]:
    m = run.manifest
    metrics = run.metrics()
    acc = metrics.get("test_accuracy")
    last = None if acc is None or not len(acc) or not np.isfinite(acc[-1]) else float(acc[-1])
    return {
        "id": run.run_id,
        "status": m.status,
        "created": m.created,
        "dataset": str(m.dataset.get("name", "")),
        "model": str(m.model.get("name") or m.model.get("class") or ""),
        "classes": run.classes,
        "layers": run.layers,
        "epochs": run.epochs,
        "checkpoints": insp.checkpoints(run),
        "test_accuracy": last,
        "has_model": insp.has_model(run),
    }


def run_detail(insp: Inspector, run: Run) -> dict[str, Any]:
    out = run_summary(insp, run)
    m = run.manifest
    out["metrics"] = {k: _finite(v) for k, v in run.metrics().items()}
    out["layer_info"] = [
        {"name": k, "shape": list(v.get("shape", [])), "dim": int(v.get("dim", 0))}
        for k, v in m.layers.items()
    ]
    out["probe"] = {
        "n": int(m.probe.get("n", 0)),
        "n_test": int(m.probe.get("test", m.probe.get("n", 0))),
        "n_train": int(m.probe.get("train", 0)),
    }
    out["explanation"] = ex.run_text(out)
    return out


# -- training timeline ------------------------------------------------------------------------


def _to_unit(coords: np.ndarray) -> np.ndarray:
    """Shift and scale ``[..., 2]`` points into [-0.95, 0.95] with one scale for both axes."""
    flat = coords.reshape(-1, 2)
    lo, hi = flat.min(axis=0), flat.max(axis=0)
    centre = (lo + hi) / 2
    half = float((hi - lo).max()) / 2 or 1.0
    return ((coords - centre) / half * 0.95).astype(np.float32)


def timeline(insp: Inspector, run: Run, layer: str | None) -> dict[str, Any]:
    if not run.epochs:
        raise UnavailableError(f"run {run.run_id} has no completed epoch yet: wait for one")
    layer = run.check_layer(layer) if layer else run.layers[-1]
    got = run.embedding(layer)
    if got is None or got[1].get("epochs") != run.epochs:
        with insp.lock:
            coords, info = embed_layer(run, layer, EmbedOptions())
            with contextlib.suppress(OSError):  # a read-only run folder is still viewable
                open_for_update(run.path).write_embedding(layer, coords, info)
    else:
        coords, info = got
    probe = insp.probe(run)
    labels = probe["labels"].astype(np.int32)
    split = probe.get("split", np.zeros(len(labels))).astype(np.int32)
    predicted = np.stack([run.outputs(e)["logits"].argmax(1) for e in run.epochs]).astype(np.int32)
    metrics = {k: _finite(v) for k, v in run.metrics().items()}
    return {
        "layer": layer,
        "epochs": run.epochs,
        "n": len(labels),
        "coords": _to_unit(np.asarray(coords, np.float32)),
        "labels": labels,
        "predicted": predicted,
        "split": split,
        "metrics": metrics,
        "method": str(info.get("method", "")),
        "explanation": ex.timeline_text(run, layer, labels, predicted, split),
    }


def point(insp: Inspector, run: Run, index: int) -> dict[str, Any]:
    probe = insp.probe(run)
    n = len(probe["labels"])
    if not 0 <= index < n:
        raise NotFoundError(f"run {run.run_id} has probe images 0..{n - 1}, not {index}")
    probs = np.stack([_softmax(run.outputs(e)["logits"][index]) for e in run.epochs])
    label = int(probe["labels"][index])
    sources = run.probe_sources()
    split = int(probe["split"][index]) if "split" in probe else 0
    return {
        "index": index,
        "label": label,
        "label_name": run.classes[label],
        "split": split,
        "source": sources[index] if index < len(sources) else "",
        "epochs": run.epochs,
        "probabilities": probs.astype(np.float32),
        "explanation": ex.point_text(run, label, probs, split),
    }


# -- one forward pass -------------------------------------------------------------------------


def layers(insp: Inspector, run: Run, epoch: int | None) -> dict[str, Any]:
    model, epoch = insp.model(run, epoch)
    c, s, _ = insp.input_shape(run)
    with insp.lock:
        infos = leaf_layers(model, torch.zeros(1, c, s, s))
    return {
        "epoch": epoch,
        "input_shape": [c, s, s],
        "layers": [
            {
                "name": li.name,
                "type": li.type,
                "out_shape": list(li.out_shape),
                "params": li.params,
                "kernel": list(li.kernel) if li.kernel else None,
                "stride": list(li.stride) if li.stride else None,
                "explanation": ex.layer_text(li),
            }
            for li in infos
            if li.calls == 1  # a reused module has no single output to show
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
    model, epoch = insp.model(run, epoch)
    module = _check_layer(model, layer)
    out_t, logits = insp.forward(run, epoch, image, layer)
    out = out_t[0].numpy().astype(np.float32)
    maps = out if out.ndim == 3 else out.reshape(-1, 1, 1)
    ordered = order_channels(maps, order, n_clusters=clusters, random_state=0)
    probs = _softmax(logits[0].numpy().astype(np.float64))
    stats = {
        "min": float(maps.min()),
        "max": float(maps.max()),
        "mean": float(maps.mean()),
        "zero_fraction": float((maps == 0).mean()),
    }
    return {
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
        "explanation": ex.featuremaps_text(
            run, layer, type(module).__name__, maps, stats, order, probs
        ),
    }


def weights(insp: Inspector, run: Run, *, epoch: int | None, layer: str) -> dict[str, Any]:
    model, epoch = insp.model(run, epoch)
    module = _check_layer(model, layer)
    w = getattr(module, "weight", None)
    if not isinstance(w, torch.Tensor):
        with_w = [
            n
            for n, m in _modules(model).items()
            if isinstance(getattr(m, "weight", None), torch.Tensor)
        ]
        raise NotFoundError(
            f"layer '{layer}' ({type(module).__name__}) has no weights: layers with weights are "
            f"{', '.join(with_w[:30])}"
        )
    arr = w.detach().cpu().float().numpy()
    full = list(arr.shape)
    truncated = False
    if arr.ndim == 4 and (arr.shape[0] > MAX_WEIGHT_FILTERS or arr.shape[1] > MAX_WEIGHT_FILTERS):
        arr = arr[:MAX_WEIGHT_FILTERS, :MAX_WEIGHT_FILTERS]
        truncated = True
    return {
        "layer": layer,
        "epoch": epoch,
        "shape": full,
        "weights": np.ascontiguousarray(arr),
        "truncated": truncated,
        "explanation": ex.weights_text(layer, type(module).__name__, full, arr),
    }


def _probe_features(insp: Inspector, run: Run, model: nn.Module, layer: str) -> np.ndarray:
    """Per-probe activations of ``layer`` from the model: conv maps averaged over space."""
    x = insp.probe_tensor(run)
    chunks = []
    with insp.lock:
        for i in range(0, len(x), 256):
            outs, _ = layer_outputs(model, x[i : i + 256], [layer])
            o = outs[layer]
            chunks.append((o.mean(dim=(2, 3)) if o.ndim == 4 else o.flatten(1)).numpy())
    return np.concatenate(chunks).astype(np.float32)


def top(
    insp: Inspector, run: Run, *, epoch: int | None, layer: str, channel: int, k: int = 9
) -> dict[str, Any]:
    model, epoch = insp.model(run, epoch)
    _check_layer(model, layer)
    feats = _probe_features(insp, run, model, layer)
    if not 0 <= channel < feats.shape[1]:
        raise NotFoundError(f"layer '{layer}' has channels 0..{feats.shape[1] - 1}, not {channel}")
    k = max(1, min(int(k), 64, len(feats)))
    col = feats[:, channel]
    idx = np.argsort(-col, kind="stable")[:k]
    labels = insp.probe(run)["labels"]
    return {
        "layer": layer,
        "epoch": epoch,
        "channel": channel,
        "indices": [int(i) for i in idx],
        "values": [float(col[i]) for i in idx],
        "explanation": ex.top_text(run, layer, channel, labels[idx]),
    }


# -- why this decision ------------------------------------------------------------------------


def methods() -> list[dict[str, str]]:
    return [{"name": n, "help": ATTRIBUTIONS.help(n)} for n in ATTRIBUTIONS.names()]


def attributions(
    insp: Inspector,
    run: Run,
    *,
    epoch: int | None,
    image: str,
    method: str,
    target: int | str | None = None,
    layer: str | None = None,
) -> dict[str, Any]:
    if method not in ATTRIBUTIONS.names():
        raise UserInputError(
            f"unknown method '{method[:40]}': choose one of {', '.join(ATTRIBUTIONS.names())}"
        )
    model, epoch = insp.model(run, epoch)
    x, _ = insp.tensor(run, image)
    if layer:
        _check_layer(model, layer)
    t0 = time.perf_counter()
    with insp.lock:
        with torch.no_grad():
            probs = torch.softmax(model(x).double(), 1)[0].numpy()
        cls = insp.class_index(run, target, int(probs.argmax()))
        used_layer = (layer or last_conv_layer(model)) if method == "gradcam" else None
        est = ATTRIBUTIONS.get(method)(model, layer=used_layer)
        signed = np.asarray(est.attribute(x, cls), np.float32)
        mag = np.maximum(signed, 0) if method == "gradcam" else np.abs(signed)
        top_val = float(np.percentile(mag, 99.5)) or float(mag.max()) or 1.0
        heat = np.clip(mag / top_val, 0, 1).astype(np.float32)
        # 10 steps for large inputs: the scoring's forward passes cost more than the map itself
        steps = 20 if x.shape[-1] * x.shape[-2] <= 128 * 128 else 10
        di = deletion_insertion(model, x, heat, cls, steps=steps)
    seconds = time.perf_counter() - t0
    return {
        "method": method,
        "target": cls,
        "target_name": run.classes[cls],
        "layer": used_layer,
        "epoch": epoch,
        "heatmap": heat,
        "signed": signed,
        "probabilities": [float(p) for p in probs],
        "predicted": int(probs.argmax()),
        "deletion": float(di.deletion),
        "insertion": float(di.insertion),
        "deletion_curve": [float(v) for v in di.deletion_curve],
        "insertion_curve": [float(v) for v in di.insertion_curve],
        "seconds": seconds,
        "explanation": ex.attribution_text(run, method, cls, probs, heat, di),
    }


# -- class gradients --------------------------------------------------------------------------


def _probe_probs(insp: Inspector, run: Run, model: nn.Module, epoch: int) -> np.ndarray:
    if epoch in run.epochs:
        return _softmax(run.outputs(epoch)["logits"].astype(np.float64))
    x = insp.probe_tensor(run)
    with insp.lock, torch.no_grad():
        return torch.softmax(model(x).double(), 1).numpy()


def classgrads(
    insp: Inspector,
    run: Run,
    *,
    epoch: int | None,
    layer: str,
    reference: int | str | None = None,
    max_images: int = 16,
) -> dict[str, Any]:
    model, epoch = insp.model(run, epoch)
    module = _check_layer(model, layer)
    labels = insp.probe(run)["labels"]
    probs = _probe_probs(insp, run, model, epoch)
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
        with insp.lock:
            norms = filter_gradient_norms(model, layer, x_all[idx], c)
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
        "epoch": epoch,
        "groups": groups,
        "explanation": ex.classgrads_text(layer, type(module).__name__, groups),
    }


# -- projection -------------------------------------------------------------------------------


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
) -> dict[str, Any]:
    if method not in PROJECTIONS.names():
        raise UserInputError(
            f"unknown projection '{method[:40]}': choose one of {', '.join(PROJECTIONS.names())}"
        )
    if max_points < 10:
        raise UserInputError("max_points must be at least 10")
    labels = insp.probe(run)["labels"]
    if layer in run.layers and (epoch is None or epoch in run.epochs) and run.epochs:
        epoch = run.epochs[-1] if epoch is None else epoch
        feats = run.activations(epoch, layer)
    else:
        model, epoch = insp.model(run, epoch)
        _check_layer(model, layer)
        feats = _probe_features(insp, run, model, layer)
    idx = _stratified(labels, max_points)
    coords = project(feats[idx].astype(np.float32), method, random_state=0)
    return {
        "layer": layer,
        "epoch": epoch,
        "method": method,
        "coords": _to_unit(coords),
        "indices": [int(i) for i in idx],
        "labels": [int(v) for v in labels[idx]],
        "n_total": len(labels),
        "n_shown": len(idx),
        "sampled": len(idx) < len(labels),
        "explanation": ex.projection_text(run, layer, method, len(idx), len(labels)),
    }


# -- tour -------------------------------------------------------------------------------------


def tour(insp: Inspector, run: Run | None) -> dict[str, Any]:
    if run is None:
        return {"run": None, "steps": ex.tour_steps(None, None, None, None)}
    layer = run.layers[-1] if run.layers else None
    conv = None
    if insp.has_model(run):
        model, _ = insp.model(run)
        conv = last_conv_layer(model)
    labels = insp.probe(run)["labels"] if run.epochs else np.zeros(0, int)
    confused = None
    if run.epochs and len(labels):
        pred = run.outputs(run.epochs[-1])["logits"].argmax(1)
        confused = most_confused_pair(labels, pred, run.classes)
    return {"run": run.run_id, "steps": ex.tour_steps(run, layer, conv, confused)}
