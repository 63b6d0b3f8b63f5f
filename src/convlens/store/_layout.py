"""Names inside a run directory, and how arrays become safetensors bytes. Never imports torch."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np
from safetensors.numpy import save as _st_save

from convlens.core import UserInputError

SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
PROBE = "probe/probe.safetensors"
PROBE_SOURCES = "probe/sources.json"
CONFIG = "config.json"
# who is writing a "recording" run ({"pid", "host"}); removed by finish(); not an artifact
WRITER = ".writer.json"
# What training writes (config, probe set, epochs, checkpoints, the model's own file such as an
# ONNX file); everything else is derived from it (embeddings, importance, pruning, graph,
# media) and can be computed again.
TRAINING_FOLDERS = ("probe", "epochs", "checkpoints", "model")
MODEL_FOLDER = "model"


def epoch_dir_name(epoch: int) -> str:
    """``epochs/0007`` style folder name of an epoch."""
    return f"{epoch:04d}"


def tensor_info(arrays: Mapping[str, np.ndarray]) -> dict[str, dict[str, Any]]:
    return {k: {"shape": list(v.shape), "dtype": str(v.dtype)} for k, v in arrays.items()}


def encode(arrays: Mapping[str, np.ndarray], metadata: Mapping[str, str] | None = None) -> bytes:
    return _st_save(
        {k: np.ascontiguousarray(v) for k, v in arrays.items()},
        metadata=dict(metadata) if metadata else None,
    )


_DERIVED = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*/[A-Za-z0-9][A-Za-z0-9._-]{0,150}\.safetensors$")


def derived_path(rel: str) -> str:
    """Check a derived-result path: ``<folder>/<name>.safetensors``, nothing that escapes."""
    if not _DERIVED.match(rel) or ".." in rel:
        raise UserInputError(f"'{rel}' is not a derived-result path: use FOLDER/NAME.safetensors")
    return rel


def is_derived(rel: str) -> bool:
    """Whether ``rel`` is a derived result (recomputable), not a training-time file."""
    return rel != CONFIG and rel.split("/", 1)[0] not in TRAINING_FOLDERS


def layer_key(layer: str) -> str:
    """A file name for a layer name (``features.3`` stays readable, slashes do not escape)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", layer)


def unlist_optimizer_state(epochs: list[dict[str, Any]]) -> list[str]:
    """Drop every listed optimizer state from ``epochs`` (manifest entries); return their paths.

    Resuming needs the optimizer state of the last epoch only (Adam's is twice the model), so
    each new one replaces the one before. The caller deletes the files after its next commit:
    the manifest never lists a file that is gone.
    """
    stale: list[dict[str, Any]] = []
    for entry in epochs:
        keep: list[dict[str, Any]] = []
        for a in entry["artifacts"]:
            (stale if a["path"].endswith(".optimizer.safetensors") else keep).append(a)
        entry["artifacts"] = keep
    return [a["path"] for a in stale]
