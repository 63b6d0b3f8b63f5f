"""Which unit layer feeds which, read from ``torch.fx``: channel by channel, with offsets.

The model is traced with every Linear and Conv2d (subclasses included, whatever children they
hold, e.g. a padding module) and every normalisation kept as one call, and one forward pass of
``x`` gives each value's shape. Then every value of the graph is described as *segments*: which
unit layer's channels it carries, at which channel offset. Activations, normalisation, pooling,
flatten and dropout pass segments on; ``torch.cat`` along channels puts them side by side (a
concatenation); an addition joins them (a residual: channel ``k`` of every addend is summed);
a product of a value ``[N, C, H, W]`` with a ``[N, C, 1, 1]`` one is a *gate* (squeeze-excite:
the small one scales each channel of the big one); anything that moves channels elsewhere
(``view`` to more dimensions, channel shuffles) leaves them unknown, and says where.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from convlens.modelkit import guarded

_ADDS = {operator.add, operator.iadd, torch.add}
_MULS = {operator.mul, operator.imul, torch.mul}
_CATS = {torch.cat, torch.concat}
_NORMS = (
    nn.modules.batchnorm._BatchNorm,
    nn.modules.instancenorm._InstanceNorm,
    nn.LayerNorm,
    nn.GroupNorm,
)

Segment = tuple[str, int, int]
"""``(unit layer, channel offset, channels)``: part of a value's channels."""


@dataclass
class FxStructure:
    """What the trace says (see :func:`fx_structure`).

    Attributes:
        feeds: Per unit layer, the segments of its input (``None``: not known).
        joins: Sets of unit layers whose outputs one addition sums.
        gates: ``(gate, gated)`` pairs: channel ``k`` of ``gate`` scales channel ``k`` of
            ``gated`` (squeeze-excite).
        output: The unit layer that gives the model's output, if exactly one.
        norms: Unit layer -> the normalisation module that is the only reader of its output.
        notes: Places where channels could not be followed, in words.
    """

    feeds: dict[str, list[Segment] | None] = field(default_factory=dict)
    joins: list[set[str]] = field(default_factory=list)
    gates: list[tuple[str, str]] = field(default_factory=list)
    output: str | None = None
    norms: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


class _Tracer(torch.fx.Tracer):
    def __init__(self, leaves: set[int]) -> None:
        super().__init__()
        self.leaves = leaves

    def is_leaf_module(self, m: nn.Module, qualname: str) -> bool:
        return id(m) in self.leaves or super().is_leaf_module(m, qualname)


def _shape(node: Any) -> tuple[int, ...] | None:
    meta = node.meta.get("tensor_meta")
    shape = getattr(meta, "shape", None)
    return tuple(int(s) for s in shape) if shape is not None else None


def _is(node: Any, functions: set[Any], methods: tuple[str, ...]) -> bool:
    if node.op == "call_function" and node.target in functions:
        return True
    return node.op == "call_method" and node.target in methods


def _union(parts: list[list[Segment] | None]) -> list[Segment] | None:
    out: list[Segment] = []
    for p in parts:
        if p is None:
            return None
        out += [s for s in p if s not in out]
    return out


def _cat_dim(node: Any) -> int:
    dim = node.args[1] if len(node.args) > 1 else node.kwargs.get("dim", 0)
    return int(dim)


