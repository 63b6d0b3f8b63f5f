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

What else the graph shows: a grouped convolution joins each channel only to the input channels
of its group (a depthwise one: channel ``k`` to channel ``k``); a concatenation joins each part
to the channels it lands on; a squeeze-excite block is drawn as its convolutions (or Linears)
plus one-to-one *gate* edges from its last layer to the channels it scales; a BatchNorm (or
other normalisation) that follows a layer is part of that layer's nodes (``GraphLayer.norm``).

Big models are aggregated: when the connections hold more than ``max_edges`` edges, only the
``k`` most important edges into each unit from each layer feeding it are kept (``k`` as large
as the budget allows, at least 1); nodes stay one per unit, and the notes say so.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from convlens.core import UserInputError
from convlens.modelkit import model_device_dtype, short_list

from ..importance._result import ImportanceResult
from ..importance._units import Connection, UnitGraph, unit_graph, unit_weights
from ._data import EDGE_CONNECTION, EDGE_GATE, EDGE_RESIDUAL, INPUT, GraphLayer, NetGraph

MAX_EDGES = 100_000
"""Connection edges above which a graph is aggregated (top ``k`` per unit)."""

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
    ug: UnitGraph,
    importance: ImportanceResult | None,
    notes: list[str],
    wanted: Sequence[int] | None = None,
) -> tuple[tuple[int, ...], dict[str, tuple[np.ndarray, np.ndarray]]]:
    """Classes and ``{layer: (per_class [K, U], overall [U])}`` for the unit layers."""
    if importance is None:
        classes = tuple(range(ug.n_outputs)) if wanted is None else tuple(wanted)
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


def _unit_importance_for(
    classes: Sequence[int] | None,
    ug: UnitGraph,
    importance: ImportanceResult | None,
    notes: list[str],
) -> tuple[tuple[int, ...], dict[str, tuple[np.ndarray, np.ndarray]]]:
    """:func:`_unit_importance`, keeping only the columns of ``classes`` (default: all)."""
    have, imp = _unit_importance(ug, importance, notes, classes)
    if classes is None:
        return have, imp
    missing = [c for c in classes if c not in have]
    if missing:
        raise UserInputError(
            f"classes {short_list([str(c) for c in missing])} have no importance: choose among "
            f"{short_list([str(c) for c in have])}"
        )
    cols = [have.index(c) for c in classes]
    return tuple(classes), {k: (v[0][cols], v[1]) for k, v in imp.items()}


