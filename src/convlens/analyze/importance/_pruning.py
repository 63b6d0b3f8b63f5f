"""Pruning validation: does removing the units an estimator calls unimportant cost little?

Units are removed (their output set to zero, no retraining) in steps from 0 to 100 %, the same
fraction in every layer, and held-out accuracy is measured overall and per class. Orders:
``importance`` (least important first), ``reverse`` (most important first) and ``random``
(several seeds, mean and standard deviation). A good estimator keeps the ``importance`` curve
above the random band and the ``reverse`` curve below it. The output layer is never pruned (its
units are the classes). Channels that residual additions couple are removed as a group, ranked
by the mean importance of the group's layers; a BatchNorm that alone reads a pruned layer is
silenced with it (otherwise its shift would bring the channel back). All of it happens on a copy
of the model, without gradients.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from convlens.core import HookSet, NotFoundError, RunFormatError, UserInputError, progress
from convlens.modelkit import model_device_dtype

from ._base import check_data
from ._result import ImportanceResult
from ._units import unit_graph

ORDERS = ("importance", "reverse", "random")


@dataclass(frozen=True)
class PruningCurves:
    """Accuracy as units are removed, per order.

    Attributes:
        fractions: ``[S]`` fraction of each pruned layer's units removed, 0 to 1.
        accuracy: order -> ``[S]`` accuracy (``random``: mean over seeds).
        accuracy_std: order -> ``[S]`` standard deviation over seeds (0 for fixed orders).
        class_accuracy: order -> ``[S, C]`` accuracy on each class's examples (NaN: none).
        class_accuracy_std: order -> ``[S, C]``.
        target: The class whose importance ranked the units (``None``: overall importance).
        seeds: Seeds of the random orders.
        layers: The pruned layers.
        groups: Layers pruned together because residual additions couple their channels.
        traced: Whether ``torch.fx`` traced the model (otherwise no groups were found).
        method: The importance method that ranked the units.
        notes: What could not be worked out, in words.
    """

    fractions: np.ndarray
    accuracy: dict[str, np.ndarray]
    accuracy_std: dict[str, np.ndarray]
    class_accuracy: dict[str, np.ndarray]
    class_accuracy_std: dict[str, np.ndarray]
    target: int | None
    seeds: tuple[int, ...]
    layers: tuple[str, ...]
    groups: tuple[tuple[str, ...], ...]
    traced: bool
    method: str
    notes: tuple[str, ...] = ()

    @property
    def orders(self) -> list[str]:
        return list(self.accuracy)

    def at(self, fraction: float, order: str = "importance") -> float:
        """Accuracy of ``order`` at the step closest to ``fraction``."""
        if order not in self.accuracy:
            raise NotFoundError(f"no order '{order}': computed {', '.join(self.orders)}")
        return float(self.accuracy[order][int(np.argmin(np.abs(self.fractions - fraction)))])

    def to_arrays(self, prefix: str = "") -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Flat arrays named ``<prefix><order>.accuracy`` ... and a JSON-able description."""
        arrays = {f"{prefix}fractions": self.fractions.astype(np.float32)}
        for name, table in (
            ("accuracy", self.accuracy),
            ("accuracy_std", self.accuracy_std),
            ("class_accuracy", self.class_accuracy),
            ("class_accuracy_std", self.class_accuracy_std),
        ):
            for order, values in table.items():
                arrays[f"{prefix}{order}.{name}"] = values.astype(np.float32)
        info = {
            "orders": self.orders,
            "target": self.target,
            "seeds": list(self.seeds),
            "layers": list(self.layers),
            "groups": [list(g) for g in self.groups],
            "traced": self.traced,
            "method": self.method,
            "notes": list(self.notes),
        }
        return arrays, info

    @classmethod
    def from_arrays(
        cls, arrays: dict[str, np.ndarray], info: dict[str, Any], prefix: str = ""
    ) -> PruningCurves:
        """Rebuild curves written by :meth:`to_arrays`."""
        try:
            tables: dict[str, dict[str, np.ndarray]] = {
                k: {} for k in ("accuracy", "accuracy_std", "class_accuracy", "class_accuracy_std")
            }
            for order in info["orders"]:
                for name, table in tables.items():
                    table[order] = arrays[f"{prefix}{order}.{name}"]
            return cls(
                fractions=arrays[f"{prefix}fractions"],
                target=info["target"],
                seeds=tuple(info["seeds"]),
                layers=tuple(info["layers"]),
                groups=tuple(tuple(g) for g in info["groups"]),
                traced=bool(info["traced"]),
                method=str(info["method"]),
                notes=tuple(info.get("notes", [])),
                **tables,
            )
        except (KeyError, TypeError) as exc:
            raise RunFormatError(f"stored pruning curves cannot be read: missing {exc}") from exc


