"""Atomic file writes: write to a temporary name in the same folder, then rename."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import shutil
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from convlens.core import ConvLensError

TMP_PREFIX = ".tmp-"
# Temporary names carry the writer's process id (``.tmp-p1234-video.mp4.x8f2``), so the next
# command on a run removes what a killed writer left and never what a live one is writing.
_OWNER = re.compile(r"^\.tmp-p(\d+)-")
# a temporary of a writer that may live on another machine counts as abandoned after this long
_ABANDONED_S = 24 * 3600.0


def temporary_prefix(name: str) -> str:
    """The prefix of this process's temporary files for ``name``."""
    return f"{TMP_PREFIX}p{os.getpid()}-{name}."


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
    fd, name = tempfile.mkstemp(prefix=temporary_prefix(path.name), suffix=suffix, dir=path.parent)
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


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name != "posix":  # no harmless liveness probe: trust the age instead
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. another user's process
        return True
    return True


def is_stale_temporary(path: Path, *, now: float | None = None) -> bool:
    """Whether ``path`` is a temporary whose writer is gone (killed, or an old ConvLens).

    A temporary of a live process on this machine is kept, so a command never removes what
    another command on the same run is writing at that moment.
    """
    if not path.name.startswith(TMP_PREFIX):
        return False
    m = _OWNER.match(path.name)
    if m is None:
        return True  # written before temporaries carried their owner: no live writer uses it
    try:
        age = (time.time() if now is None else now) - path.lstat().st_mtime
    except FileNotFoundError:
        return False
    return age > _ABANDONED_S or not _alive(int(m.group(1)))


def stale_temporaries(folder: Path) -> list[Path]:
    """What killed writers left under ``folder`` (files and staging folders), deepest first.

    Temporaries of writers that still run are not included.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = sorted(folder.rglob(TMP_PREFIX + "*"), key=lambda q: len(q.parts), reverse=True)
    return [p for p in found if is_stale_temporary(p)]


def remove_stale_temporaries(folder: Path) -> int:
    """Delete what killed writers left under ``folder``; returns how many were removed.

    Temporaries of writers that still run are kept.
    """
    n = 0
    for p in stale_temporaries(folder):
        with contextlib.suppress(FileNotFoundError):
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink()
            n += 1
    return n


def claim_writer(run_dir: Path) -> None:
    """Note in ``run_dir`` which process writes it, so readers can tell a killed writer."""
    from ._layout import WRITER

    write_json_atomic(run_dir / WRITER, {"pid": os.getpid(), "host": socket.gethostname()})


def writer_gone(run_dir: Path) -> bool:
    """Whether the process that marked ``run_dir`` as recording has died on this machine.

    ``False`` when it cannot be told (no note — an older ConvLens —, another machine).
    """
    from ._layout import WRITER

    try:
        note = json.loads((run_dir / WRITER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    pid = note.get("pid") if isinstance(note, dict) else None
    if not isinstance(pid, int) or note.get("host") != socket.gethostname():
        return False
    return not _alive(pid)
