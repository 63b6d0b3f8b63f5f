"""What an importance estimator gives: per-unit and per-edge importance, per class and overall.

Values are relative *within a layer* (or a layer pair, for edges), as in nn_vis: a layer's
``[classes, units]`` block is divided by its largest value, so the unit that matters most to
any class has 1, and classes stay comparable within the layer. Compare units of one layer, not
numbers across layers. ``overall`` is the mean over the classes, divided by its largest value.
``to_arrays`` / ``from_arrays`` turn a result into flat named arrays and a JSON-able
description (for safetensors) and back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from convlens.core import NotFoundError, RunFormatError
from convlens.modelkit import short_list
from convlens.store.formats import IMPORTANCE_VERSION, check_importance_info


@dataclass(frozen=True)
class LayerImportance:
    """Importance of the units of one layer.

    Attributes:
        name: Module name.
        kind: ``"linear"`` (neurons) or ``"conv"`` (channels).
        per_class: ``[K, U]`` float32, one row per class in ``ImportanceResult.classes``.
        overall: ``[U]`` float32.
    """

    name: str
    kind: str
    per_class: np.ndarray
    overall: np.ndarray

    def ranking(self, row: int | None = None) -> np.ndarray:
        """Unit indices, most important first (``row``: a row of ``per_class``; default overall)."""
        v = self.overall if row is None else self.per_class[row]
        return np.argsort(-v, kind="stable")


@dataclass(frozen=True)
class EdgeImportance:
    """Importance of the connections from the units of ``source`` to those of ``target``.

    Edge ``(j, i)`` = importance of source unit ``i`` × ``|w|`` from ``i`` to target unit ``j``
    (for a Conv2d the kernel's L1 norm; for a Linear after a flatten, the summed ``|w|`` of the
    positions of channel ``i``), divided by the largest edge of this layer pair (over every class
    for ``per_class``): never by a maximum carried over from other layers.

    Attributes:
        source: The feeding layer.
        target: The fed layer.
        per_class: ``[K, U_target, U_source]`` float32, or ``None`` when too large to keep.
        overall: ``[U_target, U_source]`` float32, from the overall source importance.
    """

    source: str
    target: str
    per_class: np.ndarray | None
    overall: np.ndarray


@dataclass(frozen=True)
class ImportanceResult:
    """Unit and edge importance of a model, per class and overall.

    Attributes:
        method: Registry name of the estimator.
        classes: Class indices of the ``per_class`` rows.
        n_classes: Class scores the model returns.
        layers: One entry per unit layer, in execution order.
        edges: One entry per connected pair of unit layers.
        groups: Layers whose channels residual additions couple.
        output_layer: The layer that gives the class scores (``None`` if unsure).
        traced: Whether ``torch.fx`` traced the model.
        params: The estimator's parameters.
        notes: What could not be worked out, in words.
    """

    method: str
    classes: tuple[int, ...]
    n_classes: int
    layers: tuple[LayerImportance, ...]
    edges: tuple[EdgeImportance, ...]
    groups: tuple[tuple[str, ...], ...] = ()
    output_layer: str | None = None
    traced: bool = True
    params: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def layer(self, name: str) -> LayerImportance:
        """The importance of layer ``name``; an unknown name lists the layers."""
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise NotFoundError(
            f"no importance for layer '{name}': layers are {short_list(self.layer_names)}"
        )

    @property
    def layer_names(self) -> list[str]:
        return [layer.name for layer in self.layers]

    def row(self, class_index: int) -> int:
        """The ``per_class`` row of ``class_index``; a class not computed lists those that are."""
        if class_index not in self.classes:
            raise NotFoundError(
                f"class {class_index} has no importance here: computed for classes "
                f"{short_list([str(c) for c in self.classes])}"
            )
        return self.classes.index(class_index)

    def to_arrays(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Flat arrays (``units.<i>.per_class`` ...) and a JSON-able description of them."""
        arrays: dict[str, np.ndarray] = {}
        for i, layer in enumerate(self.layers):
            arrays[f"units.{i}.per_class"] = layer.per_class.astype(np.float32)
            arrays[f"units.{i}.overall"] = layer.overall.astype(np.float32)
        for i, edge in enumerate(self.edges):
            arrays[f"edges.{i}.overall"] = edge.overall.astype(np.float32)
            if edge.per_class is not None:
                arrays[f"edges.{i}.per_class"] = edge.per_class.astype(np.float32)
        info = {
            "format": IMPORTANCE_VERSION,
            "method": self.method,
            "classes": list(self.classes),
            "n_classes": self.n_classes,
            "layers": [{"name": x.name, "kind": x.kind} for x in self.layers],
            "edges": [{"source": e.source, "target": e.target} for e in self.edges],
            "groups": [list(g) for g in self.groups],
            "output_layer": self.output_layer,
            "traced": self.traced,
            "params": self.params,
            "notes": list(self.notes),
        }
        return arrays, info

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], info: dict[str, Any]) -> ImportanceResult:
        """Rebuild a result written by :meth:`to_arrays`.

        Raises:
            RunFormatError: The arrays or the description are not what ``to_arrays`` writes.
        """
        try:
            check_importance_info(info)
            layers = tuple(
                LayerImportance(
                    d["name"],
                    d["kind"],
                    arrays[f"units.{i}.per_class"],
                    arrays[f"units.{i}.overall"],
                )
                for i, d in enumerate(info["layers"])
            )
            edges = tuple(
                EdgeImportance(
                    d["source"],
                    d["target"],
                    arrays.get(f"edges.{i}.per_class"),
                    arrays[f"edges.{i}.overall"],
                )
                for i, d in enumerate(info["edges"])
            )
            return cls(
                method=str(info["method"]),
                classes=tuple(int(c) for c in info["classes"]),
                n_classes=int(info["n_classes"]),
                layers=layers,
                edges=edges,
                groups=tuple(tuple(g) for g in info.get("groups", [])),
                output_layer=info.get("output_layer"),
                traced=bool(info.get("traced", True)),
                params=dict(info.get("params", {})),
                notes=tuple(info.get("notes", [])),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise RunFormatError(f"stored importance cannot be read: missing or bad {exc}") from exc