def _fractions(fractions: Sequence[float] | None, steps: int) -> np.ndarray:
    if fractions is None:
        if steps < 1:
            raise UserInputError(f"steps must be at least 1, got {steps}")
        return np.linspace(0.0, 1.0, steps + 1)
    f = np.asarray(fractions, dtype=np.float64)
    if f.ndim != 1 or f.size == 0 or not np.all((f >= 0) & (f <= 1)):
        raise UserInputError("fractions must be numbers from 0 to 1")
    return f


class _Masker:
    """Zeroes chosen units of a copy of the model through forward hooks; measures accuracy."""

    def __init__(self, work: nn.Module, points: dict[str, list[str]], kinds: dict[str, str]):
        self.work = work
        device, dtype = model_device_dtype(work)
        self.device = device
        self.modules = dict(work.named_modules())
        self.points = points
        self.kinds = kinds
        self.masks = {
            n: torch.ones(_units_of(self.modules[n]), device=device, dtype=dtype) for n in points
        }

    def hook_all(self, hooks: HookSet) -> None:
        for layer, modules in self.points.items():
            shape = (1, -1, 1, 1) if self.kinds[layer] == "conv" else (-1,)
            for name in modules:
                hooks.add(self.modules[name].register_forward_hook(self._hook(layer, shape)))

    def _hook(self, layer: str, shape: tuple[int, ...]) -> Any:
        def hook(_m: nn.Module, _a: Any, out: torch.Tensor) -> torch.Tensor:
            return out * self.masks[layer].view(shape)

        return hook

    def set(self, removed: dict[str, np.ndarray]) -> None:
        for layer, mask in self.masks.items():
            mask.fill_(1.0)
            idx = removed.get(layer)
            if idx is not None and len(idx):
                mask[torch.as_tensor(idx, device=mask.device)] = 0.0

    @torch.no_grad()
    def accuracy(
        self, x: torch.Tensor, y: torch.Tensor, n_classes: int, batch_size: int
    ) -> tuple[float, np.ndarray]:
        correct = torch.zeros(n_classes, dtype=torch.float64)
        for s in range(0, len(x), batch_size):
            pred = self.work(x[s : s + batch_size].to(self.device)).argmax(dim=1).cpu()
            yb = y[s : s + batch_size]
            correct.index_add_(0, yb, (pred == yb).double())
        counts = torch.bincount(y, minlength=n_classes).double()
        per_class = torch.where(counts > 0, correct / counts.clamp(min=1), float("nan"))
        return float(correct.sum() / len(y)), per_class.numpy()


def _units_of(module: nn.Module) -> int:
    for attr in ("out_features", "out_channels", "num_features"):
        if hasattr(module, attr):
            return int(getattr(module, attr))
    raise UserInputError(f"cannot mask {type(module).__name__}")  # pragma: no cover


