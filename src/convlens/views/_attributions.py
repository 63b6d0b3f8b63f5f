"""Attribution view: why the model gave its answer (Captum methods), with a quality score."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch

from convlens.analyze import ATTRIBUTIONS, deletion_insertion, last_conv_layer
from convlens.core import UserInputError
from convlens.modelkit import check_single_use
from convlens.store import Run

from ._common import check_layer, pct
from ._inspect import Inspector


def methods() -> list[dict[str, str]]:
    """The attribution methods there are, with their help."""
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
    """An attribution map for ``target`` (default: the predicted class), with deletion and
    insertion scores."""
    if method not in ATTRIBUTIONS.names():
        raise UserInputError(
            f"unknown method '{method[:40]}': choose one of {', '.join(ATTRIBUTIONS.names())}"
        )
    loaded = insp.loaded_model(run, epoch)
    model = loaded.module
    x, _ = insp.tensor(run, image)
    if layer:
        check_layer(model, layer)
    t0 = time.perf_counter()
    with loaded.lock:
        with torch.no_grad():
            probs = torch.softmax(model(x).double(), 1)[0].numpy()
        cls = insp.class_index(run, target, int(probs.argmax()))
        # the default Grad-CAM layer: the last convolution whose map is at least 7×7 here
        used_layer = (layer or last_conv_layer(model, x)) if method == "gradcam" else None
        if used_layer:  # the same refusal as the feature maps and the recorder
            check_single_use(model, x, used_layer)
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
        **insp.input_info(run, image),
        "method": method,
        "target": cls,
        "target_name": run.classes[cls],
        "layer": used_layer,
        "epoch": loaded.epoch,
        "heatmap": heat,
        "signed": signed,
        "probabilities": [float(p) for p in probs],
        "predicted": int(probs.argmax()),
        "deletion": float(di.deletion),
        "insertion": float(di.insertion),
        "deletion_curve": [float(v) for v in di.deletion_curve],
        "insertion_curve": [float(v) for v in di.insertion_curve],
        "seconds": seconds,
        "explanation": attribution_text(run, method, cls, probs, heat, di),
    }


_METHOD_TEXT = {
    "saliency": "which pixels would change the answer most if they changed a little",
    "gradcam": "which parts of the picture the last filter layer used",
    "integrated_gradients": "how much each pixel added, going from a black picture to this one",
    "occlusion": "how much the answer drops when a small patch is covered",
}


def attribution_text(
    run: Run, method: str, target: int, probs: np.ndarray, heat: np.ndarray, di: Any
) -> str:
    name = run.classes[target]
    what = _METHOD_TEXT.get(method, "which pixels mattered")
    hot = float((heat > 0.5).mean())
    check = (
        "The map is a good guide: hiding its hot spots hurts the answer quickly."
        if di.deletion < di.insertion
        else "Take the map with care: hiding its hot spots does not hurt the answer much."
    )
    return (
        f"The warm colours show {what}, for the answer {name}. The network gives {name} "
        f"{pct(probs[target])}. About {pct(hot)} of the picture is hot. {check}"
    )
