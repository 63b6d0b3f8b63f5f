"""What each view accepts from one run: its layers and channel ranges, for the run's own
OpenAPI document (``GET /api/runs/{run}/openapi.json``, ``server/_openapi_run.py``).

Each list is read from what the view itself checks: the recorded layers (``Run.check_layer``:
timeline), the explorer's layer list (``Inspector.layer_list``, the single-use layers:
feature maps, top pictures), layers with weights (:func:`has_weights`: ``weights``), layers
with a weight parameter (:func:`has_weight_parameter`: class gradients), the kinds
``compute`` explains (:data:`COMPUTABLE`), and layers with maps (Grad-CAM's only demand).
The model is the one the server already caches; nothing new is run when the explorer has
listed its layers.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from convlens.analyze import has_weight_parameter
from convlens.core import ConvLensError
from convlens.store import Run

from ._common import modules
from ._inspect import Inspector

COMPUTABLE = (nn.Conv2d, nn.Linear)
"""The layer kinds ``compute`` shows step by step."""


def has_weights(module: nn.Module) -> bool:
    """Whether ``weights`` can show the module's filters."""
    return isinstance(getattr(module, "weight", None), torch.Tensor)


def accepted(insp: Inspector, run: Run) -> dict[str, Any]:
    """Per view, the layers it accepts at the run's last checkpoint, and the channel ranges.

    Returns:
        ``{"classes": [...], "layers": {view: [names]}, "channels": {view: n}}``: ``n`` is
        the largest channel count among the view's layers. A run that cannot rebuild its model
        lists only the recorded layers.
    """
    recorded = list(run.layers)
    layers: dict[str, list[str]] = {"recorded": recorded, "projection": recorded}
    answer: dict[str, Any] = {"classes": list(run.classes), "layers": layers, "channels": {}}
    try:
        loaded, infos = insp.layer_list(run, None)
    except ConvLensError:  # no model spec or checkpoint, a missing extra, an unreadable file
        return answer
    single = [li for li in infos if li.calls == 1]
    mods = modules(loaded.module)
    explorer = [li.name for li in single]
    compute = [li.name for li in single if isinstance(mods.get(li.name), COMPUTABLE)]
    layers.update(
        projection=recorded + [n for n in explorer if n not in recorded],
        explorer=explorer,
        weights=[n for n, m in mods.items() if has_weights(m)],
        classgrads=[n for n, m in mods.items() if has_weight_parameter(m)],
        compute=compute,
        maps=[li.name for li in single if len(li.out_shape) == 3],
    )
    width = {li.name: int(li.out_shape[0]) if li.out_shape else 1 for li in single}
    answer["channels"] = {
        view: max((width[n] for n in layers[view]), default=0) for view in ("explorer", "compute")
    }
    return answer