def pruning_curves(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor | np.ndarray,
    importance: ImportanceResult,
    *,
    steps: int = 10,
    fractions: Sequence[float] | None = None,
    orders: Sequence[str] = ORDERS,
    seeds: int | Sequence[int] = 5,
    target: int | None = None,
    batch_size: int = 256,
) -> PruningCurves:
    """Measure accuracy while removing units in importance, reverse and random order.

    Args:
        model: The model the importance was computed for (left unchanged).
        x: Held-out inputs ``[N, ...]`` (the test set: not the data importance was fitted on).
        y: Their labels ``[N]``.
        importance: From an estimator's ``result_``.
        steps: Equal steps from 0 to 100 % (10: every 10 %), unless ``fractions`` is given.
        fractions: Explicit fractions from 0 to 1 to measure.
        orders: Any of ``importance``, ``reverse``, ``random``.
        seeds: Number of random orders (or their seeds).
        target: Rank units by this class's importance instead of the overall importance.
        batch_size: Inputs per forward pass.

    Raises:
        UserInputError: Bad inputs, an unknown order, importance of another model, a ``target``
            class without importance (the message lists the classes there are).
    """
    x, labels = check_data(x, y)
    if labels is None:  # pragma: no cover - check_data returns labels when given
        raise UserInputError("pruning needs the labels y")
    frac = _fractions(fractions, steps)
    bad = [o for o in orders if o not in ORDERS]
    if bad or not orders:
        raise UserInputError(f"unknown order {bad}: choose from {', '.join(ORDERS)}")
    seed_list = tuple(range(seeds)) if isinstance(seeds, int) else tuple(int(s) for s in seeds)
    if "random" in orders and not seed_list:
        raise UserInputError("the random order needs at least one seed")
    graph = unit_graph(model, x[:1].to(model_device_dtype(model)[0]), importance.layer_names)
    for layer in importance.layers:
        if graph.layer(layer.name).n_units != len(layer.overall):
            raise UserInputError(
                f"the importance was computed for another model: {layer.name} has "
                f"{graph.layer(layer.name).n_units} units here, {len(layer.overall)} there"
            )
    if labels.min() < 0 or labels.max() >= graph.n_outputs:
        raise UserInputError(f"labels must be class indices 0 to {graph.n_outputs - 1}")
    row = None if target is None else importance.row(target)
    output = graph.output_layer or importance.output_layer
    pruned = [n for n in importance.layer_names if n != output]
    if not pruned:
        raise UserInputError(
            f"nothing to prune: the only unit layer is the output layer ({output})"
        )
    blocks = _blocks(pruned, graph.groups)
    scores = []
    for block in blocks:
        rows = [importance.layer(n) for n in block]
        scores.append(np.mean([r.overall if row is None else r.per_class[row] for r in rows], 0))
    norms = dict(graph.norms)
    points = {n: [norms.get(n, n)] for n in pruned}
    kinds = {u.name: u.kind for u in graph.layers}
    n_classes = graph.n_outputs

    work = copy.deepcopy(model).eval()
    masker = _Masker(work, points, kinds)
    runs: dict[str, list[np.ndarray]] = {}
    per_class_runs: dict[str, list[np.ndarray]] = {}
    plan = [(o, s) for o in orders for s in (seed_list if o == "random" else (None,))]
    cache: dict[str, tuple[float, np.ndarray]] = {}
    bar = progress(total=len(plan) * len(frac), desc="pruning", unit="step")
    with HookSet() as hooks:
        masker.hook_all(hooks)
        for order, seed in plan:
            perms = _orders(scores, order, seed)
            acc, per_class = np.zeros(len(frac)), np.zeros((len(frac), n_classes))
            for i, f in enumerate(frac):
                counts = [int(round(f * len(p))) for p in perms]
                key = (
                    "none"
                    if not any(counts)
                    else ("all" if counts == [len(p) for p in perms] else "")
                )
                if key and key in cache:
                    acc[i], per_class[i] = cache[key]
                else:
                    removed: dict[str, np.ndarray] = {}
                    for block, perm, k in zip(blocks, perms, counts, strict=True):
                        for name in block:
                            removed[name] = perm[:k]
                    masker.set(removed)
                    acc[i], per_class[i] = masker.accuracy(x, labels, n_classes, batch_size)
                    if key:
                        cache[key] = (acc[i], per_class[i])
                bar.update(1)
            runs.setdefault(order, []).append(acc)
            per_class_runs.setdefault(order, []).append(per_class)
    bar.close()
    with np.errstate(invalid="ignore"):
        return PruningCurves(
            fractions=frac.astype(np.float32),
            accuracy=_stat(runs, np.mean),
            accuracy_std=_stat(runs, np.std),
            class_accuracy=_stat(per_class_runs, np.mean),
            class_accuracy_std=_stat(per_class_runs, np.std),
            target=target,
            seeds=seed_list if "random" in orders else (),
            layers=tuple(pruned),
            groups=tuple(b for b in blocks if len(b) > 1),
            traced=graph.traced,
            method=importance.method,
            notes=graph.notes,
        )


def _stat(runs: dict[str, list[np.ndarray]], fn: Any) -> dict[str, np.ndarray]:
    """Mean or spread over the seeds of each order, as float32."""
    return {o: np.asarray(fn(v, axis=0), dtype=np.float32) for o, v in runs.items()}


def _blocks(pruned: list[str], groups: Sequence[Sequence[str]]) -> list[tuple[str, ...]]:
    """Pruning blocks: a residual group (its pruned members), or a single layer."""
    out: list[tuple[str, ...]] = []
    grouped: set[str] = set()
    for group in groups:
        members = tuple(n for n in pruned if n in group)
        if members:
            out.append(members)
            grouped.update(members)
    out += [(n,) for n in pruned if n not in grouped]
    return out


def _orders(scores: list[np.ndarray], order: str, seed: int | None) -> list[np.ndarray]:
    """Per block, unit indices in the order they are removed."""
    if order == "importance":
        return [np.argsort(s, kind="stable") for s in scores]
    if order == "reverse":
        return [np.argsort(-s, kind="stable") for s in scores]
    rng = np.random.default_rng(seed)
    return [rng.permutation(len(s)) for s in scores]
