"""Reducers turn one layer's output [B, ...] into one vector per example [B, D]."""

from __future__ import annotations

from collections.abc import Callable

import torch

from convlens.core import Registry

Reducer = Callable[[torch.Tensor], torch.Tensor]
REDUCERS: Registry[Reducer] = Registry("reducer")


@REDUCERS.register("mean", help="spatial mean of conv maps: [B, C, H, W] -> [B, C]")
def spatial_mean(x: torch.Tensor) -> torch.Tensor:
    return x.flatten(2).mean(-1) if x.dim() > 2 else x


@REDUCERS.register("max", help="spatial maximum of conv maps: [B, C, H, W] -> [B, C]")
def spatial_max(x: torch.Tensor) -> torch.Tensor:
    return x.flatten(2).amax(-1) if x.dim() > 2 else x


@REDUCERS.register("none", help="keep every value: [B, ...] -> [B, prod(...)]")
def flatten(x: torch.Tensor) -> torch.Tensor:
    return x.flatten(1)


@REDUCERS.register("auto", help="spatial mean for conv maps, every value for vectors")
def auto(x: torch.Tensor) -> torch.Tensor:
    return spatial_mean(x) if x.dim() > 2 else x.flatten(1)
