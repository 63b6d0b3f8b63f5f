"""Why this decision: attribution maps through Captum, and how far to trust them.

``ATTRIBUTIONS`` holds one class per method (``Saliency``, ``GradCAM``, ``IntegratedGradients``,
``Occlusion``): ``Method(model, layer).attribute(x, target)`` gives a map at the input's
resolution. ``deletion_insertion`` scores a map (delete its top pixels first: does the class
fall fast?). A new method subclasses ``Attribution`` and registers with
``@ATTRIBUTIONS.register("name")``.
"""

from ._faithfulness import DeletionInsertion, deletion_insertion
from ._methods import (
    ATTRIBUTIONS,
    Attribution,
    GradCAM,
    IntegratedGradients,
    Occlusion,
    Saliency,
)

__all__ = [
    "ATTRIBUTIONS",
    "Attribution",
    "DeletionInsertion",
    "GradCAM",
    "IntegratedGradients",
    "Occlusion",
    "Saliency",
    "deletion_insertion",
]
