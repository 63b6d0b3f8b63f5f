"""Sanity check of a map (Adebayo et al. 2018): scramble the network's weights, from the output
down, and see whether the map changes. A map that stays the same does not explain the model.

The layers and the way they are scrambled follow Quantus's model-parameter randomisation test
(``quantus.MPRT`` with ``layer_order="top_down"``): every module with ``reset_parameters``, in
reverse ``named_modules`` order, re-initialised by ``reset_parameters`` after
``torch.manual_seed(seed + 1)``, cascading (each step keeps the earlier ones scrambled). The
work happens on a deep copy, under ``torch.random.fork_rng`` so the caller's random state is
left as it was; the caller's model is never changed.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from scipy import ndimage, stats
from torch import nn

from convlens.core import UserInputError

from ._methods import ATTRIBUTIONS

SSIM_WINDOW = 7
"""Side of the square window of the structural similarity (scikit-image's default)."""


@dataclass(frozen=True)
class RandomisationCheck:
    """How a map changes as the network's layers are scrambled from the output down.

    Attributes:
        layers: Per step, the module scrambled last (the ones before it stay scrambled); the
            last step is the whole network when ``steps`` stopped short of it.
        counts: Per step, how many modules are scrambled by then.
        spearman: Per step, Spearman rank correlation of the map with the original map
            (1: same order of pixels; 0: unrelated). A map that becomes constant scores 0.
        ssim: Per step, structural similarity (Wang et al. 2004) of the two maps, each scaled
            to ``[0, 1]`` first.
        maps: Per step, the map of the scrambled network.
    """

    layers: list[str]
    counts: list[int]
    spearman: np.ndarray
    ssim: np.ndarray
    maps: list[np.ndarray]


def randomisable_layers(model: nn.Module) -> list[str]:
    """Names of the modules scrambled, from the output down (Quantus's top-down order)."""
    return [n for n, m in model.named_modules() if hasattr(m, "reset_parameters")][::-1]


def rank_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman rank correlation of two maps (0 where either is constant)."""
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return 0.0
    return float(stats.spearmanr(np.ravel(a), np.ravel(b))[0])


def structural_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """SSIM of two maps after scaling each to ``[0, 1]`` (scikit-image's defaults: 7×7 uniform
    window, sample covariance, K1 = 0.01, K2 = 0.03, data range 1)."""

    def unit(m: np.ndarray) -> np.ndarray:
        m = np.asarray(m, np.float64)
        span = np.ptp(m)
        return (m - m.min()) / span if span else np.zeros_like(m)

    x, y = unit(a), unit(b)
    win = min(SSIM_WINDOW, *x.shape) // 2 * 2 + 1 if min(x.shape) >= 3 else 1
    if win < 3:
        return float(np.allclose(x, y))
    n = win * win
    mean = [ndimage.uniform_filter(v, size=win) for v in (x, y, x * x, y * y, x * y)]
    ux, uy, uxx, uyy, uxy = mean
    cov = n / (n - 1)
    vx, vy, vxy = cov * (uxx - ux * ux), cov * (uyy - uy * uy), cov * (uxy - ux * uy)
    c1, c2 = 0.01**2, 0.03**2
    s = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux**2 + uy**2 + c1) * (vx + vy + c2))
    pad = (win - 1) // 2
    return float(s[pad:-pad, pad:-pad].mean())


def randomisation_check(
    model: nn.Module,
    x: torch.Tensor,
    target: int,
    method: str,
    *,
    layer: str | None = None,
    steps: int = 4,
    seed: int = 42,
    original: np.ndarray | None = None,
    n_classes: int | None = None,
    report: Callable[[int, int, str], None] | None = None,
) -> RandomisationCheck:
    """Recompute the map of ``method`` with the top layers' weights scrambled, step by step.

    Args:
        model: The caller's model (copied, never changed).
        x: One image ``[1, C, H, W]``.
        target: Class index explained.
        method: A name in ``ATTRIBUTIONS``.
        layer: The method's layer (Grad-CAM), the same in the copy.
        steps: Scrambled modules after which the map is recomputed, one by one from the
            output; a last step scrambles every module when ``steps`` stops short of them.
        seed: As Quantus's ``seed``.
        original: The map of the unchanged model, if already computed.
        n_classes: The model's number of classes, if known.
        report: Called as ``report(done, total, layer)`` after each step (``done`` of ``total``
            steps; ``layer`` the module scrambled last), e.g. to show progress; it may raise
            to stop the check.

    Raises:
        UserInputError: Unknown method or layer, ``steps`` below 1, nothing to scramble.
    """
    if steps < 1:
        raise UserInputError(f"steps must be at least 1, got {steps}")
    method_cls = ATTRIBUTIONS.get(method)
    if original is None:
        original = method_cls(model, layer=layer).attribute(x, target, n_classes=n_classes)
    copied = copy.deepcopy(model)
    modules = dict(copied.named_modules())
    names = randomisable_layers(copied)
    if not names:
        raise UserInputError(
            f"{type(model).__name__} has no layer with weights to scramble: nothing to check"
        )
    at = list(range(1, min(steps, len(names)) + 1))
    if at[-1] < len(names):
        at.append(len(names))
    explain = method_cls(copied, layer=layer)
    out_layers, maps, rho, ssim = [], [], [], []
    done = 0
    with torch.random.fork_rng(devices=[]):
        for count in at:
            for name in names[done:count]:
                torch.manual_seed(seed + 1)
                modules[name].reset_parameters()  # type: ignore[operator]
            done = count
            heat = explain.attribute(x, target, n_classes=n_classes)
            out_layers.append(names[count - 1])
            maps.append(heat)
            rho.append(rank_correlation(original, heat))
            ssim.append(structural_similarity(original, heat))
            if report is not None:
                report(len(maps), len(at), names[count - 1])
    return RandomisationCheck(
        layers=out_layers, counts=at, spearman=np.array(rho), ssim=np.array(ssim), maps=maps
    )
