"""Atomic file writes: write to a temporary name in the same folder, then rename."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
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


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], *, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside ``path``; when the body succeeds, rename it onto ``path``.

    For writers that need a file name (PyAV, ``np.savez``). The finished file gets the usual
    mode (``0o666`` less the umask). If the body raises, ``path`` is untouched and the
    temporary file is removed; a killed process leaves a ``.tmp-*`` file that
    :func:`remove_stale_temporaries` clears. A full disk raises :class:`DiskFullError`.

    Example:
        >>> with atomic_path(run / "media" / "video.mp4", suffix=".mp4") as tmp:
        ...     encode_video(frames, tmp)

    Args:
        path: The file to write.
        suffix: Ending of the temporary name (some writers choose the format by it).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=TMP_PREFIX + path.name + ".", suffix=suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, _FILE_MODE)
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


def write_bytes_atomic(path: Path, data: bytes, *, fsync: bool = False) -> str:
    """Write ``data`` to ``path`` atomically and return its sha256 hex digest.

    A reader sees either the old file or the complete new one, never a partial file, also
    when the writing process is killed.
    """
    with atomic_path(path) as tmp, os.fdopen(os.open(tmp, os.O_WRONLY | os.O_TRUNC), "wb") as f:
        f.write(data)
        if fsync:
            f.flush()
            os.fsync(f.fileno())
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