def fx_structure(model: nn.Module, names: list[str], x: torch.Tensor) -> FxStructure:
    """Trace ``model`` and follow the channels of the unit layers ``names``.

    Raises:
        Exception: Whatever ``torch.fx`` raises when it cannot trace the model.
    """
    modules = dict(model.named_modules())
    wanted = set(names)
    leaves = {id(modules[n]) for n in names}
    leaves |= {id(m) for m in modules.values() if isinstance(m, _NORMS)}
    graph = _Tracer(leaves).trace(model)
    gm = torch.fx.GraphModule(model, graph)
    try:
        from torch.fx.passes.shape_prop import ShapeProp

        with guarded(model, grad=False):
            ShapeProp(gm).propagate(x)
    except Exception:  # noqa: BLE001, S110 - shapes are a help: without them cat offsets are unknown
        pass
    out = FxStructure()
    seg: dict[Any, list[Segment] | None] = {}
    for node in graph.nodes:
        inputs = node.all_input_nodes
        if node.op in ("placeholder", "get_attr"):
            seg[node] = []
        elif node.op == "call_module" and node.target in wanted:
            name = str(node.target)
            if name not in out.feeds:
                out.feeds[name] = seg[inputs[0]] if inputs else []
                norm = _norm_after(node, modules)
                if norm is not None:
                    out.norms[name] = norm
            n = modules[name]
            width = int(n.out_features if isinstance(n, nn.Linear) else n.out_channels)
            seg[node] = [(name, 0, width)]
        elif _is(node, _CATS, ("cat",)):
            seg[node] = _concatenate(node, seg, out.notes)
        elif _is(node, _ADDS, ("add", "add_")):
            seg[node] = _union([seg[i] for i in inputs])
            joined = {s[0] for i in inputs for s in (seg[i] or [])}
            if len(inputs) >= 2 and len(joined) >= 2:
                out.joins.append(joined)
        elif _is(node, _MULS, ("mul", "mul_")) and len(inputs) == 2:
            seg[node] = _gate(inputs, seg, out.gates)
        elif node.op == "output":
            last = {s[0] for i in inputs for s in (seg[i] or [])}
            out.output = next(iter(last)) if len(last) == 1 else None
        else:
            seg[node] = _passed_on(node, inputs, seg, out.notes)
    return out


def _norm_after(node: Any, modules: dict[str, nn.Module]) -> str | None:
    """The BatchNorm module that is the only reader of ``node``'s output, if any."""
    users = list(node.users)
    if len(users) != 1 or users[0].op != "call_module":
        return None
    target = str(users[0].target)
    return target if isinstance(modules.get(target), nn.modules.batchnorm._BatchNorm) else None


def _concatenate(
    node: Any, seg: dict[Any, list[Segment] | None], notes: list[str]
) -> list[Segment] | None:
    parts = node.args[0] if node.args else node.kwargs.get("tensors", ())
    parts = [p for p in parts if isinstance(p, torch.fx.Node)]
    shapes = [_shape(p) for p in parts]
    if any(s is None or len(s) < 2 for s in shapes):
        return _union([seg[p] for p in parts])
    if _cat_dim(node) not in (1, 1 - len(shapes[0] or ())):
        return _union([seg[p] for p in parts])
    out: list[Segment] = []
    offset = 0
    for p, s in zip(parts, shapes, strict=True):
        if seg[p] is None:
            return None
        out += [(name, offset + o, w) for name, o, w in seg[p] or []]
        offset += int(s[1]) if s else 0
    return out


def _gate(
    inputs: list[Any], seg: dict[Any, list[Segment] | None], gates: list[tuple[str, str]]
) -> list[Segment] | None:
    a, b = inputs
    sa, sb = _shape(a), _shape(b)
    if sa is not None and sb is not None and len(sa) == len(sb) == 4 and sa[1] == sb[1]:
        if sb[2:] == (1, 1) and sa[2:] != (1, 1):
            gate, main = b, a
        elif sa[2:] == (1, 1) and sb[2:] != (1, 1):
            gate, main = a, b
        else:
            return _union([seg[a], seg[b]])
        for g in seg[gate] or []:
            for m in seg[main] or []:
                if (g[1], g[2]) == (m[1], m[2]) and (g[0], m[0]) not in gates:
                    gates.append((g[0], m[0]))
        return seg[main]
    return _union([seg[a], seg[b]])


def _passed_on(
    node: Any, inputs: list[Any], seg: dict[Any, list[Segment] | None], notes: list[str]
) -> list[Segment] | None:
    got = _union([seg[i] for i in inputs])
    if not got or not inputs:
        return got
    before, after = _shape(inputs[0]), _shape(node)
    if before is None or after is None or len(before) < 2 or len(after) < 2:
        return got
    flattened = len(after) == 2 and len(before) > 2
    if after[1] != before[1] and not flattened:
        layers = sorted({s[0] for s in got})
        notes.append(
            f"{node.name} ({node.target if isinstance(node.target, str) else node.op}) "
            f"rearranges the channels of {', '.join(layers)}: the graph cannot follow them"
        )
        return None
    return got
