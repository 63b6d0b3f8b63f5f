"""One atomic writer (``convlens.store.atomic_path``) for run files, videos and the data cache."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np
import pytest

from convlens.data._cache import write_npz
from convlens.render import write_gif, write_mp4
from convlens.store import atomic_path, write_bytes_atomic


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _frames(n: int = 3) -> list[np.ndarray]:
    return [np.full((16, 16, 3), 40 * i, np.uint8) for i in range(n)]


@pytest.mark.parametrize(
    "write",
    [
        lambda p: write_bytes_atomic(p / "a.bin", b"x"),
        lambda p: write_mp4(_frames(), p / "a.mp4", fps=5),
        lambda p: write_gif(_frames(), p / "a.gif", fps=5),
        lambda p: write_npz(p / "a.npz", {"x": np.arange(3)}),
    ],
    ids=["bytes", "mp4", "gif", "npz"],
)
def test_files_get_the_normal_mode_and_no_temporary_is_left(tmp_path: Path, write) -> None:
    write(tmp_path)
    (made,) = list(tmp_path.iterdir())
    assert _mode(made) == 0o666 & ~_umask()
    assert not made.name.startswith(".tmp-")


def test_atomic_path_keeps_the_old_file_when_the_body_fails(tmp_path: Path) -> None:
    target = tmp_path / "v.mp4"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_path(target, suffix=".mp4") as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".mp4" and tmp.name.startswith(".tmp-")
        tmp.write_bytes(b"half")
        raise RuntimeError("encoder failed")
    assert target.read_bytes() == b"old"
    assert list(tmp_path.iterdir()) == [target]


def test_atomic_path_renames_on_success(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "v.bin"
    with atomic_path(target) as tmp:
        tmp.write_bytes(b"new")
        assert not target.exists()
    assert target.read_bytes() == b"new"
    assert list(target.parent.iterdir()) == [target]
