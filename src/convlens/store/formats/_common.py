"""Checks shared by the readers of stored arrays."""

from __future__ import annotations

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
