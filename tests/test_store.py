"""The run directory: manifest, safetensors, atomic writes, resume, bad folders."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from convlens.core import RunFormatError, UserInputError
from convlens.store import SCHEMA_VERSION, Run, RunWriter, list_runs, parse_manifest


def _writer(tmp_path: Path, run_id: str = "r1", *, probe: bool = True) -> RunWriter:
    w = RunWriter.create(
        tmp_path,
        run_id=run_id,
        config={"a": 1},
        dataset={"name": "d"},
        model={"name": "m"},
        classes=["x", "y"],
        layers={"fc": {"dim": 4}},
    )
    if probe:
        w.write_probe(labels=np.array([0, 1, 0, 1, 0]), indices=np.arange(5))
    return w


def _epoch(w: RunWriter, epoch: int, value: float) -> None:
    w.write_epoch(
        epoch,
        activations={"fc": np.full((5, 4), value, np.float32)},
        outputs={"logits": np.zeros((5, 2), np.float32)},
        metrics={"test_accuracy": value},
        checkpoint=b"not-really-safetensors",
    )


def test_round_trip(tmp_path: Path) -> None:
    w = _writer(tmp_path)
    w.write_probe(
        labels=np.array([0, 1, 0, 1, 0]),
        indices=np.arange(5),
        thumbnails=np.zeros((5, 4, 4, 1), np.uint8),
        sources=list("abcde"),
    )
    for e in (1, 2):
        _epoch(w, e, e / 10)
    w.finish()
    run = Run.open(w.path)
    assert run.epochs == [1, 2]
    assert run.manifest.status == "complete"
    assert run.manifest.schema_version == SCHEMA_VERSION
    assert run.activations(2, "fc").dtype == np.float16
    np.testing.assert_allclose(run.activation_series("fc")[:, 0, 0], [0.1, 0.2], rtol=1e-3)
    np.testing.assert_allclose(run.metrics()["test_accuracy"], [0.1, 0.2])
    assert run.probe_sources() == list("abcde")
    assert run.probe()["split"].tolist() == [0] * 5
    assert run.checkpoint_path(2).read_bytes() == b"not-really-safetensors"
    assert run.verify() == []
    assert not list(w.path.rglob(".tmp-*"))


def test_verify_detects_tampering(tmp_path: Path) -> None:
    w = _writer(tmp_path)
    _epoch(w, 1, 0.5)
    (w.path / "checkpoints" / "0001.safetensors").write_bytes(b"changed")
    assert Run.open(w.path).verify() == ["checkpoints/0001.safetensors: checksum differs"]


def test_epochs_append_only(tmp_path: Path) -> None:
    w = _writer(tmp_path)
    _epoch(w, 1, 0.1)
    with pytest.raises(UserInputError, match="already recorded"):
        _epoch(w, 1, 0.2)
    with pytest.raises(UserInputError, match="lacks activations"):
        w.write_epoch(2, activations={}, outputs={}, metrics={})


def test_unknown_layer_and_epoch_name_what_exists(tmp_path: Path) -> None:
    w = _writer(tmp_path)
    _epoch(w, 1, 0.1)
    run = Run.open(w.path)
    with pytest.raises(UserInputError, match="it recorded fc"):
        run.activations(1, "conv9")
    with pytest.raises(UserInputError, match=r"has \[1\]"):
        run.activations(7, "fc")


def test_run_ids_never_collide_or_escape(tmp_path: Path) -> None:
    a = _writer(tmp_path, "same")
    b = _writer(tmp_path, "same")
    assert a.path != b.path and b.path.name == "same-2"
    with pytest.raises(UserInputError, match="letters, digits"):
        _writer(tmp_path, "../escape")


def test_not_a_run(tmp_path: Path) -> None:
    with pytest.raises(RunFormatError, match="not a ConvLens run"):
        Run.open(tmp_path)
    _writer(tmp_path / "runs", "inner")
    with pytest.raises(RunFormatError, match="inner"):
        Run.open(tmp_path / "runs")  # the runs folder itself: name the runs inside
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "manifest.json").write_text("{not json")
    with pytest.raises(RunFormatError, match="cannot be read"):
        Run.open(tmp_path / "bad")


def test_newer_schema_is_refused_with_upgrade_hint() -> None:
    with pytest.raises(RunFormatError, match="upgrade"):
        parse_manifest({"schema_version": SCHEMA_VERSION + 1, "run_id": "x"})
    with pytest.raises(RunFormatError, match="not a ConvLens manifest"):
        parse_manifest({"hello": 1})


def test_resume_drops_unlisted_leftovers(tmp_path: Path) -> None:
    w = _writer(tmp_path)
    _epoch(w, 1, 0.1)
    # what a writer killed between its files and its manifest update leaves behind
    (w.path / "epochs" / "0002").mkdir()
    (w.path / "epochs" / "0002" / "activations.safetensors").write_bytes(b"partial")
    (w.path / "checkpoints" / "0002.safetensors").write_bytes(b"partial")
    (w.path / "epochs" / ".tmp-manifest.json.abc").write_bytes(b"x")
    w2 = RunWriter.resume(w.path)
    assert not (w.path / "epochs" / "0002").exists()
    assert not (w.path / "checkpoints" / "0002.safetensors").exists()
    assert not list(w.path.rglob(".tmp-*"))
    _epoch(w2, 2, 0.2)
    assert Run.open(w.path).epochs == [1, 2]


def test_derived_artifacts_survive_a_concurrent_writer(tmp_path: Path) -> None:
    trainer = _writer(tmp_path)
    _epoch(trainer, 1, 0.1)
    from convlens.store import open_for_update

    open_for_update(trainer.path).write_embedding("fc", np.zeros((1, 5, 2)), {"method": "pca"})
    _epoch(trainer, 2, 0.2)  # the trainer's manifest copy predates the embedding
    run = Run.open(trainer.path)
    assert any(a.path == "embeddings/fc.safetensors" for a in run.manifest.artifacts)
    emb, info = run.embedding("fc")
    assert emb.shape == (1, 5, 2) and info["method"] == "pca"


def test_list_runs_skips_broken(tmp_path: Path) -> None:
    _writer(tmp_path, "good")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "manifest.json").write_text("[]")
    assert [r.run_id for r in list_runs(tmp_path)] == ["good"]


def test_manifest_is_plain_json_with_artifact_checksums(tmp_path: Path) -> None:
    w = _writer(tmp_path)
    _epoch(w, 1, 0.1)
    obj = json.loads((w.path / "manifest.json").read_text())
    arts = obj["epochs"][0]["artifacts"]
    acts = next(a for a in arts if a["path"].endswith("activations.safetensors"))
    assert acts["tensors"]["fc"] == {"shape": [5, 4], "dtype": "float16"}
    assert len(acts["sha256"]) == 64


def test_disk_full_leaves_no_partial_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno
    import os

    from convlens.store import DiskFullError, write_bytes_atomic

    real_fdopen = os.fdopen

    class _Full:
        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *a):
            self.f.close()

        def fileno(self):
            return self.f.fileno()

        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fdopen", lambda fd, mode: _Full(real_fdopen(fd, mode)))
    target = tmp_path / "x.bin"
    with pytest.raises(DiskFullError, match="disk is full"):
        write_bytes_atomic(target, b"data")
    assert list(tmp_path.iterdir()) == []


def test_a_stale_writer_never_undoes_a_newer_listing(tmp_path: Path) -> None:
    from convlens.store import open_for_update

    open_for_update(_writer(tmp_path).path).write_embedding("fc", np.zeros((1, 5, 2)), {})
    trainer = RunWriter.resume(tmp_path / "r1")  # holds the first embedding's listing
    open_for_update(trainer.path).write_embedding("fc", np.ones((1, 5, 2)), {})
    _epoch(trainer, 1, 0.1)
    assert Run.open(trainer.path).verify() == []


def test_a_run_appears_only_once_its_manifest_is_written(tmp_path: Path) -> None:
    import subprocess
    import sys

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    left = tmp_path / f".tmp-p{dead.pid}-r0.ab12"  # a create() that was killed
    left.mkdir()
    (left / "manifest.json").write_text("{}")
    assert list_runs(tmp_path) == []
    _writer(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["r1"]
