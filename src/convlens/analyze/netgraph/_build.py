"""The network as a layered graph: one slice per layer, a node per unit, an edge per connection.

Nodes are the units of :func:`unit_graph` (neurons of an ``nn.Linear``, channels of an
``nn.Conv2d``) plus the model's input: the first layer's input features for a Linear (nn_vis's
784 input neurons of an MNIST MLP) or its input channels for a Conv2d. Edges join every unit of a
layer to every unit of each layer it feeds; a Linear that reads a flattened ``[C, H, W]`` conv
output is joined to the *channels* (the ``H * W`` positions of a channel are one edge, weighted
by their summed ``|w|``). Layers whose channels a residual addition sums get extra one-to-one
edges (channel ``k`` to channel ``k``). Importance comes from an :class:`ImportanceResult`
(per class and overall, values relative within a layer) or is uniform when none is given; the
input layer's importance is derived from the first layer's (see :func:`network_graph`).

Layers the graph cannot show (recurrent, attention, embedding, 1-D/3-D convolutions...) are
named in ``NetGraph.notes`` and left out; everything else is still drawn.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from convlens.core import UserInputError
from convlens.modelkit import model_device_dtype, short_list

from ..importance._result import ImportanceResult
from ..importance._units import UnitGraph, unit_graph, unit_weights
from ._data import EDGE_CONNECTION, EDGE_RESIDUAL, INPUT, GraphLayer, NetGraph

_NORMS = (
    nn.modules.batchnorm._BatchNorm,
    nn.modules.instancenorm._InstanceNorm,
    nn.LayerNorm,
    nn.GroupNorm,
    nn.LocalResponseNorm,
)


def _unsupported(model: nn.Module) -> list[str]:
    """Modules with weights of their own that are neither Linear, Conv2d nor a normalisation."""
    out = []
    for name, module in model.named_modules():
        if not name or isinstance(module, (nn.Linear, nn.Conv2d, *_NORMS)):
            continue
        own = any(True for _ in module.parameters(recurse=False))
        kind = (nn.modules.conv._ConvNd, nn.RNNBase, nn.MultiheadAttention)
        inside = any(name.startswith(f"{o.split(' ')[0]}.") for o in out)
        if (own or isinstance(module, kind)) and not inside:
            out.append(f"{name} ({type(module).__name__})")
    return out


def _rel(a: np.ndarray) -> np.ndarray:
    m = float(a.max()) if a.size else 0.0
    return (a / m if m > 0 else np.zeros_like(a)).astype(np.float32)


def _input_size(module: nn.Module) -> int:
    if isinstance(module, nn.Conv2d):
        return int(module.in_channels)
    return int(module.in_features)


def _reads_input(module: nn.Module, x: torch.Tensor) -> bool:
    """Whether ``module`` can read the model input as it is (channels, or flattened features)."""
    if isinstance(module, nn.Conv2d):
        return x.ndim == 4 and int(x.shape[1]) == module.in_channels
    return int(x[0].numel()) == int(module.in_features) or int(x.shape[-1]) == module.in_features


def _unit_importance(
    ug: UnitGraph, importance: ImportanceResult | None, notes: list[str]
) -> tuple[tuple[int, ...], dict[str, tuple[np.ndarray, np.ndarray]]]:
    """Classes and ``{layer: (per_class [K, U], overall [U])}`` for the unit layers."""
    if importance is None:
        classes = tuple(range(ug.n_outputs))
        return classes, {
            u.name: (np.ones((len(classes), u.n_units), np.float32), np.ones(u.n_units, np.float32))
            for u in ug.layers
        }
    classes = tuple(importance.classes)
    known = {x.name: x for x in importance.layers}
    out, missing = {}, []
    for u in ug.layers:
        got = known.get(u.name)
        if got is None or got.per_class.shape != (len(classes), u.n_units):
            missing.append(u.name)
            out[u.name] = (
                np.ones((len(classes), u.n_units), np.float32),
                np.ones(u.n_units, np.float32),
            )
        else:
            out[u.name] = (got.per_class.astype(np.float32), got.overall.astype(np.float32))
    if missing:
        notes.append(
            f"no '{importance.method}' importance for {short_list(missing)}: drawn with uniform "
            "importance"
        )
    return classes, out


def network_graph(
    model: nn.Module,
    x: torch.Tensor,
    importance: ImportanceResult | None = None,
    *,
    layers: Sequence[str] | None = None,
) -> NetGraph:
    """The layered graph of ``model``, with importance per class from ``importance``.

    Runs one forward pass of ``x[:1]`` (the model is left exactly as it was).

    The input layer's importance is derived, since no estimator measures it: input ``i`` matters
    to class ``c`` as much as it feeds the first layer's units that matter to ``c``,
    ``sum_j |w_ji| * importance_c(j)``, divided by its largest value; an edge from the input is,
    like every edge, its source's overall importance times ``|w|``, relative within the pair.

    Args:
        model: Any ``nn.Module`` that returns class scores ``[N, classes]``.
        x: An input batch the model takes (one example is enough).
        importance: Unit and edge importance of the same model (default: uniform).
        layers: Linear/Conv2d layers to include (default: all that run).

    Returns:
        The :class:`NetGraph`.

    Raises:
        UserInputError: The model has no Linear or Conv2d layer, or returns no class scores.
    """
    if not isinstance(x, torch.Tensor) or x.ndim < 2 or x.shape[0] == 0:
        raise UserInputError("x must be an input batch torch.Tensor [N, ...] with N >= 1")
    xin = x[:1].to(model_device_dtype(model)[0])
    if not xin.is_floating_point():
        xin = xin.float()
    ug = unit_graph(model, xin, layers)
    notes: list[str] = []
    bad = _unsupported(model)
    if bad:
        notes.append(
            f"the graph cannot show {', '.join(bad)}: left out, the other layers are drawn"
        )
    notes += list(ug.notes)
    modules = dict(model.named_modules())
    fed = {c.target for c in ug.connections}
    sourceless = [u.name for u in ug.layers if u.name not in fed]
    from_input = [n for n in sourceless if _reads_input(modules[n], xin)]
    n_input = _input_size(modules[from_input[0]]) if from_input else 0
    for n in sourceless:
        if n not in from_input:
            notes.append(f"{n} reads something the graph cannot show: drawn without edges into it")
    classes, unit_imp = _unit_importance(ug, importance, notes)
    K = len(classes)

    slices = [GraphLayer(INPUT, INPUT, n_input, 0)] if n_input else []
    first = n_input
    for u in ug.layers:
        slices.append(GraphLayer(u.name, u.kind, u.n_units, first))
        first += u.n_units
    start = {s.name: s.first for s in slices}

    # input importance, derived from the first layers' units
    in_weights = {}
    for n in from_input:
        w = unit_weights(modules[n], n_input, 1)
        if w is not None:
            in_weights[n] = w.cpu().double().numpy()
    if n_input:
        if importance is None:
            in_class = np.ones((K, n_input), np.float32)
            in_overall = np.ones(n_input, np.float32)
        else:
            acc = np.zeros((K, n_input))
            for n, w in in_weights.items():
                acc += unit_imp[n][0].astype(np.float64) @ w
            in_class = _rel(acc)
            in_overall = _rel(in_class.mean(axis=0))
    node_class = ([in_class.T] if n_input else []) + [unit_imp[u.name][0].T for u in ug.layers]
    node_overall = ([in_overall] if n_input else []) + [unit_imp[u.name][1] for u in ug.layers]

    src, dst, imp, kind = [], [], [], []

    def dense(s: str, t: str, n_s: int, n_t: int, values: np.ndarray) -> None:
        jj, ii = np.meshgrid(np.arange(n_t), np.arange(n_s), indexing="ij")
        src.append((start[s] + ii).ravel())
        dst.append((start[t] + jj).ravel())
        imp.append(values.astype(np.float32).ravel())
        kind.append(np.full(n_s * n_t, EDGE_CONNECTION, np.uint8))

    for n, w in in_weights.items():
        values = np.ones_like(w) if importance is None else _rel(in_overall[None, :] * w)
        dense(INPUT, n, n_input, w.shape[0], values)
    edge_imp = {} if importance is None else {(e.source, e.target): e for e in importance.edges}
    sizes = {u.name: u.n_units for u in ug.layers}
    for c in ug.connections:
        n_s, n_t = sizes[c.source], sizes[c.target]
        got = edge_imp.get((c.source, c.target))
        if got is not None and got.overall.shape == (n_t, n_s):
            values = got.overall
        else:
            if importance is not None:
                notes.append(f"{c.source} -> {c.target}: no edge importance, drawn uniform")
            values = np.ones((n_t, n_s), np.float32)
        dense(c.source, c.target, n_s, n_t, values)
    order = {s.name: i for i, s in enumerate(slices)}
    overall_of = dict(zip([s.name for s in slices], node_overall, strict=True))
    for group in ug.groups:
        members = sorted(group, key=order.__getitem__)
        for a, b in zip(members, members[1:], strict=False):
            k = np.arange(sizes[a])
            src.append(start[a] + k)
            dst.append(start[b] + k)
            imp.append(((overall_of[a] + overall_of[b]) / 2).astype(np.float32))
            kind.append(np.full(len(k), EDGE_RESIDUAL, np.uint8))

    def cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)

    return NetGraph(
        layers=tuple(slices),
        classes=classes,
        n_classes=ug.n_outputs,
        node_importance=np.concatenate(node_class, axis=0).astype(np.float32).reshape(-1, K),
        node_overall=np.concatenate(node_overall).astype(np.float32),
        edge_source=cat(src, np.int32),
        edge_target=cat(dst, np.int32),
        edge_importance=cat(imp, np.float32),
        edge_kind=cat(kind, np.uint8),
        method=None if importance is None else importance.method,
        notes=tuple(notes),
    )
