"""How strongly a class score depends on each filter of a layer, image by image.

``filter_gradient_norms`` gives, for every image and every output filter of a layer, the size
of the gradient of one class score with respect to that filter's weights. Comparing it across a
reference class, a similar class and a dissimilar class shows which filters the network uses
to tell them apart.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from convlens.core import UserInputError
from convlens.modelkit import (
    check_images,
    check_target,
    find_module,
    guarded,
    logits_of,
    model_device_dtype,
)
from convlens.modelkit import short_list as _short_list


def has_weight_parameter(module: nn.Module) -> bool:
    """Whether ``filter_gradient_norms`` accepts the layer: it has a ``weight`` parameter."""
    weight = getattr(module, "weight", None)
    return isinstance(weight, nn.Parameter) and weight.ndim >= 1


def _weight_name(model: nn.Module, layer: str) -> str:
    module = find_module(model, layer)
    if not has_weight_parameter(module):
        names = [n for n, m in model.named_modules() if n and has_weight_parameter(m)]
        raise UserInputError(
            f"layer '{layer}' ({type(module).__name__}) has no weight parameter: choose one of "
            f"{_short_list(names)}"
        )
    return f"{layer}.weight" if layer else "weight"


def _norms(grads: torch.Tensor) -> torch.Tensor:
    """``[B, C_out, ...]`` weight gradients -> ``[B, C_out]`` L2 norm per output filter."""
    return grads.flatten(2).norm(dim=2)


def _batch_vmap(model: nn.Module, wname: str, xb: torch.Tensor, target: int) -> torch.Tensor:
    from torch.func import functional_call, grad, vmap

    def score(w: torch.Tensor, xi: torch.Tensor) -> torch.Tensor:
        # only the weight is swapped; every other parameter is the model's own (frozen)
        return functional_call(model, {wname: w}, (xi.unsqueeze(0),))[0, target]

    weight = dict(model.named_parameters())[wname].detach()
    return _norms(vmap(grad(score), in_dims=(None, 0))(weight, xb))


def _batch_loop(model: nn.Module, wname: str, xb: torch.Tensor, target: int) -> torch.Tensor:
    weight = dict(model.named_parameters())[wname]
    weight.requires_grad_(True)
    try:
        rows = []
        for xi in xb:
            (g,) = torch.autograd.grad(logits_of(model, xi.unsqueeze(0))[0, target], weight)
            rows.append(_norms(g.unsqueeze(0)))
        return torch.cat(rows)
    finally:
        weight.requires_grad_(False)


def filter_gradient_norms(
    model: nn.Module,
    layer: str,
    x: torch.Tensor,
    target: int,
    *,
    batch_size: int = 32,
) -> np.ndarray:
    """Per image, the L2 norm of d score_target / d (weights of each output filter of ``layer``).

    For a convolution, filter ``c`` is ``weight[c]`` (``[C_in, kh, kw]``); for a ``Linear``
    layer it is row ``c``. Gradients are per image (``torch.func.vmap`` over ``grad``, or an
    image-by-image loop for models ``vmap`` cannot trace). Runs in eval mode; the model, its
    ``requires_grad`` flags and its ``.grad`` are left as they were.

    Args:
        model: Any ``nn.Module`` returning class scores ``[N, K]``.
        layer: A module with a ``weight`` parameter.
        x: Images ``[N, C, H, W]``.
        target: Class whose score (logit) is differentiated.
        batch_size: Images per vectorised pass (bounds memory).

    Returns:
        ``[N, C_out]`` float64 array.

    Raises:
        UserInputError: Unknown layer, a layer without weights, bad images, ``target`` out of
            range, ``batch_size < 1``.
    """
    x = check_images(x)
    wname = _weight_name(model, layer)
    if batch_size < 1:
        raise UserInputError(f"batch_size must be at least 1, got {batch_size}")
    device, dtype = model_device_dtype(model)
    x = x.to(device=device, dtype=dtype)
    rows: list[torch.Tensor] = []
    with guarded(model, grad=True):
        with torch.no_grad():
            target = check_target(target, logits_of(model, x[:1]).shape[1])
        use_vmap = True
        for start in range(0, len(x), batch_size):
            xb = x[start : start + batch_size]
            if use_vmap:
                try:
                    rows.append(_batch_vmap(model, wname, xb, target).detach())
                    continue
                except (RuntimeError, NotImplementedError):
                    use_vmap = False  # e.g. data-dependent control flow or .item() in forward
            rows.append(_batch_loop(model, wname, xb, target).detach())
    return torch.cat(rows).to("cpu", torch.float64).numpy()
