"""How much each neuron, channel and connection matters, per class: estimators in ``IMPORTANCE``.

Every estimator follows the scikit-learn contract: the constructor stores the model and the
parameters, ``fit(x, y)`` computes, and the result is ``result_`` (an :class:`ImportanceResult`),
with ``per_class_`` and ``overall_`` as name -> array shortcuts. A subclass adds only its
distinctive step, ``_scores``: raw, non-negative scores ``[K, U]`` per unit layer. The base
class normalises them per layer and derives edge importance (source importance × ``|weight|``).
The caller's model is never changed: estimators work on a copy or under a guard that restores
training flags, ``requires_grad`` and grad mode, and every hook is removed in ``finally``.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from convlens.core import HookSet, UserInputError, progress
from convlens.modelkit import guarded, model_device_dtype

from ._base import IMPORTANCE, UnitImportance
from ._units import UnitGraph, unit_weights

__all__ = [
    "IMPORTANCE",
    "BNGammaImportance",
    "TaylorImportance",
    "UnitImportance",
    "WeightImportance",
]


def _labels(y: torch.Tensor | None, method: str) -> torch.Tensor:
    if y is None:
        raise UserInputError(f"importance method '{method}' needs the class labels y")
    return y


def _unit_axis(kind: str, n: int) -> tuple[int, ...]:
    """Shape that broadcasts a per-unit vector over a layer's output."""
    return (1, n, 1, 1) if kind == "conv" else (n,)


def _per_unit(t: torch.Tensor, kind: str) -> torch.Tensor:
    """``[B, U]`` from a layer output: conv channels summed over positions, Linear as is."""
    if kind == "conv":
        return t.sum(dim=(2, 3))
    return t.reshape(t.shape[0], -1, t.shape[-1]).sum(dim=1)


