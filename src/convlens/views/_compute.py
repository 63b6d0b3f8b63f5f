"""What a layer computes, CNN-Explainer style: one filter of a conv layer sliding over the layer's
real input, or one unit of a linear layer as a weighted sum, for the user's own model.

``compute`` runs the picture through the model once with hooks that live only for that pass (a
pre-hook takes the layer's input, forward hooks its output and the outputs of the cut-off, rescale
and shrink steps right after it), then rebuilds the chosen map from the input and the real
weights and refuses to answer when the rebuilt numbers do not match the layer's real output (a
subclass that computes something else). Large maps are cropped to a window of ``MAX_SIDE`` points
around the strongest one, and the answer says so.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from convlens.core import HookSet, NotFoundError, UserInputError
from convlens.modelkit import guarded, logits_of, model_device_dtype, reused_message
from convlens.store import Run

from ._accepts import COMPUTABLE
from ._common import check_layer
from ._compute_text import conv_text, linear_text, stage_text
from ._inspect import Inspector

MAX_SIDE = 32
"""At most this many output points a side are animated (a window around the strongest one)."""
MAX_STAGE_SIDE = 48
"""Before/after maps larger than this are thinned out (every n-th point) to keep answers small
(they are pictures: 3 significant digits each)."""
SHOWN_INPUTS = 4
"""Input maps shown one by one; the rest are added up into one "and N more" map."""
SHOWN_TERMS = 8
"""Inputs of a linear unit shown one by one; the rest are added up."""
STAGES = ("BatchNorm2d", "BatchNorm1d", "ReLU", "ReLU6", "LeakyReLU", "MaxPool2d", "AvgPool2d")
"""Layer kinds shown as before/after when the model runs them right after the layer."""
PASS_THROUGH = ("Dropout", "Dropout1d", "Dropout2d", "Identity")
"""Steps that change nothing when the network is used: skipped on the way to the next stage."""


def _round(a: np.ndarray | torch.Tensor, digits: int = 6) -> Any:
    """Nested lists of floats with ``digits`` significant digits (small JSON, exact enough)."""
    arr = np.asarray(a, dtype=np.float64)
    mag = np.floor(np.log10(np.abs(arr), out=np.zeros_like(arr), where=arr != 0))
    e = (digits - 1 - mag).astype(np.int64)
    up = np.where(e >= 0, 10.0 ** np.maximum(e, 0), 1.0)  # integer powers of ten: exact
    down = np.where(e < 0, 10.0 ** np.maximum(-e, 0), 1.0)
    out = np.round(arr * up / down) * down / up
    return np.where(np.isfinite(out), out, 0.0).tolist()


def capture(
    model: nn.Module, x: torch.Tensor, layer: str, follow: Sequence[str]
) -> tuple[torch.Tensor, torch.Tensor, dict[str, tuple[Any, Any]]]:
    """One pass of ``x``: the input and output of ``layer``, and ``{name: (input, output)}`` of
    each module in ``follow`` that ran once, all detached float64 CPU copies. Hooks are removed
    and the model's state restored afterwards, also when the pass raises.

    Raises:
        UserInputError: ``layer`` runs other than once per pass, or takes no tensor.
    """
    mods = dict(model.named_modules())
    seen: dict[str, list[tuple[Any, Any]]] = {n: [] for n in [layer, *follow]}
    inputs: dict[str, list[Any]] = {n: [] for n in seen}

    def copy(v: Any) -> Any:
        return v.detach().to("cpu", torch.float64, copy=True) if isinstance(v, torch.Tensor) else v

    def pre(name: str) -> Callable[[nn.Module, Any], None]:
        def hook(_m: nn.Module, args: Any) -> None:
            inputs[name].append(copy(args[0]) if args else None)

        return hook

    def post(name: str) -> Callable[[nn.Module, Any, Any], None]:
        def hook(_m: nn.Module, _args: Any, out: Any) -> None:
            seen[name].append((inputs[name][-1] if inputs[name] else None, copy(out)))

        return hook

    device, dtype = model_device_dtype(model)
    with guarded(model, grad=False), HookSet() as hooks:
        for name in seen:
            hooks.add(mods[name].register_forward_pre_hook(pre(name)))
            hooks.add(mods[name].register_forward_hook(post(name)))
        logits_of(model, x.to(device=device, dtype=dtype))
    if len(seen[layer]) != 1:
        raise UserInputError(reused_message(layer, len(seen[layer])))
    inp, out = seen[layer][0]
    if not isinstance(inp, torch.Tensor) or not isinstance(out, torch.Tensor):
        raise UserInputError(f"layer '{layer}' does not take and give one tensor")
    others = {n: seen[n][0] for n in follow if n != layer and len(seen[n]) == 1}
    return inp, out, others


def _stages(
    model: nn.Module, out: torch.Tensor, after: Sequence[str], seen: dict[str, tuple[Any, Any]]
) -> list[tuple[str, nn.Module, torch.Tensor]]:
    """The before/after chain: the modules right after the layer that work on its output."""
    mods = dict(model.named_modules())
    chain: list[tuple[str, nn.Module, torch.Tensor]] = []
    prev = out
    for name in after:
        if name not in seen:
            break
        inp, res = seen[name]
        kind = type(mods[name]).__name__
        fed = isinstance(inp, torch.Tensor) and inp.shape == prev.shape
        if not (fed and isinstance(res, torch.Tensor) and torch.equal(inp, prev)):
            break
        if kind in PASS_THROUGH:
            prev = res
            continue
        if kind not in STAGES:
            break
        chain.append((name, mods[name], res))
        prev = res
    return chain


def _thin(m: np.ndarray) -> tuple[np.ndarray, int]:
    step = max(1, -(-max(m.shape) // MAX_STAGE_SIDE))
    return m[::step, ::step], step


def _check_channel(layer: str, channel: int, n: int, what: str) -> None:
    if not 0 <= channel < n:
        raise NotFoundError(f"layer '{layer}' has {what} 0..{n - 1}, not {channel}")


def compute(
    insp: Inspector, run: Run, *, epoch: int | None, layer: str, channel: int, image: str
) -> dict[str, Any]:
    """How ``layer`` computes map (or unit) ``channel`` for ``image``, from its real input.

    Raises:
        NotFoundError: No such layer or channel.
        UserInputError: A layer that is neither a convolution nor a linear layer, a bad image
            reference, or a layer whose output the plain formula does not give.
    """
    loaded = insp.loaded_model(run, epoch)
    check_layer(loaded.module, layer)
    x, _ = insp.tensor(run, image)
    insp.forward(run, loaded.epoch, image, layer)  # checks the layer runs once; sets .layers
    with loaded.lock:
        leaves = [i.name for i in loaded.layers or [] if i.calls == 1]
        body = explain(loaded.module, x, layer, channel, leaves, run.classes)
    return {"layer": layer, "epoch": loaded.epoch, "image": image, "channel": channel, **body}


def explain(
    model: nn.Module,
    x: torch.Tensor,
    layer: str,
    channel: int,
    leaves: Sequence[str],
    classes: Sequence[str] = (),
) -> dict[str, Any]:
    """The numbers behind map (or unit) ``channel`` of ``layer`` for the one image ``x``.

    Args:
        model: The user's model (left as it was: hooks removed, state restored).
        x: One model input ``[1, C, H, W]``.
        layer: A ``Conv2d`` or ``Linear`` module's name.
        channel: The output map (conv) or unit (linear).
        leaves: The model's single-use leaf layers in the order the pass runs them (to find the
            cut-off and shrink steps after ``layer``).
        classes: Class names, to name the units of the output layer.
    """
    module = check_layer(model, layer)
    if not isinstance(module, COMPUTABLE):
        raise UserInputError(
            f"layer '{layer}' is a {type(module).__name__}: pick a convolution (Conv2d) or a "
            "linear layer to see what it computes"
        )
    at = leaves.index(layer) if layer in leaves else -1
    after = list(leaves[at + 1 : at + 5]) if at >= 0 else []
    prev = leaves[at - 1] if at > 0 else None
    inp, out, seen = capture(model, x[:1], layer, [*after, *([prev] if prev else [])])
    chain = _stages(model, out, after, seen)
    if isinstance(module, nn.Conv2d):
        body = _conv(module, layer, channel, inp[0], out[0])
    else:
        # maps flattened right before (a Flatten's input, a pool's output) name the inputs
        fed = [t for t in seen.get(prev, ()) if isinstance(t, torch.Tensor)] if prev else []
        maps = [t for t in fed[::-1] if t.dim() == 4 and t.numel() == inp.numel()]
        shape = list(maps[0].shape[1:]) if maps else None
        last = leaves[-1] if leaves else None
        names = classes if last == layer and len(classes) == out.shape[-1] else ()
        body = _linear(module, layer, channel, inp[0], out[0], names, shape)
    before = body.pop("before")
    stages = [_stage(layer, "", module, before, before)]
    for name, mod, res in chain:
        m = (
            res[0, channel].numpy()
            if res.dim() == 4
            else res[0, channel : channel + 1, None].numpy()
        )
        stages.append(_stage(name, type(mod).__name__, mod, before, m))
    return {**body, "stages": stages}


def _stage(
    name: str, kind: str, mod: nn.Module, before: np.ndarray, m: np.ndarray
) -> dict[str, Any]:
    thin, step = _thin(m)
    return {
        "name": name,
        "type": kind or type(mod).__name__,
        "shape": list(m.shape),
        "step": step,
        "values": _round(thin, 3),
        "explanation": stage_text(name, kind, mod, before, m),
    }


def _conv(
    module: nn.Conv2d, layer: str, channel: int, x: torch.Tensor, out: torch.Tensor
) -> dict[str, Any]:
    n_out, in_per, kh, kw = module.weight.shape
    _check_channel(layer, channel, n_out, "maps")
    group = channel // (n_out // module.groups)
    first_in = group * in_per
    xs = x[first_in : first_in + in_per][None]
    left, right, top, bottom = (int(v) for v in module._reversed_padding_repeated_twice)
    mode = "constant" if module.padding_mode == "zeros" else module.padding_mode
    xp = F.pad(xs, (left, right, top, bottom), mode=mode)[0]
    kernel = module.weight.detach().to("cpu", torch.float64)[channel]
    bias = float(module.bias.detach()[channel]) if module.bias is not None else 0.0
    sh, sw = (int(v) for v in module.stride)
    dh, dw = (int(v) for v in module.dilation)
    # one partial map per input map: what that map alone adds at every stop
    partial = F.conv2d(
        xp[None], kernel[:, None], stride=(sh, sw), dilation=(dh, dw), groups=int(in_per)
    )[0]
    real = out[channel]
    rebuilt = partial.sum(0) + bias
    # a GPU may run the layer in TF32 (about 3 decimal digits): allow that much of the sum of
    # the terms' sizes, far less than a layer that computes something else would be off by
    tol = 2e-3 * float(partial.abs().sum(0).max()) + 1e-5
    if rebuilt.shape != real.shape or not torch.allclose(rebuilt, real, atol=tol):
        raise UserInputError(
            f"layer '{layer}' ({type(module).__name__}) does not give what a plain convolution "
            "of its input gives, so its steps cannot be shown: pick another layer"
        )
    ho, wo = real.shape
    r0, c0 = _window(real.numpy(), MAX_SIDE)
    rows, cols = min(ho, MAX_SIDE), min(wo, MAX_SIDE)
    in_r0, in_c0 = r0 * sh, c0 * sw
    in_rows = (rows - 1) * sh + (kh - 1) * dh + 1
    in_cols = (cols - 1) * sw + (kw - 1) * dw + 1
    strength = partial.abs().mean(dim=(1, 2))
    order = torch.argsort(-strength, stable=True).tolist()
    shown = order if in_per <= SHOWN_INPUTS + 1 else order[:SHOWN_INPUTS]
    total = float(strength.sum()) or 1.0
    rest = [i for i in order if i not in shown]
    crop = (slice(r0, r0 + rows), slice(c0, c0 + cols))
    return {
        "kind": "conv",
        "type": type(module).__name__,
        "kernel": [kh, kw],
        "stride": [sh, sw],
        "dilation": [dh, dw],
        "padding": [top, left],
        "groups": int(module.groups),
        "in_channels": int(module.in_channels),
        "group_inputs": int(in_per),
        "input_shape": [int(x.shape[1]), int(x.shape[2])],
        "out_shape": [int(ho), int(wo)],
        "region": {"row": int(r0), "col": int(c0), "rows": int(rows), "cols": int(cols)},
        "input_origin": [in_r0 - top, in_c0 - left],
        "inputs": [
            {
                "channel": first_in + i,
                "weights": _round(kernel[i]),
                "values": _round(xp[i, in_r0 : in_r0 + in_rows, in_c0 : in_c0 + in_cols]),
                "share": float(strength[i]) / total,
            }
            for i in shown
        ],
        "rest": (
            {"count": len(rest), "values": _round(partial[rest].sum(0)[crop])} if rest else None
        ),
        "bias": bias,
        "output": _round(real[crop]),
        "before": real.numpy(),
        "explanation": conv_text(layer, channel, module, in_per, len(rest), (ho, wo), (rows, cols)),
    }


def _window(m: np.ndarray, side: int) -> tuple[int, int]:
    """Top-left corner of a ``side``-wide window centred on the map's strongest point."""
    h, w = m.shape
    r, c = np.unravel_index(int(np.argmax(m)), m.shape)
    return (
        int(min(max(0, r - side // 2), max(0, h - side))),
        int(min(max(0, c - side // 2), max(0, w - side))),
    )


def _input_labels(n: int, shape: Sequence[int] | None) -> Callable[[int], str]:
    """Names for a linear layer's inputs: ``map 3, row 2, column 5`` when they were maps."""
    if shape is not None and len(shape) == 3 and int(np.prod(shape)) == n:
        c, h, w = shape

        def label(i: int) -> str:
            return f"map {i // (h * w)}, row {i // w % h + 1}, column {i % w + 1}"

        return label
    return lambda i: f"input {i}"


def _linear(
    module: nn.Linear,
    layer: str,
    channel: int,
    x: torch.Tensor,
    out: torch.Tensor,
    names: Sequence[str],
    fed_shape: Sequence[int] | None,
) -> dict[str, Any]:
    _check_channel(layer, channel, module.out_features, "units")
    if x.dim() != 1:
        raise UserInputError(
            f"layer '{layer}' works on a {x.dim()}-D input; only a flat row of numbers can be "
            "shown as a weighted sum"
        )
    w = module.weight.detach().to("cpu", torch.float64)[channel]
    bias = float(module.bias.detach()[channel]) if module.bias is not None else 0.0
    products = x * w
    real = float(out[channel])
    rebuilt = float(products.sum()) + bias
    if abs(rebuilt - real) > 2e-3 * float(products.abs().sum()) + 1e-5:  # TF32 on a GPU
        raise UserInputError(
            f"layer '{layer}' ({type(module).__name__}) does not give the weighted sum of its "
            "input, so its steps cannot be shown: pick another layer"
        )
    order = torch.argsort(-products.abs(), stable=True).tolist()
    shown, rest = order[:SHOWN_TERMS], order[SHOWN_TERMS:]
    label = _input_labels(len(x), fed_shape)
    unit = names[channel] if names else None
    return {
        "kind": "linear",
        "type": type(module).__name__,
        "in_features": int(module.in_features),
        "unit_name": unit,
        "terms": [
            {
                "index": i,
                "label": label(i),
                "input": float(x[i]),
                "weight": float(w[i]),
                "product": float(products[i]),
            }
            for i in shown
        ],
        "rest": {"count": len(rest), "sum": float(products[rest].sum())} if rest else None,
        "bias": bias,
        "value": real,
        "before": np.array([[real]]),
        "explanation": linear_text(layer, channel, unit, len(x), len(shown), products, bias),
    }
