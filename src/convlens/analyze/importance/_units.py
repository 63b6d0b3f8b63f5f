"""The units of a model and how they connect: neurons of Linear layers, channels of Conv2d layers.

Importance and pruning work on *units*: the output neurons of an ``nn.Linear`` and the output
channels of an ``nn.Conv2d``. This module finds them in execution order (one forward pass with
hooks), and, when ``torch.fx`` can trace the model, reads from its graph which unit layer feeds
which (through activations, pooling, flatten and residual additions) and which channels are
coupled because two layers' outputs are added together. When tracing fails the layers are taken
as a chain in execution order and no coupling is assumed; ``UnitGraph.notes`` says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from convlens.core import HookSet, NotFoundError, UserInputError
from convlens.modelkit import guarded, short_list

from ._trace import fx_structure


@dataclass(frozen=True)
class UnitLayer:
    """One layer whose outputs are units.

    Attributes:
        name: Module name (as in ``model.named_modules()``).
        kind: ``"linear"`` (units are neurons) or ``"conv"`` (units are channels).
        n_units: Output features or output channels.
    """

    name: str
    kind: str
    n_units: int


@dataclass(frozen=True)
class Connection:
    """Unit layer ``source`` feeds unit layer ``target``.

    Attributes:
        source: The feeding layer.
        target: The fed layer.
        positions: Inputs of ``target`` per unit of ``source``: 1 when they match one to one,
            ``H * W`` when a Linear reads a flattened ``[C, H, W]`` conv output (channel major).
        offset: The channel of ``target``'s input where ``source``'s first unit lands (not 0
            when ``target`` reads a concatenation).
        groups: ``target``'s convolution groups: with more than 1, an output channel reads only
            the input channels of its group (``in_channels`` groups: depthwise, one to one).
    """

    source: str
    target: str
    positions: int
    offset: int = 0
    groups: int = 1


@dataclass(frozen=True)
class UnitGraph:
    """Unit layers, their connections and residual groups.

    Attributes:
        layers: Unit layers in execution order.
        connections: Which unit layer feeds which.
        groups: Layers whose channels are coupled by residual additions (channel ``k`` of every
            layer in a group is summed into one channel), each of two or more layers.
        output_layer: The unit layer that gives the model's output directly, chosen or not
            (``None`` if unsure).
        n_outputs: Number of class scores the model returns.
        norms: ``(unit layer, batch-norm module)`` pairs where a BatchNorm is the only reader of
            the layer's output (found by tracing): removing a unit must silence both.
        traced: Whether ``torch.fx`` traced the model (otherwise a chain is assumed).
        notes: What could not be worked out, in words.
        gates: ``(gate, gated)`` pairs: channel ``k`` of ``gate`` (after its sigmoid) scales
            channel ``k`` of ``gated``, as squeeze-excite blocks do.
        unknown: Unit layers whose input channels could not be followed (why: in ``notes``).
    """

    layers: tuple[UnitLayer, ...]
    connections: tuple[Connection, ...]
    groups: tuple[tuple[str, ...], ...]
    output_layer: str | None
    n_outputs: int
    norms: tuple[tuple[str, str], ...]
    traced: bool
    notes: tuple[str, ...]
    gates: tuple[tuple[str, str], ...] = ()
    unknown: tuple[str, ...] = ()

    def layer(self, name: str) -> UnitLayer:
        """The unit layer called ``name``; an unknown name lists the unit layers."""
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise NotFoundError(f"'{name}' is not a unit layer: choose one of {short_list(self.names)}")

    @property
    def names(self) -> list[str]:
        """Unit layer names in execution order."""
        return [layer.name for layer in self.layers]


def _kind(module: nn.Module) -> str | None:
    if isinstance(module, nn.Linear):
        return "linear"
    if isinstance(module, nn.Conv2d):
        return "conv"
    return None


def n_units(module: nn.Module) -> int:
    """Output neurons of a Linear, output channels of a Conv2d."""
    return int(module.out_features if isinstance(module, nn.Linear) else module.out_channels)


def unit_weights(
    module: nn.Module, n_source: int, positions: int, offset: int = 0
) -> torch.Tensor | None:
    """``|w|`` between each source unit and each unit of ``module``: ``[n_units, n_source]``.

    For a Conv2d this is the kernel's L1 norm (sum of ``|w|`` over the kernel) between input
    channel ``offset + i`` and output channel ``j``, 0 where a grouped convolution does not
    connect them; for a Linear reading a flattened conv output, the ``|w|`` of the
    ``positions`` inputs that come from channel ``offset + i``, summed. ``None`` when the
    shapes do not fit.
    """
    w = module.weight.detach().abs().float()
    if isinstance(module, nn.Conv2d):
        if offset + n_source > module.in_channels:
            return None
        k = w.sum(dim=(2, 3))  # [out, in / groups]
        if module.groups != 1:
            out_pg, in_pg = module.out_channels // module.groups, k.shape[1]
            full = torch.zeros(module.out_channels, module.in_channels)
            cols = (torch.arange(module.out_channels) // out_pg)[:, None] * in_pg
            full.scatter_(1, cols + torch.arange(in_pg)[None, :], k)
            k = full
        return k[:, offset : offset + n_source]
    a, b = offset * positions, (offset + n_source) * positions
    if b > w.shape[1]:
        return None
    return w[:, a:b].reshape(w.shape[0], n_source, positions).sum(dim=2)


def _positions(module: nn.Module, segments: list[tuple[str, int, int]]) -> int | None:
    """Inputs of ``module`` per channel of the value made of ``segments``."""
    width = max(o + w for _, o, w in segments)
    if isinstance(module, nn.Conv2d):
        return 1 if module.in_channels == width else None
    fin = int(module.in_features)
    return fin // width if fin % width == 0 else None


def _input_size(module: nn.Module) -> int:
    return int(module.in_channels if isinstance(module, nn.Conv2d) else module.in_features)


def _execution_order(
    model: nn.Module, x: torch.Tensor, chosen: dict[str, nn.Module]
) -> tuple[list[str], torch.Tensor]:
    order: list[str] = []

    def record(name: str) -> Any:
        def hook(_m: nn.Module, _a: Any, _o: Any) -> None:
            if name not in order:
                order.append(name)

        return hook

    with guarded(model, grad=False), HookSet() as hooks:
        for name, module in chosen.items():
            hooks.add(module.register_forward_hook(record(name)))
        out = model(x)
    if not isinstance(out, torch.Tensor) or out.ndim != 2:
        shape = list(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise UserInputError(
            f"{type(model).__name__} returns {shape}, not class scores [N, classes]: wrap it so "
            "forward() returns the logits"
        )
    return order, out


def _merge(joins: list[set[str]], sizes: dict[str, int]) -> tuple[list[tuple[str, ...]], list[str]]:
    """Union the residual sets into groups of layers with the same number of units."""
    parent = {n: n for j in joins for n in j}

    def find(n: str) -> str:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    notes = []
    for j in joins:
        members = sorted(j)
        if len({sizes[m] for m in members}) != 1:
            notes.append(f"layers {', '.join(members)} are added together but differ in size")
            continue
        for m in members[1:]:
            parent[find(m)] = find(members[0])
    groups: dict[str, list[str]] = {}
    for n in parent:
        groups.setdefault(find(n), []).append(n)
    return [tuple(g) for g in groups.values() if len(g) > 1], notes


def unit_graph(model: nn.Module, x: torch.Tensor, layers: Sequence[str] | None = None) -> UnitGraph:
    """Find the unit layers of ``model``, how they connect and which are coupled.

    Runs one forward pass of ``x`` (the model is left as it was) and tries ``torch.fx``.

    Args:
        model: Any ``nn.Module`` that returns class scores ``[N, classes]``.
        x: A small input batch (one example is enough).
        layers: Names of Linear/Conv2d modules to use (default: all that run).

    Raises:
        UserInputError: The model has no Linear or Conv2d layer, or ``layers`` names a module
            that is not one (the message lists those there are).
    """
    all_units = {n: m for n, m in model.named_modules() if n and _kind(m) is not None}
    if not all_units:
        raise UserInputError(
            f"{type(model).__name__} has no Linear or Conv2d layers: importance is measured per "
            "neuron of an nn.Linear and per channel of an nn.Conv2d"
        )
    if layers is not None:
        missing = [n for n in layers if n not in all_units]
        if missing or not layers:
            raise NotFoundError(
                f"{', '.join(map(repr, missing)) or 'no layer'} given: choose Linear or Conv2d "
                f"layers of {type(model).__name__}: {short_list(list(all_units))}"
            )
    # The structure is read over every unit layer (so edges never skip one), then restricted.
    full, out = _execution_order(model, x, all_units)
    chosen = set(full if layers is None else layers)
    order = [n for n in full if n in chosen]
    if not order:
        raise UserInputError(
            f"none of the layers {short_list(sorted(chosen))} ran in {type(model).__name__}'s "
            "forward pass"
        )
    sizes = {n: n_units(all_units[n]) for n in full}
    unit_layers = tuple(UnitLayer(n, str(_kind(all_units[n])), sizes[n]) for n in order)
    notes: list[str] = []
    unknown: list[str] = []
    try:
        fx = fx_structure(model, full, x)
        feeds, joins, output, norms, gates = fx.feeds, fx.joins, fx.output, fx.norms, fx.gates
        notes += fx.notes
        traced = True
    except Exception as exc:  # noqa: BLE001 - any tracing failure means: use the chain
        reason = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
        notes.append(
            f"torch.fx could not trace {type(model).__name__} ({reason}): unit layers are taken "
            "as a chain in execution order and residual groups are not detected"
        )
        feeds = {t: [(s, 0, sizes[s])] for s, t in zip(full, full[1:], strict=False)}
        joins, output, norms, gates, traced = [], full[-1], {}, [], False
    connections = []
    for target in order:
        segments = feeds.get(target, [])
        if segments is None:
            unknown.append(target)
            continue
        module = all_units[target]
        pos = _positions(module, segments) if segments else None
        used = [s for s in segments if s[0] in chosen]
        if used and pos is None:
            width = max(o + w for _, o, w in segments)
            notes.append(
                f"{target} reads {width} channels from {', '.join(s[0] for s in segments)} "
                f"but takes {_input_size(module)} inputs: no edges into it"
            )
            continue
        groups = int(module.groups) if isinstance(module, nn.Conv2d) else 1
        for source, offset, _ in used:
            connections.append(Connection(source, target, int(pos or 1), offset, groups))
    joins = [j & chosen for j in joins if len(j & chosen) >= 2]
    norms = {k: v for k, v in norms.items() if k in chosen}
    groups, more = _merge(joins, sizes)
    kept_gates = tuple(
        (g, m) for g, m in gates if g in chosen and m in chosen and sizes[g] == sizes[m]
    )
    return UnitGraph(
        layers=unit_layers,
        connections=tuple(connections),
        groups=tuple(groups),
        output_layer=output,
        n_outputs=int(out.shape[1]),
        norms=tuple(norms.items()),
        traced=traced,
        notes=tuple(notes + more),
        gates=kept_gates,
        unknown=tuple(unknown),
    )
