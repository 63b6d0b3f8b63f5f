"""Checks shared by the readers of stored arrays."""

from __future__ import annotations

from typing import Any

import numpy as np

from convlens.core import RunFormatError


def need_array(
    arrays: dict[str, np.ndarray], key: str, shape: tuple[int | None, ...], *, what: str
) -> np.ndarray:
    """``arrays[key]`` if it exists with ``shape`` (``None`` = any length), else a clear error.

    Raises:
        RunFormatError: The array is missing or has another shape.
    """
    if key not in arrays:
        raise RunFormatError(f"{what} file has no array '{key}'")
    a = np.asarray(arrays[key])
    if a.ndim != len(shape) or any(
        s is not None and s != n for s, n in zip(shape, a.shape, strict=True)
    ):
        raise RunFormatError(f"{what} array '{key}' has shape {list(a.shape)}, expected {shape}")
    return a


def check_versioned(info: dict[str, Any], fmt: str, current: int, what: str) -> int:
    """The version of a file's description, after checking this ConvLens can read it.

    Args:
        info: The description (JSON metadata) of the file.
        fmt: The ``"format"`` it must carry (``convlens-graph``...).
        current: The newest version this ConvLens writes and reads.
        what: The file's name for people (``graph``, ``story``).

    Raises:
        RunFormatError: Another format, no valid version, or newer than ``current``.
    """
    if info.get("format") != fmt:
        raise RunFormatError(f"not a ConvLens {what} file (format {info.get('format')!r})")
    version = info.get("version")
    if not isinstance(version, int) or version < 1:
        raise RunFormatError(f"{what} file has no valid version ({version!r})")
    if version > current:
        raise RunFormatError(
            f"{what} file version {version} is newer than this ConvLens reads ({current}): "
            "upgrade convlens"
        )
    return version
