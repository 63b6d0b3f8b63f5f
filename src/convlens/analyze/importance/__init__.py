"""What matters in the network: importance of every unit and connection per class, and pruning.

``IMPORTANCE`` holds the estimators (``BNGammaImportance``, ``TaylorImportance``,
``WeightImportance``): ``Method(model).fit(x, y).result_`` is an ``ImportanceResult``.
``pruning_curves`` validates a result by switching units off in its order. The units (Linear
neurons, Conv2d channels) and how they connect come from ``unit_graph``. A new estimator
subclasses ``UnitImportance`` and registers with ``@IMPORTANCE.register("name")``.
"""

from ._base import IMPORTANCE, UnitImportance
from ._estimators import BNGammaImportance, TaylorImportance, WeightImportance
from ._pruning import PruningCurves, pruning_curves
from ._result import EdgeImportance, ImportanceResult, LayerImportance
from ._units import UnitGraph, unit_graph

__all__ = [
    "IMPORTANCE",
    "BNGammaImportance",
    "EdgeImportance",
    "ImportanceResult",
    "LayerImportance",
    "PruningCurves",
    "TaylorImportance",
    "UnitGraph",
    "UnitImportance",
    "WeightImportance",
    "pruning_curves",
    "unit_graph",
]
