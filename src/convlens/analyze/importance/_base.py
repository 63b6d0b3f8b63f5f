"""The importance registry, the estimators' base class and their input checks.

See ``_importance.py`` for the estimators and the contract they follow.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from convlens.core import NotFoundError, Registry, UserInputError
from convlens.modelkit import model_device_dtype

from ._result import EdgeImportance, ImportanceResult, LayerImportance
from ._units import UnitGraph, unit_graph, unit_weights

IMPORTANCE: Registry[type[UnitImportance]] = Registry("importance method")

MAX_CLASS_EDGES = 16_000_000
"""Per-class edge arrays larger than this many values are left out (overall edges are kept)."""


def check_data(x: object, y: object | None) -> tuple[torch.Tensor, torch.Tensor | None]:
    """``x`` as a float tensor ``[N, ...]`` and ``y`` as int64 labels ``[N]`` (or ``None``).

    Raises:
        UserInputError: Wrong types or shapes, no examples, not finite.
    """
    if not isinstance(x, torch.Tensor) or x.ndim < 2 or x.shape[0] == 0:
        got = list(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise UserInputError(f"inputs must be a torch.Tensor [N, ...] with N >= 1, got {got}")
    if not x.is_floating_point():
        x = x.float()
    if not torch.isfinite(x).all():
        raise UserInputError("the inputs contain NaN or infinite values: give finite values")
    if y is None:
        return x, None
    labels = torch.as_tensor(np.asarray(y) if not isinstance(y, torch.Tensor) else y)
    if labels.ndim != 1 or len(labels) != len(x) or labels.is_floating_point():
        raise UserInputError(
            f"labels must be {len(x)} whole numbers (one per input), got {list(labels.shape)} "
            f"{labels.dtype}"
        )
    return x, labels.long().cpu()


def check_classes(classes: Sequence[int] | None, n_classes: int) -> tuple[int, ...]:
    """Class indices to compute (default: all); one out of range names the valid range."""
    if classes is None:
        return tuple(range(n_classes))
    out = []
    for c in classes:
        if isinstance(c, (bool, np.bool_)) or not isinstance(c, (int, np.integer)):
            raise UserInputError(f"classes must be whole numbers, got {c!r}")
        if not 0 <= int(c) < n_classes:
            raise NotFoundError(
                f"class {c} does not exist: the model has {n_classes} classes, 0 to {n_classes - 1}"
            )
        if int(c) not in out:
            out.append(int(c))
    if not out:
        raise UserInputError("give at least one class")
    return tuple(out)


def _by_max(a: np.ndarray) -> np.ndarray:
    """``a`` divided by its largest value (all zeros stay zeros)."""
    m = float(a.max()) if a.size else 0.0
    return a / m if m > 0 else np.zeros_like(a)


class UnitImportance:
    """Base of the importance estimators (see the module docstring).

    Attributes:
        result_: The :class:`ImportanceResult`, after ``fit``.
        per_class_: ``{layer: [K, U]}``, after ``fit``.
        overall_: ``{layer: [U]}``, after ``fit``.
        graph_: The :class:`UnitGraph` of the model, after ``fit``.
    """

    method: ClassVar[str] = ""
    needs_labels: ClassVar[bool] = True

    def __init__(
        self,
        model: nn.Module,
        *,
        layers: Sequence[str] | None = None,
        classes: Sequence[int] | None = None,
    ) -> None:
        self.model = model
        self.layers = layers
        self.classes = classes

    def get_params(self) -> dict[str, Any]:
        """Constructor parameters other than the model (scikit-learn protocol)."""
        names = [p for p in inspect.signature(type(self).__init__).parameters][2:]
        return {n: getattr(self, n) for n in names}

    def _scores(
        self, graph: UnitGraph, x: torch.Tensor, y: torch.Tensor | None, classes: tuple[int, ...]
    ) -> tuple[dict[str, np.ndarray], list[str]]:
        """Raw non-negative scores ``{layer: [K, U]}`` and notes."""
        raise NotImplementedError

    def fit(self, x: torch.Tensor, y: torch.Tensor | np.ndarray | None = None) -> UnitImportance:
        """Estimate the importance of every unit and edge.

        Args:
            x: Inputs ``[N, ...]`` the model takes (images ``[N, C, H, W]`` for a CNN).
            y: Class labels ``[N]`` (not needed by ``weight``).

        Returns:
            ``self``, with ``result_``, ``per_class_``, ``overall_`` and ``graph_``.

        Raises:
            UserInputError: Bad inputs or labels, a model without Linear/Conv2d layers, a class
                that does not exist.
        """
        x, labels = check_data(x, y)
        if labels is None and self.needs_labels:
            raise UserInputError(f"importance method '{self.method}' needs the class labels y")
        graph = unit_graph(self.model, x[:1].to(model_device_dtype(self.model)[0]), self.layers)
        if labels is not None and (labels.min() < 0 or labels.max() >= graph.n_outputs):
            raise UserInputError(
                f"labels must be class indices 0 to {graph.n_outputs - 1} (the model has "
                f"{graph.n_outputs} outputs), got {int(labels.min())} to {int(labels.max())}"
            )
        classes = check_classes(self.classes, graph.n_outputs)
        raw, notes = self._scores(graph, x, labels, classes)
        self.graph_ = graph
        self.result_ = self._assemble(graph, raw, classes, notes)
        self.per_class_ = {r.name: r.per_class for r in self.result_.layers}
        self.overall_ = {r.name: r.overall for r in self.result_.layers}
        return self

    def _assemble(
        self,
        graph: UnitGraph,
        raw: dict[str, np.ndarray],
        classes: tuple[int, ...],
        notes: list[str],
    ) -> ImportanceResult:
        layers = []
        for unit in graph.layers:
            per_class = _by_max(np.asarray(raw[unit.name], np.float64))
            overall = _by_max(per_class.mean(axis=0))
            layers.append(
                LayerImportance(
                    unit.name, unit.kind, per_class.astype(np.float32), overall.astype(np.float32)
                )
            )
        by_name = {r.name: r for r in layers}
        modules = dict(self.model.named_modules())
        edges = []
        for conn in graph.connections:
            src = by_name[conn.source]
            w = unit_weights(modules[conn.target], len(src.overall), conn.positions, conn.offset)
            if w is None:  # pragma: no cover - unit_graph already checked the shapes
                continue
            wn = w.cpu().double().numpy()
            overall = _by_max(src.overall[None, :] * wn)
            per_class = None
            if len(classes) * wn.size <= MAX_CLASS_EDGES:
                per_class = _by_max(src.per_class[:, None, :] * wn[None]).astype(np.float32)
            else:
                notes.append(f"{conn.source} -> {conn.target}: too many edges to keep per class")
            edges.append(
                EdgeImportance(conn.source, conn.target, per_class, overall.astype(np.float32))
            )
        return ImportanceResult(
            method=self.method,
            classes=classes,
            n_classes=graph.n_outputs,
            layers=tuple(layers),
            edges=tuple(edges),
            groups=graph.groups,
            output_layer=graph.output_layer,
            traced=graph.traced,
            params={k: v for k, v in self.get_params().items() if k not in ("layers", "classes")},
            notes=graph.notes + tuple(notes),
        )
