"""``load_weights``: a state_dict from safetensors or a ``torch.save`` file, never a pickle."""

from __future__ import annotations

import pickle
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn

from convlens.core import UserInputError

_WRAPPER_KEYS = ("state_dict", "model_state_dict", "model")


def _read(path: Path) -> object:
    if path.suffix == ".safetensors":
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        try:
            return load_file(str(path), device="cpu")
        except (SafetensorError, OSError) as err:
            raise UserInputError(f"{path} is not a readable safetensors file ({err})") from err
    try:
        return torch.load(path, weights_only=True, map_location="cpu")
    except pickle.UnpicklingError as err:
        if "weights only" not in str(err).lower():
            raise UserInputError(f"cannot read weights file {path} ({err})") from err
        raise UserInputError(
            f"{path} holds pickled Python objects (for example a whole model saved with "
            f"torch.save(model)), which ConvLens refuses to load because unpickling can run "
            f"code: save the weights with torch.save(model.state_dict(), path) or as "
            f".safetensors"
        ) from err
    except Exception as err:  # torch.load raises many types on a damaged or foreign file
        raise UserInputError(
            f"cannot read weights file {path} ({type(err).__name__}: {err}): expected a "
            f".safetensors file or a state_dict saved with torch.save"
        ) from err


def _state_dict(obj: object, path: Path) -> dict[str, torch.Tensor]:
    """Find the tensors: the object itself, or a checkpoint's ``state_dict`` entry."""
    if isinstance(obj, Mapping) and not all(isinstance(v, torch.Tensor) for v in obj.values()):
        for key in _WRAPPER_KEYS:
            if isinstance(obj.get(key), Mapping):
                obj = obj[key]
                break
    if not isinstance(obj, Mapping) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in obj.items()
    ):
        raise UserInputError(
            f"{path} does not hold a state_dict (names mapped to tensors): save it with "
            f"torch.save(model.state_dict(), path) or safetensors.torch.save_file"
        )
    meta = getattr(obj, "_metadata", None)  # module versions, where torch.save kept them
    state = OrderedDict(obj)
    if state and all(k.startswith("module.") for k in state):  # saved from DataParallel / DDP
        state = OrderedDict((k.removeprefix("module."), v) for k, v in state.items())
        if meta is not None:
            meta = {k.removeprefix("module").removeprefix("."): v for k, v in meta.items()}
    if meta is not None:
        state._metadata = meta  # type: ignore[attr-defined]
    return state


def _first(names: list[str], n: int = 5) -> str:
    return ", ".join(names[:n]) + (f" (+{len(names) - n} more)" if len(names) > n else "")


def weights_in_channels(path: str | Path) -> int | None:
    """Channels of the picture a weights file's model takes: the input channels of its first
    4-D weight (the first convolution's) when that is 1 or 3, else ``None``.

    Raises:
        UserInputError: The file is missing, unreadable or holds no state_dict.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise UserInputError(f"weights file {path} does not exist")
    first = next((t for t in _state_dict(_read(path), path).values() if t.dim() == 4), None)
    return int(first.shape[1]) if first is not None and first.shape[1] in (1, 3) else None


def load_weights(model: nn.Module, path: str | Path) -> nn.Module:
    """Load a state_dict into ``model`` in place and return it.

    ``.safetensors`` files are read with safetensors; anything else with
    ``torch.load(weights_only=True)``, which refuses pickled objects. A checkpoint dict with a
    ``state_dict`` / ``model_state_dict`` / ``model`` entry is unwrapped, and a ``module.``
    prefix (DataParallel) is dropped.

    Raises:
        UserInputError: The file is missing, unreadable, a pickle, or its names and shapes do
            not match ``model`` (the first few missing, unexpected and mismatched names are
            listed).
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise UserInputError(f"weights file {path} does not exist")
    state = _state_dict(_read(path), path)
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    mismatched = [
        f"{k} {list(state[k].shape)} vs {list(own[k].shape)}"
        for k in own
        if k in state and state[k].shape != own[k].shape
    ]
    problems = [
        f"{label}: {_first(names)}"
        for label, names in (
            ("missing", missing),
            ("unexpected", unexpected),
            ("wrong shape (file vs model)", mismatched),
        )
        if names
    ]
    if problems:
        raise UserInputError(
            f"weights in {path} do not fit {type(model).__name__}: {'; '.join(problems)}: "
            f"build the same model (and sizes: classes, channels, image size) that saved them"
        )
    # A safetensors file (every ConvLens checkpoint) keeps no ``_metadata``: the module versions
    # some layers check when loading (torchvision's MNASNet refuses a missing one). The file was
    # saved from this same model, so its own versions are the right ones.
    versioned = OrderedDict(state)
    meta = getattr(state, "_metadata", None) or getattr(own, "_metadata", None)
    if meta is not None:
        versioned._metadata = meta  # type: ignore[attr-defined]
    try:
        model.load_state_dict(versioned, strict=True)
    except (RuntimeError, ValueError, KeyError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserInputError(
            f"weights in {path} could not be loaded into {type(model).__name__}: {first}"
        ) from exc
    return model
