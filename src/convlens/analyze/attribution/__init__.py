"""Why this decision: attribution maps through Captum, and how far to trust them.

``ATTRIBUTIONS`` holds one class per method (``Saliency``, ``GradCAM``, ``IntegratedGradients``,
``Occlusion``): ``Method(model, layer).attribute(x, target)`` gives a map at the input's
resolution. ``deletion_insertion`` scores a map (delete its top pixels first: does the class
fall fast?, against random orders); ``randomisation_check`` scrambles the top layers' weights
(Adebayo et al.) to see whether the map depends on the model at all. A new method subclasses
``Attribution`` and registers with ``@ATTRIBUTIONS.register("name")``.
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
from ._sanity import (
    RandomisationCheck,
    randomisable_layers,
    randomisation_check,
    rank_correlation,
    structural_similarity,
)

__all__ = [
    "ATTRIBUTIONS",
    "Attribution",
    "DeletionInsertion",
    "GradCAM",
    "IntegratedGradients",
    "Occlusion",
    "RandomisationCheck",
    "Saliency",
    "deletion_insertion",
    "randomisable_layers",
    "randomisation_check",
    "rank_correlation",
    "structural_similarity",
]
