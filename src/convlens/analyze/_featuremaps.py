"""Inside one forward pass: every layer's output, the layer list, feature maps reordered.

``layer_outputs`` and ``leaf_layers`` run the model once with forward hooks that live only for
that pass; ``order_channels`` reorders one layer's feature maps so similar maps sit together
(``CHANNEL_ORDERS``: ``natural``, ``kmeans``, ``pca``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from convlens.core import HookSet, Registry, UserInputError

from ._model import check_images, find_module, guarded, logits_of, model_device_dtype


def _to_device(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    device, dtype = model_device_dtype(model)
    return x.to(device=device, dtype=dtype)


def layer_outputs(
    model: nn.Module, x: torch.Tensor, layers: Sequence[str]
) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    """Run ``x`` through ``model`` once and keep the outputs of the named modules.

    The pass runs in eval mode without gradients; the model's train/eval flags are restored and
    the hooks removed afterwards, also when the pass raises.

    Args:
        model: Any ``nn.Module`` that returns class scores ``[N, K]``.
        x: Images ``[N, C, H, W]`` (``[C, H, W]`` is taken as one image).
        layers: Module names as in ``model.named_modules()``.

    Returns:
        ``(outputs, logits)``: detached CPU copies of each named module's output, keyed by
        name, and the model's detached CPU logits ``[N, K]``.

    Raises:
        UserInputError: An unknown layer, a layer that does not run exactly once per pass or
            returns something other than a tensor, or a model that does not return logits.
    """
    x = check_images(x)
    names = list(dict.fromkeys(layers))
    modules = {name: find_module(model, name) for name in names}
    calls: dict[str, list[Any]] = {name: [] for name in names}

    def record(name: str) -> Callable[[nn.Module, Any, Any], None]:
        def hook(_module: nn.Module, _args: Any, out: Any) -> None:
            # a copy: an in-place op later in the pass (ReLU(inplace=True)) must not change it
            calls[name].append(
                out.detach().to("cpu", copy=True) if isinstance(out, torch.Tensor) else out
            )

        return hook

    with guarded(model, grad=False), HookSet() as hooks:
        for name, module in modules.items():
            hooks.add(module.register_forward_hook(record(name)))
        logits = logits_of(model, _to_device(model, x)).detach().to("cpu", copy=True)

    outputs = {}
    for name, outs in calls.items():
        if len(outs) != 1:
            raise UserInputError(
                f"layer '{name}' ran {len(outs)} times in one forward pass, so its output is "
                "ambiguous: choose a module that runs exactly once (a reused module such as one "
                "ReLU called twice has no single output)"
            )
        if not isinstance(outs[0], torch.Tensor):
            raise UserInputError(
                f"layer '{name}' returns {type(outs[0]).__name__}, not a tensor: choose a "
                "submodule that returns a tensor"
            )
        outputs[name] = outs[0]
    return outputs, logits


def last_conv_layer(model: nn.Module) -> str | None:
    """Name of the last ``nn.Conv2d`` in ``model.named_modules()`` order (``None`` if none)."""
    last = None
    for name, module in model.named_modules():
        if isinstance(module, nn.Conv2d):
            last = name
    return last


@dataclass(frozen=True)
class LayerInfo:
    """One leaf module as it ran in a forward pass.

    Attributes:
        name: Module name as in ``model.named_modules()``.
        type: Class name (``"Conv2d"``).
        out_shape: Output shape without the batch dimension (the first tensor of a tuple
            output; ``()`` if the module returned no tensor).
        params: Number of the module's own parameters.
        kernel: Kernel size for convolutions and pools, else ``None``.
        stride: Stride for convolutions and pools, else ``None``.
        calls: How often the forward pass ran it (a reused module, such as one ReLU shared
            by a block, has no single output to show).
    """

    name: str
    type: str
    out_shape: tuple[int, ...]
    params: int
    kernel: tuple[int, ...] | None
    stride: tuple[int, ...] | None
    calls: int = 1


def _first_tensor(out: Any) -> torch.Tensor | None:
    if isinstance(out, torch.Tensor):
        return out
    if isinstance(out, (list, tuple)):
        for item in out:
            found = _first_tensor(item)
            if found is not None:
                return found
    return None


def _as_tuple(module: nn.Module, value: Any) -> tuple[int, ...] | None:
    if value is None:
        return None
    if isinstance(value, (tuple, list)):
        return tuple(int(v) for v in value)
    kind = type(module).__name__.lower()
    dims = 3 if kind.endswith("3d") else 1 if kind.endswith("1d") else 2
    return (int(value),) * dims


def leaf_layers(model: nn.Module, x: torch.Tensor) -> list[LayerInfo]:
    """Every leaf module (one without children) that ran in one forward pass of ``x``.

    Listed in execution order; a module called twice is listed once, with its first output.
    Same hygiene as :func:`layer_outputs`.

    Args:
        model: Any ``nn.Module``.
        x: Images ``[N, C, H, W]``; one image is enough.

    Returns:
        One :class:`LayerInfo` per leaf module that ran.
    """
    x = check_images(x)
    leaves = [(n, m) for n, m in model.named_modules() if n and not any(m.children())]
    seen: dict[str, tuple[int, ...]] = {}
    calls: dict[str, int] = {}

    def record(name: str) -> Callable[[nn.Module, Any, Any], None]:
        def hook(_module: nn.Module, _args: Any, out: Any) -> None:
            calls[name] = calls.get(name, 0) + 1
            if name not in seen:
                t = _first_tensor(out)
                seen[name] = tuple(int(s) for s in t.shape[1:]) if t is not None else ()

        return hook

    with guarded(model, grad=False), HookSet() as hooks:
        for name, module in leaves:
            hooks.add(module.register_forward_hook(record(name)))
        model(_to_device(model, x))

    modules = dict(leaves)
    infos = []
    for name, shape in seen.items():  # dicts keep insertion order: execution order
        module = modules[name]
        infos.append(
            LayerInfo(
                name=name,
                type=type(module).__name__,
                out_shape=shape,
                params=sum(p.numel() for p in module.parameters(recurse=False)),
                kernel=_as_tuple(module, getattr(module, "kernel_size", None)),
                stride=_as_tuple(module, getattr(module, "stride", None)),
                calls=calls[name],
            )
        )
    return infos


# -- ordering one layer's feature maps -------------------------------------------------------


@dataclass(frozen=True)
class ChannelOrder:
    """How to lay out a layer's channels.

    Attributes:
        order: A permutation of ``range(C)``: show channel ``order[0]`` first.
        cluster: ``[C]`` k-means cluster of each channel (numbered in display order), or
            ``None``.
        pca: ``[C]`` each channel's coordinate on the first principal axis, or ``None``.
    """

    order: np.ndarray
    cluster: np.ndarray | None = None
    pca: np.ndarray | None = None


_Orderer = Callable[[np.ndarray, "int | None", int], ChannelOrder]
CHANNEL_ORDERS: Registry[_Orderer] = Registry("channel order")


@CHANNEL_ORDERS.register("natural", help="The layer's own channel order, unchanged")
def _natural(flat: np.ndarray, n_clusters: int | None, random_state: int) -> ChannelOrder:
    return ChannelOrder(order=np.arange(flat.shape[0]))


def _first_axis(flat: np.ndarray) -> np.ndarray:
    """Each row's coordinate on the first principal axis, sign fixed (loadings sum >= 0).

    Rows without spread (fewer than two, or all identical) get 0.
    """
    from sklearn.decomposition import PCA

    centred = flat - flat.mean(axis=0)
    scale = np.abs(flat).max()
    if flat.shape[0] < 2 or np.abs(centred).max() <= 1e-12 * scale:
        return np.zeros(flat.shape[0])
    pca = PCA(n_components=1, svd_solver="full").fit(flat)
    axis = pca.components_[0]
    total = axis.sum()
    if abs(total) <= 1e-9 * np.abs(axis).sum():  # loadings cancel: largest |loading| positive
        total = axis[np.argmax(np.abs(axis))]
    if total < 0:
        axis = -axis
    return centred @ axis


def _default_clusters(c: int) -> int:
    return min(8, max(2, round(math.sqrt(c))))


@CHANNEL_ORDERS.register("kmeans", help="Similar-looking maps grouped together (k-means clusters)")
def _kmeans(flat: np.ndarray, n_clusters: int | None, random_state: int) -> ChannelOrder:
    from sklearn.cluster import KMeans

    c = flat.shape[0]
    # cluster by pattern, not strength: each map scaled to unit length (dead maps stay zero)
    norms = np.linalg.norm(flat, axis=1, keepdims=True)
    unit = np.divide(flat, norms, out=np.zeros_like(flat), where=norms > 1e-12)
    distinct = len(np.unique(np.round(unit, 12), axis=0))
    k = min(n_clusters if n_clusters is not None else _default_clusters(c), c, distinct)
    if k < 2:  # nothing to tell apart: one cluster, natural order
        return ChannelOrder(order=np.arange(c), cluster=np.zeros(c, dtype=np.int64))
    km = KMeans(n_clusters=k, n_init=4, random_state=random_state).fit(unit)
    labels, centres = km.labels_, km.cluster_centers_
    # clusters in order of their centre on the first principal axis; ties by size, then label
    centre_coord = _first_axis(centres)
    sizes = np.bincount(labels, minlength=k)
    cluster_rank = np.lexsort((np.arange(k), -sizes, np.round(centre_coord, 9)))
    new_label = np.empty(k, dtype=np.int64)
    new_label[cluster_rank] = np.arange(k)
    cluster = new_label[labels]
    dist = np.linalg.norm(unit - centres[labels], axis=1)
    order = np.lexsort((np.arange(c), np.round(dist, 9), cluster))
    return ChannelOrder(order=order, cluster=cluster)


@CHANNEL_ORDERS.register(
    "pca", help="Along the maps' main direction of difference, from weakest to strongest"
)
def _pca(flat: np.ndarray, n_clusters: int | None, random_state: int) -> ChannelOrder:
    coord = _first_axis(flat)
    return ChannelOrder(order=np.argsort(coord, kind="stable"), pca=coord)


def order_channels(
    maps: np.ndarray,
    method: str = "natural",
    *,
    n_clusters: int | None = None,
    random_state: int = 0,
) -> ChannelOrder:
    """Order a layer's channels so that similar feature maps sit next to each other.

    ``kmeans`` clusters the maps by pattern (each map scaled to unit length, so a weak and a
    strong copy of one pattern group together; all-zero maps form their own group), shows the
    clusters in order of their centre along the first principal axis and, inside a cluster,
    the maps closest to its centre first. ``pca`` sorts maps by their coordinate on the first
    principal axis of the raw maps, with the axis's sign fixed so its loadings sum to a
    positive number (if they cancel, its largest loading is positive): negating every map
    therefore reverses the order. Both are deterministic for a ``random_state``.

    Args:
        maps: ``[C, H, W]`` feature maps of one image (``[C]`` for a fully connected layer).
        method: A name in ``CHANNEL_ORDERS``.
        n_clusters: Number of k-means clusters; default ``min(8, max(2, round(sqrt(C))))``,
            never more than the number of distinct maps.
        random_state: Seed of k-means.

    Raises:
        UserInputError: Unknown method, empty or non-finite maps, ``n_clusters < 1``.
    """
    orderer = CHANNEL_ORDERS.get(method)
    shape = np.shape(maps)
    if len(shape) == 0 or shape[0] == 0 or int(np.prod(shape)) == 0:
        raise UserInputError(f"maps must be [C, H, W] or [C] with C >= 1, got shape {shape}")
    if method == "natural":  # nothing to compute: no float64 copy of every map
        return ChannelOrder(order=np.arange(shape[0], dtype=np.int64))
    arr = np.asarray(maps, dtype=np.float64)
    if not np.isfinite(arr).all():
        raise UserInputError("maps contain NaN or infinite values: give finite activations")
    if n_clusters is not None and (isinstance(n_clusters, bool) or int(n_clusters) < 1):
        raise UserInputError(f"n_clusters must be a whole number >= 1, got {n_clusters!r}")
    flat = arr.reshape(arr.shape[0], -1)
    result = orderer(flat, None if n_clusters is None else int(n_clusters), int(random_state))
    return ChannelOrder(
        order=np.asarray(result.order, dtype=np.int64),
        cluster=result.cluster,
        pca=result.pca,
    )