@IMPORTANCE.register("bn_gamma", help="nn_vis: train a per-unit scale (BN gamma) per class")
class BNGammaImportance(UnitImportance):
    """The nn_vis method: a trainable scale per unit, trained for "this class vs the rest".

    On a copy of the model, every chosen Linear/Conv2d output is multiplied by a per-unit
    ``gamma`` (a batch-norm's scale, starting at 1) with an L1 penalty on ``gamma``; nn_vis's
    default (``GAMMA | L1``: no shift, Keras' ``l1()`` = 0.01). nn_vis inserts a whole,
    normalising batch-norm; here the normalisation is left out on purpose, so that the trained
    network computes exactly what it did before the first step. Everything else is frozen and in
    eval mode. For class ``c`` the output becomes "c vs the rest":
    ``z = logit_c - logsumexp(other logits)``, the log-odds of ``c`` under the model's own
    softmax (nn_vis sums the other logits instead), trained with binary cross-entropy. Each
    epoch takes every image of ``c`` and as many others drawn at random (balanced, new each
    epoch). Only the scales train (Adam). Raw importance is ``|gamma|`` per unit and class: a
    unit the class needs holds its scale against the penalty, one it does not need (or a dead
    one) shrinks. With few images the scales move little from 1; their order is what counts.
    Cost: ``epochs × 2 × images of c`` forward and backward passes per class.

    Args:
        model: Any ``nn.Module`` returning class scores.
        layers: Linear/Conv2d layers to measure (default: all).
        classes: Class indices (default: all).
        epochs: Passes over each class's balanced set (nn_vis: 20).
        lr: Adam learning rate (nn_vis: 1e-3).
        batch_size: Images per step (nn_vis: 128).
        l1: Weight of the L1 penalty on the scales (nn_vis: 0.01; 0 for none).
        seed: Seeds the balanced draws and the shuffling (a local generator).
    """

    method = "bn_gamma"

    def __init__(
        self,
        model: nn.Module,
        *,
        layers: Sequence[str] | None = None,
        classes: Sequence[int] | None = None,
        epochs: int = 20,
        lr: float = 1e-3,
        batch_size: int = 128,
        l1: float = 0.01,
        seed: int = 0,
    ) -> None:
        super().__init__(model, layers=layers, classes=classes)
        self.epochs = epochs
        self.lr = lr
        self.l1 = l1
        self.batch_size = batch_size
        self.seed = seed

    def _scores(
        self, graph: UnitGraph, x: torch.Tensor, y: torch.Tensor | None, classes: tuple[int, ...]
    ) -> tuple[dict[str, np.ndarray], list[str]]:
        if self.epochs < 1 or self.batch_size < 1 or not self.lr > 0 or self.l1 < 0:
            raise UserInputError(
                "epochs and batch_size must be at least 1, lr positive and l1 0 or more"
            )
        if graph.n_outputs < 2:
            raise UserInputError("'this class vs the rest' needs a model with two classes or more")
        y = _labels(y, self.method)
        work = copy.deepcopy(self.model).eval()
        work.requires_grad_(False)
        device, dtype = model_device_dtype(work)
        modules = dict(work.named_modules())
        scale = {u.name: torch.ones(u.n_units, device=device, dtype=dtype) for u in graph.layers}
        params = list(scale.values())
        for p in params:
            p.requires_grad_(True)
        kinds = {u.name: u.kind for u in graph.layers}

        def affine(name: str) -> Any:
            shape = _unit_axis(kinds[name], len(scale[name]))

            def hook(_m: nn.Module, _a: Any, out: torch.Tensor) -> torch.Tensor:
                return out * scale[name].view(shape)

            return hook

        raw = {u.name: np.zeros((len(classes), u.n_units)) for u in graph.layers}
        notes: list[str] = []
        with HookSet() as hooks, torch.enable_grad():
            for name in scale:
                hooks.add(modules[name].register_forward_hook(affine(name)))
            for k, c in enumerate(progress(classes, desc="bn_gamma: classes", unit="class")):
                pos = torch.nonzero(y == c).flatten()
                neg = torch.nonzero(y != c).flatten()
                if len(pos) == 0 or len(neg) == 0:
                    notes.append(f"class {c}: no images {'of it' if not len(pos) else 'of others'}")
                    continue
                with torch.no_grad():
                    for p in scale.values():
                        p.fill_(1.0)
                self._train_class(work, x, c, pos, neg, params, device)
                for name, p in scale.items():
                    raw[name][k] = p.detach().abs().cpu().double().numpy()
        return raw, notes

    def _train_class(
        self,
        work: nn.Module,
        x: torch.Tensor,
        c: int,
        pos: torch.Tensor,
        neg: torch.Tensor,
        params: list[torch.Tensor],
        device: torch.device,
    ) -> None:
        opt = torch.optim.Adam(params, lr=self.lr)
        gen = torch.Generator().manual_seed(int(self.seed) * 1_000_003 + c)
        n_neg = min(len(pos), len(neg))
        for _ in range(self.epochs):
            chosen = neg[torch.randperm(len(neg), generator=gen)[:n_neg]]
            idx = torch.cat([pos, chosen])
            idx = idx[torch.randperm(len(idx), generator=gen)]
            for s in range(0, len(idx), self.batch_size):
                b = idx[s : s + self.batch_size]
                out = work(x[b].to(device))
                rest = torch.cat([out[:, :c], out[:, c + 1 :]], dim=1).logsumexp(dim=1)
                target = torch.isin(b, pos).to(out.dtype)
                loss = F.binary_cross_entropy_with_logits(out[:, c] - rest, target)
                if self.l1:
                    loss = loss + self.l1 * sum(p.abs().sum() for p in params)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()


