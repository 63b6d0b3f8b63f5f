"""Checkpoints as safetensors (never pickle): model state_dict and optimizer state."""

from __future__ import annotations

import json
from typing import Any

import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from convlens.core import UserInputError


def model_to_bytes(model: torch.nn.Module) -> bytes:
    """The model's state_dict as safetensors bytes (detached CPU copies, shared storage split)."""
    sd = {k: v.detach().cpu().contiguous().clone() for k, v in model.state_dict().items()}
    return st_save(sd)


def optimizer_to_bytes(optimizer: torch.optim.Optimizer) -> bytes:
    """The optimizer's state as safetensors: tensors as tensors, everything else as JSON."""
    sd = optimizer.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    plain: dict[str, dict[str, Any]] = {}
    for idx, st in sd["state"].items():
        for name, value in st.items():
            if isinstance(value, torch.Tensor):
                tensors[f"state.{idx}.{name}"] = value.detach().cpu().contiguous().clone()
            else:
                plain.setdefault(str(idx), {})[name] = value
    meta = {"param_groups": json.dumps(sd["param_groups"]), "plain_state": json.dumps(plain)}
    if not tensors:  # safetensors needs at least an empty-but-valid dict; keep a marker
        tensors["__empty__"] = torch.zeros(0)
    return st_save(tensors, metadata=meta)


def _read_meta(data: bytes) -> dict[str, str]:
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + n])
    return dict(header.get("__metadata__", {}))


def load_optimizer_state(optimizer: torch.optim.Optimizer, data: bytes) -> None:
    """Load state written by :func:`optimizer_to_bytes` into ``optimizer``."""
    meta = _read_meta(data)
    tensors = st_load(data)
    state: dict[int, dict[str, Any]] = {}
    for key, t in tensors.items():
        if key == "__empty__":
            continue
        _, idx, name = key.split(".", 2)
        state.setdefault(int(idx), {})[name] = t
    for idx, values in json.loads(meta.get("plain_state", "{}")).items():
        state.setdefault(int(idx), {}).update(values)
    groups = json.loads(meta["param_groups"])
    try:
        optimizer.load_state_dict({"state": state, "param_groups": groups})
    except (ValueError, KeyError) as exc:
        raise UserInputError(
            f"the saved optimizer state does not fit this optimizer ({exc}): resume with the "
            "same --optimizer and model"
        ) from exc
