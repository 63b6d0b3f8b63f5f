"""Atomic file writes: write to a temporary name in the same folder, then rename."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from convlens.core import ConvLensError

TMP_PREFIX = ".tmp-"


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# mkstemp makes 0600 files; run files get the usual permissions (0666 less the umask)
_FILE_MODE = 0o666 & ~_current_umask()


class DiskFullError(ConvLensError, OSError):
    """The disk filled up while writing; nothing half-written was left behind."""


def write_bytes_atomic(path: Path, data: bytes, *, fsync: bool = False) -> str:
    """Write ``data`` to ``path`` atomically and return its sha256 hex digest.

    A reader sees either the old file or the complete new one, never a partial file, also
    when the writing process is killed.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX + path.name + ".", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), _FILE_MODE)
            f.write(data)
            if fsync:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            raise DiskFullError(
                errno.ENOSPC,
                f"the disk is full while writing {path}: free some space and run the command "
                "again (a training run can be resumed with --resume)",
            ) from exc
        raise
    return hashlib.sha256(data).hexdigest()


def write_json_atomic(path: Path, obj: Any, *, fsync: bool = False) -> str:
    """Write ``obj`` as pretty JSON atomically; returns the sha256 of the bytes."""
    data = (json.dumps(obj, indent=2, sort_keys=False, ensure_ascii=False) + "\n").encode()
    return write_bytes_atomic(path, data, fsync=fsync)


def remove_stale_temporaries(folder: Path) -> int:
    """Delete temporary files a killed writer left under ``folder``; returns how many."""
    n = 0
    if not folder.exists():
        return 0
    for p in folder.rglob(TMP_PREFIX + "*"):
        if p.is_file():
            with contextlib.suppress(FileNotFoundError):
                p.unlink()
                n += 1
    return n
