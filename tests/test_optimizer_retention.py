"""Optimizer state is kept for the latest epoch only; the manifest never lists a deleted file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from convlens.store import Run, RunWriter


def _writer(tmp_path: Path) -> RunWriter:
    w = RunWriter.create(
        tmp_path,
        run_id="r",
        config={},
        dataset={},
        model={},
        classes=["a", "b"],
        layers={"fc": {"shape": [2], "dim": 2, "reducer": "none"}},
    )
    w.write_probe(labels=np.array([0, 1, 0]), indices=np.arange(3))
    return w


def _epoch(w: RunWriter, epoch: int, optimizer: bytes | None) -> None:
    w.write_epoch(
        epoch,
        activations={"fc": np.full((3, 2), epoch, np.float32)},
        outputs={"logits": np.zeros((3, 2), np.float32)},
        metrics={},
        checkpoint=b"weights %d" % epoch,
        optimizer=optimizer,
    )


def _listed(run_dir: Path) -> set[str]:
    mf = json.loads((run_dir / "manifest.json").read_text())
    return {a["path"] for e in mf["epochs"] for a in e["artifacts"]}


def test_only_the_latest_optimizer_state_is_kept(tmp_path: Path) -> None:
    w = _writer(tmp_path)
    for e in (1, 2, 3):
        _epoch(w, e, b"adam %d" % e)
    _epoch(w, 4, None)  # an epoch without optimizer state keeps the last one there is
    run = Run.open(w.path)
    assert sorted(p.name for p in (w.path / "checkpoints").iterdir()) == [
        "0001.safetensors",
        "0002.safetensors",
        "0003.optimizer.safetensors",
        "0003.safetensors",
        "0004.safetensors",
    ]
    assert [run.optimizer_path(e) for e in (1, 2, 4)] == [None, None, None]
    assert run.optimizer_path(3).read_bytes() == b"adam 3"
    assert run.verify() == []
    assert "checkpoints/0003.optimizer.safetensors" in _listed(w.path)
    assert not any("0001.optimizer" in p or "0002.optimizer" in p for p in _listed(w.path))
    # resuming keeps it and goes on replacing it
    w = RunWriter.resume(w.path)
    _epoch(w, 5, b"adam 5")
    assert Run.open(w.path).optimizer_path(3) is None
    assert Run.open(w.path).verify() == []


def test_a_file_is_unlisted_before_it_is_deleted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = _writer(tmp_path)
    _epoch(w, 1, b"adam 1")
    deleted = []
    unlink = Path.unlink

    def checked_unlink(self: Path, missing_ok: bool = False) -> None:
        rel = self.relative_to(w.path).as_posix() if self.is_relative_to(w.path) else None
        if rel is not None and rel.startswith("checkpoints/"):
            assert rel not in _listed(w.path), f"{rel} deleted while the manifest lists it"
            deleted.append(rel)
        unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", checked_unlink)
    _epoch(w, 2, b"adam 2")
    assert deleted == ["checkpoints/0001.optimizer.safetensors"]
