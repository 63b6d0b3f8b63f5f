"""The dataset cache: decoded pixels in ``.npz`` files, written atomically, keyed by a hash."""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from convlens.core import ConvLensWarning
from convlens.store import atomic_path

CACHE_VERSION = 1


def default_cache_dir() -> Path:
    """``$CONVLENS_CACHE/datasets``, else ``$XDG_CACHE_HOME/convlens/datasets`` or
    ``~/.cache/convlens/datasets``."""
    if os.environ.get("CONVLENS_CACHE"):
        return Path(os.environ["CONVLENS_CACHE"]).expanduser() / "datasets"
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "convlens" / "datasets"


def files_key(files: list[Path], **params: object) -> str:
    """A hash of every file's path, size and modification time, and of ``params``."""
    stats = []
    for p in files:
        st = p.stat()
        stats.append([str(p), st.st_size, st.st_mtime_ns])
    blob = json.dumps({"version": CACHE_VERSION, "params": params, "files": stats}, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def read_npz(path: Path, valid: Callable[[dict[str, np.ndarray]], bool]) -> dict | None:
    """The arrays in ``path``, or ``None`` when it is missing, damaged or not ``valid``."""
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except Exception:  # a missing or damaged cache entry is simply rebuilt
        return None
    try:
        return arrays if valid(arrays) else None
    except (KeyError, IndexError, ValueError):
        return None


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write ``arrays`` to ``path`` atomically (``convlens.store``'s temporary file and rename).

    A cache that cannot be written only costs time next run, so this warns instead of failing.
    """
    try:
        with atomic_path(path) as tmp, open(tmp, "wb") as f:
            np.savez(f, **arrays)
    except OSError as err:
        warnings.warn(
            f"could not write the dataset cache {path} ({err}): the data will be decoded again "
            f"next time; set CONVLENS_CACHE to a writable folder",
            ConvLensWarning,
            stacklevel=3,
        )
