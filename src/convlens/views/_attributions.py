"""Attribution view: why the model gave its answer (Captum methods), and how far to trust it.

Three requests, so the map shows at once and the slower checks follow:

- ``attributions``: the map and the network's answer (one forward pass for the answer, one
  for the map);
- ``attribution_check``: deletion and insertion curves of that map beside the mean of three
  random pixel orders, and a verdict worded from the curves' numbers;
- ``attribution_sanity``: the map recomputed with the top layers' weights scrambled (Adebayo
  et al. 2018), on a copy of the model.

The two checks reuse the map of the first request (kept per ``Inspector``, the last few), so
occlusion's forward passes are not run twice.
"""

from __future__ import annotations

import dataclasses
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from convlens.analyze import ATTRIBUTIONS, last_conv_layer
from convlens.analyze.attribution import deletion_insertion, randomisation_check
from convlens.core import UserInputError
from convlens.modelkit import check_single_use
from convlens.store import Run

from ._attribution_text import check_text, map_text, sanity_text
from ._common import check_layer
from ._inspect import Inspector

CLIP_PERCENTILE = {"saliency": 99.0, "integrated_gradients": 99.0}
"""Methods whose maps are stretched: the brightest 1 % of pixels are drawn at full colour
(their values spread over a few pixels, so scaling to the maximum leaves the map faint)."""
RANDOM_ORDERS = 3
"""Random pixel orders averaged into the baseline of the deletion and insertion curves (2 above
128×128 pixels, where each costs 18 forward passes of a large model). The baseline does not
depend on the map, so it is kept per picture and class: another method reuses it."""
SANITY_STEPS = {"integrated_gradients": 2, "occlusion": 2}
"""Layers scrambled one by one in the sanity check (then all at once); 4 for the others."""
_KEEP = 8
"""Maps kept per Inspector for the checks."""


def methods() -> list[dict[str, str]]:
    """The attribution methods there are, with their help."""
    return [{"name": n, "help": ATTRIBUTIONS.help(n)} for n in ATTRIBUTIONS.names()]


class _Map:
    """One computed map and what the checks need to redo or score it."""

    def __init__(self, **kw: Any) -> None:
        self.__dict__.update(kw)

    model: nn.Module
    x: torch.Tensor
    cls: int
    probs: np.ndarray
    layer: str | None
    signed: np.ndarray
    heat: np.ndarray
    heat_max: float
    epoch: int


_Key = tuple[Any, ...]
_maps: weakref.WeakKeyDictionary[Inspector, OrderedDict[_Key, _Map]] = weakref.WeakKeyDictionary()
_random: weakref.WeakKeyDictionary[Inspector, OrderedDict[_Key, Any]] = weakref.WeakKeyDictionary()
_layers: weakref.WeakKeyDictionary[nn.Module, dict[_Key, str | None]] = weakref.WeakKeyDictionary()
_cache_lock = threading.Lock()


def _default_layer(model: nn.Module, x: torch.Tensor, layer: str | None) -> str | None:
    """Grad-CAM's layer: the named one, or the last conv with a map ≥ 7×7; checked once per
    model and input size (both need a forward pass with hooks)."""
    key = (layer, tuple(x.shape))
    with _cache_lock:
        known = _layers.setdefault(model, {})
        if key in known:
            return known[key]
    used = layer or last_conv_layer(model, x)
    if used:  # the same refusal as the feature maps and the recorder
        check_single_use(model, x, used)
    with _cache_lock:
        known[key] = used
    return used


def _compute(
    insp: Inspector,
    run: Run,
    *,
    epoch: int | None,
    image: str,
    method: str,
    target: int | str | None,
    layer: str | None,
    fresh: bool = False,
    x: torch.Tensor | None = None,
) -> _Map:
    """The map (kept for the checks; ``fresh`` computes it again even when kept; ``x``: the
    picture as the model gets it, when the caller already has it)."""
    if method not in ATTRIBUTIONS.names():
        raise UserInputError(
            f"unknown method '{method[:40]}': choose one of {', '.join(ATTRIBUTIONS.names())}"
        )
    loaded = insp.loaded_model(run, epoch)
    model = loaded.module
    if x is None:
        x, _ = insp.tensor(run, image)
    if layer:
        check_layer(model, layer)
    key = (run.run_id, loaded.epoch, image, method, str(target), layer)
    with _cache_lock:
        cached = _maps.setdefault(insp, OrderedDict()).get(key)
    if cached is not None and cached.model is model and not fresh:
        return cached
    with loaded.lock:
        with torch.no_grad():
            probs = torch.softmax(model(x).double(), 1)[0].numpy()
        cls = insp.class_index(run, target, int(probs.argmax()))
        used = _default_layer(model, x, layer) if method == "gradcam" else None
        est = ATTRIBUTIONS.get(method)(model, layer=used)
        signed = np.asarray(est.attribute(x, cls, n_classes=len(probs)), np.float32)
    mag = np.maximum(signed, 0) if method == "gradcam" else np.abs(signed)
    q = CLIP_PERCENTILE.get(method)
    top = float(np.percentile(mag, q)) if q else float(mag.max())
    top = top or float(mag.max()) or 1.0
    got = _Map(
        model=model,
        x=x,
        cls=cls,
        probs=probs,
        layer=used,
        signed=signed,
        heat=np.clip(mag / top, 0, 1).astype(np.float32),
        heat_max=top,
        epoch=loaded.epoch,
    )
    with _cache_lock:
        kept = _maps.setdefault(insp, OrderedDict())
        kept[key] = got
        while len(kept) > _KEEP:
            kept.popitem(last=False)
    return got


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
    """An attribution map for ``target`` (default: the predicted class) and the answer; the
    checks of the map are ``attribution_check`` and ``attribution_sanity``."""
    t0 = time.perf_counter()
    m = _compute(
        insp, run, epoch=epoch, image=image, method=method, target=target, layer=layer, fresh=True
    )
    clip = CLIP_PERCENTILE.get(method)
    return {
        **insp.input_info(run, image),
        "method": method,
        "target": m.cls,
        "target_name": run.classes[m.cls],
        "layer": m.layer,
        "epoch": m.epoch,
        "heatmap": m.heat,
        "signed": m.signed,
        "heat_max": m.heat_max,
        "clip_percentile": clip,
        "probabilities": [float(p) for p in m.probs],
        "predicted": int(m.probs.argmax()),
        "seconds": time.perf_counter() - t0,
        "explanation": map_text(
            run.classes,
            method,
            m.cls,
            m.probs,
            m.heat,
            clip=clip,
            upload=image.startswith("upload:"),
        ),
    }


