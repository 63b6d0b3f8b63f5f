"""Arrays derived from a run's files, kept in memory while the file is unchanged.

A live run's timeline is asked for again after every epoch; without this, each request re-read
every epoch's outputs file. Entries are keyed by the file's identity: its path and the sha256 the
manifest lists for it (a re-recorded epoch has another), or its size and modification time for a
file the manifest does not list (a derived embedding). Bounded by bytes, least recently used first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from convlens.store import Run

DEFAULT_MAX_BYTES = 384 << 20
T = TypeVar("T")


def _nbytes(value: Any) -> int:
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if isinstance(value, tuple):
        return sum(_nbytes(v) for v in value)
    return 64


def _freeze(value: Any) -> None:
    if isinstance(value, np.ndarray):
        value.setflags(write=False)  # shared between requests
    elif isinstance(value, tuple):
        for v in value:
            _freeze(v)


def file_identity(run: Run, rel: str) -> tuple[str, ...]:
    """What names the content of ``rel`` in ``run``: path + listed sha256, else size + mtime."""
    path = run.path / rel
    for entry in run.manifest.epochs:
        for art in entry.artifacts:
            if art.path == rel and art.sha256:
                return (str(path.resolve()), art.sha256)
    try:
        st = path.stat()
    except OSError:
        return (str(path.resolve()), "missing")
    return (str(path.resolve()), str(st.st_size), str(st.st_mtime_ns))


class ArrayCache:
    """A bounded, thread-safe cache of NumPy arrays (or tuples holding them) made from files.

    Args:
        max_bytes: Memory kept at most (arrays larger than this are made but not kept).

    Attributes:
        made: How many arrays were made (a miss), for tests and benchmarks.
    """

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self.made = 0
        self._lock = threading.Lock()
        self._items: OrderedDict[tuple[str, ...], tuple[Any, int]] = OrderedDict()
        self._bytes = 0

    def peek(self, key: tuple[str, ...]) -> Any | None:
        """The value under ``key`` or None (counts as a use)."""
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key][0]

    def get(self, key: tuple[str, ...], make: Callable[[], T]) -> T:
        """The value under ``key``, made with ``make()`` (outside the lock) when absent."""
        hit = self.peek(key)
        if hit is not None:
            return hit  # type: ignore[no-any-return]
        value = make()
        _freeze(value)
        size = _nbytes(value)
        with self._lock:
            self.made += 1
            if size <= self.max_bytes and key not in self._items:
                self._items[key] = (value, size)
                self._bytes += size
                while self._bytes > self.max_bytes:
                    _, (_, old) = self._items.popitem(last=False)
                    self._bytes -= old
        return value

    def of_file(self, run: Run, rel: str, what: str, make: Callable[[], T]) -> T:
        """``make()`` for file ``rel`` of ``run``, kept while the file is the same."""
        return self.get((*file_identity(run, rel), what), make)

    @property
    def nbytes(self) -> int:
        with self._lock:
            return self._bytes


def epoch_file(run: Run, epoch: int, name: str) -> str:
    """The path (relative to the run) that epoch ``epoch`` lists for file ``name``."""
    for entry in run.manifest.epochs:
        if entry.epoch == epoch:
            for art in entry.artifacts:
                if Path(art.path).name == name:
                    return art.path
    return f"epochs/{epoch}/{name}"  # not listed: an identity that will not match a real file