def _pairs(conn: Connection, n_s: int, n_t: int, module: nn.Module) -> tuple[np.ndarray, ...]:
    """``(target unit [P], source unit [P])``: the pairs a connection joins."""
    if conn.groups == 1:
        jj, ii = np.meshgrid(np.arange(n_t), np.arange(n_s), indexing="ij")
        return jj.ravel(), ii.ravel()
    in_pg = int(module.in_channels) // conn.groups
    out_pg = n_t // conn.groups
    jj = np.repeat(np.arange(n_t), in_pg)
    ii = (jj // out_pg) * in_pg + np.tile(np.arange(in_pg), n_t) - conn.offset
    ok = (ii >= 0) & (ii < n_s)
    return jj[ok], ii[ok]


def _fan_in(conn: Connection, n_s: int, module: nn.Module) -> int:
    return n_s if conn.groups == 1 else min(n_s, int(module.in_channels) // conn.groups)


def _nearest_addend(
    conns: list[Connection], ug: UnitGraph, order: dict[str, int]
) -> tuple[list[Connection], int]:
    """``conns`` without those from the earlier addends of a residual sum into one layer."""
    group_of = {n: i for i, g in enumerate(ug.groups) for n in g}
    last: dict[tuple[str, int, int], int] = {}
    for c in conns:
        g = group_of.get(c.source)
        if g is not None:
            key = (c.target, g, c.offset)
            last[key] = max(last.get(key, -1), order[c.source])
    kept = [
        c
        for c in conns
        if c.source not in group_of
        or order[c.source] == last[(c.target, group_of[c.source], c.offset)]
    ]
    return kept, len(conns) - len(kept)


def _top_k(fan: list[tuple[int, int]], budget: int) -> int:
    """The largest ``k >= 1`` with ``sum n_t * min(k, fan_in) <= budget``."""
    lo, hi = 1, max(f for _, f in fan)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if sum(n * min(mid, f) for n, f in fan) <= budget:
            lo = mid
        else:
            hi = mid - 1
    return lo


def network_graph(
    model: nn.Module,
    x: torch.Tensor,
    importance: ImportanceResult | None = None,
    *,
    layers: Sequence[str] | None = None,
    classes: Sequence[int] | None = None,
    max_edges: int | None = MAX_EDGES,
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
        classes: Class indices to keep importance columns for (default: all; a model with
            1,000 classes wants a few, e.g. those of the probe set).
        max_edges: Connection edges above which only the most important ``k`` into each unit
            from each feeding layer are kept (``None``: never aggregate).

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
    from_input = [n for n in sourceless if n not in ug.unknown and _reads_input(modules[n], xin)]
    n_input = _input_size(modules[from_input[0]]) if from_input else 0
    for n in sourceless:
        if n in ug.unknown:
            notes.append(f"{n}: its input channels could not be followed, drawn without edges in")
        elif n not in from_input:
            notes.append(f"{n} reads something the graph cannot show: drawn without edges into it")
    norms = dict(ug.norms)
    if norms:
        notes.append(
            f"{len(norms)} normalisation layers are drawn as part of the layer they follow "
            f"(a node is a channel after its normalisation): "
            f"{short_list([f'{v} after {k}' for k, v in norms.items()])}"
        )
    classes, unit_imp = _unit_importance_for(classes, ug, importance, notes)
    K = len(classes)

    slices = [GraphLayer(INPUT, INPUT, n_input, 0)] if n_input else []
    first = n_input
    for u in ug.layers:
        m = modules[u.name]
        groups = int(m.groups) if isinstance(m, nn.Conv2d) else 1
        slices.append(GraphLayer(u.name, u.kind, u.n_units, first, groups, norms.get(u.name, "")))
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
    sizes = {u.name: u.n_units for u in ug.layers}
    sizes[INPUT] = n_input
    conns = [Connection(INPUT, n, 1) for n in in_weights] + list(ug.connections)
    fans = [(sizes[c.target], _fan_in(c, sizes[c.source], modules[c.target])) for c in conns]
    total = sum(n * f for n, f in fans)
    k = None
    if max_edges is not None and total > max_edges:
        conns, dropped = _nearest_addend(conns, ug, {s.name: i for i, s in enumerate(slices)})
        fans = [(sizes[c.target], _fan_in(c, sizes[c.source], modules[c.target])) for c in conns]
        k = _top_k(fans, max_edges)
        notes.append(
            f"aggregated: {total:,} connections, so only the {k} most important into each unit "
            f"from each layer feeding it are drawn (at most {max_edges:,} edges)"
            + (
                f"; a layer that reads a residual sum is joined to the last addend only, the "
                f"others reach it through the residual edges ({dropped} connections)"
                if dropped
                else ""
            )
        )
    edge_imp = {} if importance is None else {(e.source, e.target): e for e in importance.edges}
    for c in conns:
        n_s, n_t = sizes[c.source], sizes[c.target]
        if c.source == INPUT:
            w = in_weights[c.target]
            values = np.ones_like(w) if importance is None else _rel(in_overall[None, :] * w)
        else:
            got = edge_imp.get((c.source, c.target))
            if got is not None and got.overall.shape == (n_t, n_s):
                values = got.overall
            else:
                if importance is not None:
                    notes.append(f"{c.source} -> {c.target}: no edge importance, drawn uniform")
                values = np.ones((n_t, n_s), np.float32)
        jj, ii = _pairs(c, n_s, n_t, modules[c.target])
        fan = _fan_in(c, n_s, modules[c.target])
        if k is not None and fan > k:
            v = values[jj, ii].reshape(n_t, fan)
            keep = np.argpartition(-v, k - 1, axis=1)[:, :k]
            keep.sort(axis=1)
            keep += (np.arange(n_t) * fan)[:, None]
            jj, ii = jj[keep.ravel()], ii[keep.ravel()]
        src.append(start[c.source] + ii)
        dst.append(start[c.target] + jj)
        imp.append(values[jj, ii].astype(np.float32))
        kind.append(np.full(len(jj), EDGE_CONNECTION, np.uint8))
    order = {s.name: i for i, s in enumerate(slices)}
    overall_of = dict(zip([s.name for s in slices], node_overall, strict=True))

    def one_to_one(a: str, b: str, edge_kind: int) -> None:
        idx = np.arange(sizes[a])
        src.append(start[a] + idx)
        dst.append(start[b] + idx)
        imp.append(((overall_of[a] + overall_of[b]) / 2).astype(np.float32))
        kind.append(np.full(len(idx), edge_kind, np.uint8))

    for group in ug.groups:
        members = sorted(group, key=order.__getitem__)
        for a, b in zip(members, members[1:], strict=False):
            one_to_one(a, b, EDGE_RESIDUAL)
    for gate, gated in ug.gates:
        one_to_one(gate, gated, EDGE_GATE)
    if ug.gates:
        notes.append(
            f"{len(ug.gates)} squeeze-excite gates: channel k of the gate scales channel k of the "
            f"layer it follows (gate edges): {short_list([f'{g} -> {m}' for g, m in ug.gates])}"
        )

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