def attribution_check(
    insp: Inspector,
    run: Run,
    *,
    epoch: int | None,
    image: str,
    method: str,
    target: int | str | None = None,
    layer: str | None = None,
) -> dict[str, Any]:
    """Deletion and insertion curves of the map, a random-order baseline, and a verdict."""
    t0 = time.perf_counter()
    m = _compute(insp, run, epoch=epoch, image=image, method=method, target=target, layer=layer)
    # 10 steps for large inputs: the scoring's forward passes cost more than the map itself
    steps = 20 if m.x.shape[-1] * m.x.shape[-2] <= 128 * 128 else 10
    loaded = insp.loaded_model(run, m.epoch)
    n_orders = RANDOM_ORDERS if steps == 20 else 2
    rkey = (run.run_id, m.epoch, image, m.cls, steps)
    with _cache_lock:
        rand = _random.setdefault(insp, OrderedDict()).get(rkey)
    with loaded.lock:
        di = deletion_insertion(
            m.model,
            m.x,
            m.heat,
            m.cls,
            steps=steps,
            random_orders=0 if rand else n_orders,
            n_classes=len(m.probs),
        )
    if rand is None:
        rand = (di.random_deletion_curve, di.random_insertion_curve, n_orders)
        with _cache_lock:
            kept = _random.setdefault(insp, OrderedDict())
            kept[rkey] = rand
            while len(kept) > _KEEP:
                kept.popitem(last=False)
    di = dataclasses.replace(di, random_deletion_curve=rand[0], random_insertion_curve=rand[1])
    assert di.random_deletion_curve is not None and di.random_insertion_curve is not None
    verdict, text = check_text(run.classes[m.cls], di)
    return {
        "method": method,
        "target": m.cls,
        "epoch": m.epoch,
        "fractions": [float(v) for v in np.linspace(0, 1, steps + 1)],
        "deletion": di.deletion,
        "insertion": di.insertion,
        "random_deletion": di.random_deletion,
        "random_insertion": di.random_insertion,
        "deletion_curve": [float(v) for v in di.deletion_curve],
        "insertion_curve": [float(v) for v in di.insertion_curve],
        "random_deletion_curve": [float(v) for v in di.random_deletion_curve],
        "random_insertion_curve": [float(v) for v in di.random_insertion_curve],
        "random_orders": rand[2],
        "verdict": verdict,
        "seconds": time.perf_counter() - t0,
        "explanation": text,
    }


def attribution_sanity(
    insp: Inspector,
    run: Run,
    *,
    epoch: int | None,
    image: str,
    method: str,
    target: int | str | None = None,
    layer: str | None = None,
    report: Callable[[float, str], None] | None = None,
    x: torch.Tensor | None = None,
) -> dict[str, Any]:
    """The map with the top layers' weights scrambled, cascading from the output (Adebayo et
    al. 2018), on a copy of the model: how similar the maps stay.

    ``report(progress, message)`` hears each step (the map, then each scrambled layer); ``x``
    is the picture as the model gets it, for a worker process that has not the uploads."""
    t0 = time.perf_counter()
    say = report or (lambda progress, message: None)
    say(0.0, "making the map of the unchanged network")
    m = _compute(
        insp, run, epoch=epoch, image=image, method=method, target=target, layer=layer, x=x
    )
    loaded = insp.loaded_model(run, m.epoch)

    def step(done: int, total: int, name: str) -> None:
        say(0.1 + 0.9 * done / total, f"scrambled up to layer {name} (step {done} of {total})")

    say(0.1, "scrambling the layers from the output down")
    with loaded.lock:  # the copy is made under the lock; the model itself is only read
        check = randomisation_check(
            m.model,
            m.x,
            m.cls,
            method,
            layer=m.layer,
            steps=SANITY_STEPS.get(method, 4),
            original=m.signed,
            n_classes=len(m.probs),
            report=step,
        )
    verdict, text = sanity_text(check.layers, check.counts, check.spearman)
    last = check.maps[-1]
    mag = np.maximum(last, 0) if method == "gradcam" else np.abs(last)
    q = CLIP_PERCENTILE.get(method)
    top = (float(np.percentile(mag, q)) if q else float(mag.max())) or float(mag.max()) or 1.0
    return {
        "method": method,
        "target": m.cls,
        "epoch": m.epoch,
        "steps": [
            {"layer": name, "count": int(n), "spearman": float(r), "ssim": float(s)}
            for name, n, r, s in zip(
                check.layers, check.counts, check.spearman, check.ssim, strict=True
            )
        ],
        "n_layers": check.counts[-1],
        "scrambled_heatmap": np.clip(mag / top, 0, 1).astype(np.float32),
        "verdict": verdict,
        "seconds": time.perf_counter() - t0,
        "explanation": text,
    }