@IMPORTANCE.register("taylor", help="first-order Taylor: |activation × gradient| per class")
class TaylorImportance(UnitImportance):
    """First-order Taylor importance (Molchanov et al., 2017), per class.

    For an image of class ``c`` and unit ``u``, removing the unit (setting its output to zero)
    changes the logit of ``c`` by about ``-sum(a_u * g_u)``, where ``a_u`` is the unit's output and
    ``g_u`` the gradient of the logit with respect to it, summed over a channel's positions. The
    raw importance of ``u`` for ``c`` is ``|sum(a_u * g_u)|`` averaged over the images of ``c``.

    Args:
        model: Any ``nn.Module`` returning class scores.
        layers: Linear/Conv2d layers to measure (default: all).
        classes: Class indices (default: all).
        batch_size: Images per forward and backward pass.
    """

    method = "taylor"

    def __init__(
        self,
        model: nn.Module,
        *,
        layers: Sequence[str] | None = None,
        classes: Sequence[int] | None = None,
        batch_size: int = 128,
    ) -> None:
        super().__init__(model, layers=layers, classes=classes)
        self.batch_size = batch_size

    def _scores(
        self, graph: UnitGraph, x: torch.Tensor, y: torch.Tensor | None, classes: tuple[int, ...]
    ) -> tuple[dict[str, np.ndarray], list[str]]:
        if self.batch_size < 1:
            raise UserInputError("batch_size must be at least 1")
        y = _labels(y, self.method)
        keep = torch.isin(y, torch.tensor(classes))
        x, y = x[keep], y[keep]
        row = torch.full((graph.n_outputs,), -1, dtype=torch.long)
        row[list(classes)] = torch.arange(len(classes))
        names = graph.names
        kinds = {u.name: u.kind for u in graph.layers}
        sums = {
            u.name: torch.zeros(len(classes), u.n_units, dtype=torch.float64) for u in graph.layers
        }
        modules = dict(self.model.named_modules())
        device, _ = model_device_dtype(self.model)
        acts: dict[str, torch.Tensor] = {}

        def keep_output(name: str) -> Any:
            def hook(_m: nn.Module, _a: Any, out: torch.Tensor) -> None:
                acts.setdefault(name, out)

            return hook

        with guarded(self.model, grad=True), HookSet() as hooks:
            for name in names:
                hooks.add(modules[name].register_forward_hook(keep_output(name)))
            batches = range(0, len(x), self.batch_size)
            for s in progress(batches, desc="taylor", unit="batch"):
                acts.clear()
                xb = x[s : s + self.batch_size].to(device).detach().requires_grad_(True)
                yb = y[s : s + self.batch_size]
                out = self.model(xb)
                score = out.gather(1, yb.to(out.device).unsqueeze(1)).sum()
                grads = torch.autograd.grad(score, [acts[n] for n in names], allow_unused=True)
                for name, g in zip(names, grads, strict=True):
                    if g is None:
                        continue
                    taylor = _per_unit(acts[name].detach() * g, kinds[name]).abs()
                    sums[name].index_add_(0, row[yb], taylor.double().cpu())
            acts.clear()
        counts = torch.bincount(row[y], minlength=len(classes)).double().clamp(min=1)
        notes = [f"class {c}: no images" for c, n in zip(classes, counts, strict=True) if n == 0]
        return {n: (sums[n] / counts[:, None]).numpy() for n in names}, notes


@IMPORTANCE.register("weight", help="weight magnitude: L1 of incoming × outgoing weights")
class WeightImportance(UnitImportance):
    """Weight magnitude, the same for every class (no data needed beyond one input).

    The raw importance of a unit is the L1 norm of its incoming weights (its row of the weight
    matrix, or its kernel) times the L1 norm of its outgoing weights (the columns of the unit
    layers it feeds; for a flattened channel, every position of the channel). A unit that
    receives nothing or sends nothing scores 0, and rescaling a ReLU unit's incoming weights by
    ``s`` and its outgoing ones by ``1/s`` leaves the score unchanged. The output layer, which
    feeds nothing, scores by its incoming weights alone.

    Args:
        model: Any ``nn.Module`` returning class scores.
        layers: Linear/Conv2d layers to measure (default: all).
        classes: Class indices of the rows (default: all; every row is the same).
    """

    method = "weight"
    needs_labels = False

    def _scores(
        self, graph: UnitGraph, x: torch.Tensor, y: torch.Tensor | None, classes: tuple[int, ...]
    ) -> tuple[dict[str, np.ndarray], list[str]]:
        modules = dict(self.model.named_modules())
        raw = {}
        for unit in graph.layers:
            w = modules[unit.name].weight.detach().abs().double().cpu()
            incoming = w.reshape(w.shape[0], -1).sum(dim=1)
            outgoing = torch.zeros(unit.n_units, dtype=torch.float64)
            feeds = [c for c in graph.connections if c.source == unit.name]
            for conn in feeds:
                wt = unit_weights(modules[conn.target], unit.n_units, conn.positions, conn.offset)
                if wt is not None:
                    outgoing += wt.double().cpu().sum(dim=0)
            score = incoming * (outgoing if feeds else 1.0)
            raw[unit.name] = np.repeat(score.numpy()[None], len(classes), axis=0)
        return raw, []
