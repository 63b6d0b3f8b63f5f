"""The web's views as plain functions (no HTTP): one module per view, each holding its data
function and the plain-language text shown beside it.

``Inspector`` is what they work over: a :class:`~convlens.pipelines.RunCatalogue` (runs, probe
sets; no torch) with a :class:`~convlens.pipelines.ModelCache` (models rebuilt from
checkpoints, one lock per model) and an :class:`UploadStore` (uploaded images, their own lock).

==================  ================================================================
view                functions (module)
==================  ================================================================
runs                ``run_card``, ``run_detail``, ``media_file`` (``_runs``)
timeline            ``timeline``, ``point`` (``_timeline``)
explorer            ``layers``, ``featuremaps``, ``weights``, ``top`` (``_explorer``)
layer compute       ``compute`` (``_compute``): one filter or unit, step by step
attributions        ``methods``, ``attributions``, ``attribution_check``,
                    ``attribution_sanity`` (``_attributions``)
class gradients     ``classgrads`` (``_classgrads``)
projection          ``projection`` (``_projection``)
network graph       ``graph_info``, ``graph_file``, ``graph_png`` (``_graph``)
uploads             ``UploadStore``, ``upload_text``; decoding in ``_images``
model input         ``model_input_png`` (``_input``): a picture as the model receives it
story               ``story`` (``_story``): events and layer verdicts
tour                ``tour`` (``_tour``)
per-run contract    ``accepted`` (``_accepts``): the layers and channels each view accepts
==================  ================================================================

Every data function returns a dict of plain values and NumPy arrays; the server encodes the
arrays and checks each answer against its pydantic model. The views that always run a model
(explorer, attributions, class gradients) load on first use, so listing runs (``run_card``)
never imports torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from convlens.core import lazy_exports

from ._graph import graph_file, graph_info, graph_png
from ._images import (
    MAX_UPLOAD_BYTES,
    MAX_UPLOAD_PIXELS,
    NotAnImageError,
    UploadTooLargeError,
    decode_image,
    downsized_png,
    to_model_input,
)
from ._input import model_input_png
from ._inspect import Inspector
from ._projection import projection
from ._runs import media_file, run_card, run_detail
from ._story import story
from ._timeline import point, timeline
from ._tour import tour
from ._uploads import Upload, UploadStore, upload_text

if TYPE_CHECKING:
    from ._accepts import accepted
    from ._attributions import attribution_check, attribution_sanity, attributions, methods
    from ._classgrads import classgrads
    from ._compute import compute
    from ._explorer import featuremaps, layers, top, weights

_LAZY = {
    "accepted": "._accepts",
    "attributions": "._attributions",
    "attribution_check": "._attributions",
    "attribution_sanity": "._attributions",
    "methods": "._attributions",
    "classgrads": "._classgrads",
    "compute": "._compute",
    "featuremaps": "._explorer",
    "layers": "._explorer",
    "top": "._explorer",
    "weights": "._explorer",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())


__all__ = [
    "MAX_UPLOAD_BYTES",
    "accepted",
    "MAX_UPLOAD_PIXELS",
    "Inspector",
    "NotAnImageError",
    "Upload",
    "UploadStore",
    "UploadTooLargeError",
    "attribution_check",
    "attribution_sanity",
    "attributions",
    "classgrads",
    "compute",
    "decode_image",
    "downsized_png",
    "featuremaps",
    "graph_file",
    "graph_info",
    "graph_png",
    "layers",
    "media_file",
    "methods",
    "model_input_png",
    "point",
    "projection",
    "run_card",
    "run_detail",
    "timeline",
    "to_model_input",
    "story",
    "top",
    "tour",
    "upload_text",
    "weights",
]
