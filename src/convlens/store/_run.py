"""The run directory: the contract between training time and viewing time.

Layout (see DESIGN.md)::

    <run>/manifest.json                 replaced atomically after each epoch's files are complete
    <run>/config.json                   resolved options
    <run>/probe/probe.safetensors       labels, indices, thumbnails
    <run>/epochs/<NNNN>/activations.safetensors   {layer: [N, D] float16}
    <run>/epochs/<NNNN>/outputs.safetensors       {logits: [N, C], loss: [N]}
    <run>/checkpoints/<NNNN>.safetensors          state_dict (bytes made by the caller)
    <run>/embeddings/<layer>.safetensors          [E, N, 2] + parameters in the metadata
    <run>/media/                                  frames, video.mp4

Only what the manifest lists exists for a reader: a writer killed at any instant leaves a run that
reads up to its last complete epoch. This module never imports torch.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import load as _st_load
from safetensors.numpy import save as _st_save

from convlens.core import NotFoundError, RunFormatError, UnavailableError, UserInputError

from ._atomic import remove_stale_temporaries, write_bytes_atomic, write_json_atomic
from ._manifest import MANIFEST, SCHEMA_VERSION, EpochEntry, Manifest, parse_manifest

_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def epoch_dir_name(epoch: int) -> str:
    """``epochs/0007`` style folder name of an epoch."""
    return f"{epoch:04d}"


def _tensor_info(arrays: Mapping[str, np.ndarray]) -> dict[str, dict[str, Any]]:
    return {k: {"shape": list(v.shape), "dtype": str(v.dtype)} for k, v in arrays.items()}


def _encode(arrays: Mapping[str, np.ndarray], metadata: Mapping[str, str] | None = None) -> bytes:
    return _st_save(
        {k: np.ascontiguousarray(v) for k, v in arrays.items()},
        metadata=dict(metadata) if metadata else None,
    )


_DERIVED = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*/[A-Za-z0-9][A-Za-z0-9._-]{0,150}\.safetensors$")


def _derived_path(rel: str) -> str:
    """Check a derived-result path: ``<folder>/<name>.safetensors``, nothing that escapes."""
    if not _DERIVED.match(rel) or ".." in rel:
        raise UserInputError(f"'{rel}' is not a derived-result path: use FOLDER/NAME.safetensors")
    return rel


def _layer_key(layer: str) -> str:
    """A file name for a layer name (``features.3`` stays readable, slashes do not escape)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", layer)


class Run:
    """A run directory opened for reading.

    Example:
        >>> run = Run.open("runs/20261123-sketches-paper")
        >>> run.activations(run.epochs[-1], "fc1").shape
        (200, 50)
    """

    def __init__(self, path: Path, manifest: Manifest) -> None:
        self.path = path
        self.manifest = manifest

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> Run:
        """Open the run at ``path``.

        Raises:
            RunFormatError: ``path`` is not a ConvLens run.
        """
        p = Path(path)
        mf = p / MANIFEST
        if not mf.is_file():
            hint = ""
            if p.is_dir():
                inner = sorted(q.parent.name for q in p.glob(f"*/{MANIFEST}"))
                if inner:
                    hint = f" (it holds runs: {', '.join(inner[:5])}; pass one of them)"
            raise RunFormatError(f"{p} is not a ConvLens run: no {MANIFEST}{hint}")
        try:
            obj = json.loads(mf.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise RunFormatError(f"{mf} cannot be read: {exc}") from exc
        return cls(p, parse_manifest(obj, str(mf)))

    # -- what the run holds ---------------------------------------------------------------

    @property
    def run_id(self) -> str:
        return self.manifest.run_id

    @property
    def epochs(self) -> list[int]:
        """Completed epochs, ascending."""
        return self.manifest.epoch_numbers

    @property
    def layers(self) -> list[str]:
        return list(self.manifest.layers)

    @property
    def classes(self) -> list[str]:
        return list(self.manifest.classes)

    @property
    def config(self) -> dict[str, Any]:
        p = self.path / "config.json"
        return json.loads(p.read_text(encoding="utf-8")) if p.is_file() else {}

    def _entry(self, epoch: int) -> EpochEntry:
        for e in self.manifest.epochs:
            if e.epoch == epoch:
                return e
        raise NotFoundError(
            f"run {self.run_id} has no completed epoch {epoch}: it has {self.epochs or 'none'}"
        )

    def check_layer(self, layer: str) -> str:
        """Return ``layer`` if the run recorded it, else raise an error listing the layers."""
        if layer not in self.manifest.layers:
            raise NotFoundError(
                f"run {self.run_id} did not record layer '{layer}': it recorded "
                f"{', '.join(self.layers) or 'no layers'}"
            )
        return layer

    def _load(self, rel: str) -> dict[str, np.ndarray]:
        p = self.path / rel
        try:
            return _st_load(p.read_bytes())
        except (OSError, ValueError) as exc:  # safetensors raises SafetensorError (ValueError)
            raise RunFormatError(f"{p} cannot be read: {exc}") from exc

    def probe(self) -> dict[str, np.ndarray]:
        """The probe set: ``labels`` [N], ``indices`` [N], optional ``thumbnails`` [N, h, w, c]."""
        return self._load("probe/probe.safetensors")

    def probe_sources(self) -> list[str]:
        p = self.path / "probe" / "sources.json"
        return json.loads(p.read_text(encoding="utf-8")) if p.is_file() else []

    def activations(self, epoch: int, layer: str) -> np.ndarray:
        """Recorded activations of ``layer`` at ``epoch``: [N_probe, D]."""
        self.check_layer(layer)
        self._entry(epoch)
        return self._load(f"epochs/{epoch_dir_name(epoch)}/activations.safetensors")[layer]

    def activation_series(self, layer: str, epochs: list[int] | None = None) -> np.ndarray:
        """Activations of ``layer`` over epochs: [E, N_probe, D]."""
        eps = self.epochs if epochs is None else epochs
        if not eps:
            raise UserInputError(f"run {self.run_id} has no completed epoch yet")
        return np.stack([self.activations(e, layer) for e in eps])

    def outputs(self, epoch: int) -> dict[str, np.ndarray]:
        """Per-probe outputs at ``epoch``: ``logits`` [N, C] and, with labels, ``loss`` [N]."""
        self._entry(epoch)
        return self._load(f"epochs/{epoch_dir_name(epoch)}/outputs.safetensors")

    def metrics(self) -> dict[str, np.ndarray]:
        """Per-epoch metric curves: name -> [E] (NaN where an epoch lacks the metric)."""
        names: list[str] = []
        for e in self.manifest.epochs:
            names += [k for k in e.metrics if k not in names]
        return {
            k: np.array([e.metrics.get(k, np.nan) for e in self.manifest.epochs], dtype=np.float64)
            for k in names
        }

    def checkpoint_path(self, epoch: int | None = None) -> Path:
        """The safetensors checkpoint of ``epoch`` (default: the last one)."""
        if not self.epochs:
            raise UserInputError(f"run {self.run_id} has no completed epoch yet")
        entry = self._entry(self.epochs[-1] if epoch is None else epoch)
        if not entry.checkpoint:
            raise UnavailableError(
                f"run {self.run_id} kept no checkpoint for epoch {entry.epoch}: train with "
                "checkpoints on (the default of convlens train) to have one"
            )
        return self.path / entry.checkpoint

    def optimizer_path(self, epoch: int) -> Path | None:
        """The optimizer state saved with ``epoch``'s checkpoint, if any."""
        p = self.path / "checkpoints" / f"{epoch_dir_name(epoch)}.optimizer.safetensors"
        return p if p.is_file() else None

    def embedding(self, layer: str) -> tuple[np.ndarray, dict[str, Any]] | None:
        """The stored embedding of ``layer`` ([E, N, 2], metadata) or None if not made yet."""
        p = self.path / "embeddings" / f"{_layer_key(layer)}.safetensors"
        if not p.is_file():
            return None
        from safetensors import safe_open

        with safe_open(str(p), framework="numpy") as f:
            meta = f.metadata() or {}
            arr = f.get_tensor("embedding")
        info = json.loads(meta.get("convlens", "{}"))
        return arr, info

    def arrays(self, rel: str) -> tuple[dict[str, np.ndarray], dict[str, Any]] | None:
        """Derived arrays stored with ``RunWriter.write_arrays`` and their description.

        Returns ``None`` when the manifest does not list ``rel`` (not made yet).
        """
        rel = _derived_path(rel)
        if not any(a.path == rel for a in self.manifest.artifacts):
            return None
        from safetensors import safe_open

        try:
            with safe_open(str(self.path / rel), framework="numpy") as f:
                meta = f.metadata() or {}
                arrays = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118 - not a dict
            return arrays, json.loads(meta.get("convlens", "{}"))
        except (OSError, ValueError) as exc:
            raise RunFormatError(f"{self.path / rel} cannot be read: {exc}") from exc

    def media_dir(self) -> Path:
        return self.path / "media"

    def verify(self) -> list[str]:
        """Check every listed artifact's sha256; returns the problems found (empty = intact)."""
        import hashlib

        problems = []
        arts = list(self.manifest.artifacts)
        for e in self.manifest.epochs:
            arts += list(e.artifacts)
        for a in arts:
            p = self.path / a.path
            if not p.is_file():
                problems.append(f"{a.path}: missing")
            elif a.sha256 and hashlib.sha256(p.read_bytes()).hexdigest() != a.sha256:
                problems.append(f"{a.path}: checksum differs")
        return problems


def list_runs(runs_dir: str | os.PathLike[str]) -> list[Run]:
    """Every readable run directly under ``runs_dir``, newest first."""
    root = Path(runs_dir)
    runs = []
    for mf in sorted(root.glob(f"*/{MANIFEST}")):
        try:
            runs.append(Run.open(mf.parent))
        except RunFormatError:
            continue
    runs.sort(key=lambda r: r.manifest.created, reverse=True)
    return runs


class RunWriter:
    """Writes a run directory append-only; every file lands atomically.

    Use :meth:`create` for a new run and :meth:`resume` to continue one.
    """

    def __init__(self, path: Path, manifest: dict[str, Any]) -> None:
        self.path = path
        self._manifest = manifest

    # -- opening ----------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        runs_dir: str | os.PathLike[str],
        *,
        run_id: str | None = None,
        config: Mapping[str, Any],
        dataset: Mapping[str, Any],
        model: Mapping[str, Any],
        classes: list[str],
        layers: Mapping[str, Mapping[str, Any]],
        versions: Mapping[str, str] | None = None,
    ) -> RunWriter:
        """Create ``runs_dir/<run_id>/`` with its config and an empty manifest."""
        root = Path(runs_dir)
        if root.exists() and not root.is_dir():
            raise UserInputError(f"--out {root} is a file: give a folder for runs")
        now = _dt.datetime.now(_dt.timezone.utc)
        if run_id is None:
            run_id = (
                now.strftime("%Y%m%d-%H%M%S")
                + f"-{dataset.get('name', 'data')}-"
                + str(model.get("name", "model"))
            )
            run_id = re.sub(r"[^A-Za-z0-9._-]", "-", run_id)[:100]
        if not _SAFE_ID.match(run_id):
            raise UserInputError(
                f"run id '{run_id}' may only use letters, digits, '.', '_' and '-'"
            )
        path = root / run_id
        base, n = run_id, 1
        while path.exists():
            n += 1
            run_id = f"{base}-{n}"
            path = root / run_id
        path.mkdir(parents=True)
        manifest = {
            "schema_version": SCHEMA_VERSION,
            "run_id": run_id,
            "created": now.isoformat(timespec="seconds"),
            "status": "recording",
            "versions": dict(versions or {}),
            "dataset": dict(dataset),
            "model": dict(model),
            "classes": list(classes),
            "layers": {k: dict(v) for k, v in layers.items()},
            "probe": {},
            "epochs": [],
            "artifacts": [],
        }
        w = cls(path, manifest)
        sha = write_json_atomic(path / "config.json", dict(config))
        w._add_artifact("config.json", sha)
        w._commit()
        return w

    @classmethod
    def resume(cls, path: str | os.PathLike[str]) -> RunWriter:
        """Reopen a run to append epochs; removes what a killed writer left unfinished."""
        run = Run.open(path)  # validates
        p = Path(path)
        listed = {epoch_dir_name(e) for e in run.epochs}
        for d in (p / "epochs").glob("*"):
            if d.is_dir() and d.name not in listed:
                shutil.rmtree(d, ignore_errors=True)
        listed_files = {a.path for e in run.manifest.epochs for a in e.artifacts}
        for c in (p / "checkpoints").glob("*.safetensors"):
            if f"checkpoints/{c.name}" not in listed_files:
                c.unlink()
        remove_stale_temporaries(p)
        manifest = json.loads((p / MANIFEST).read_text(encoding="utf-8"))
        manifest = parse_manifest(manifest).to_json()
        manifest["status"] = "recording"
        w = cls(p, manifest)
        w._commit()
        return w

    # -- state --------------------------------------------------------------------------------

    @property
    def run_id(self) -> str:
        return str(self._manifest["run_id"])

    @property
    def epochs(self) -> list[int]:
        return [int(e["epoch"]) for e in self._manifest["epochs"]]

    def reader(self) -> Run:
        """A reader over what is committed so far."""
        return Run(self.path, parse_manifest(self._manifest))

    def _commit(self) -> None:
        # Another process may have added derived artifacts (an embedding made while training
        # runs): keep those, so two writers never drop each other's listings.
        mf = self.path / MANIFEST
        if mf.is_file():
            try:
                on_disk = json.loads(mf.read_text(encoding="utf-8")).get("artifacts", [])
            except (OSError, ValueError):
                on_disk = []
            ours = {a["path"] for a in self._manifest["artifacts"]}
            self._manifest["artifacts"] += [a for a in on_disk if a.get("path") not in ours]
        write_json_atomic(mf, self._manifest, fsync=True)

    def _add_artifact(self, rel: str, sha: str, tensors: dict[str, Any] | None = None) -> None:
        arts = [a for a in self._manifest["artifacts"] if a["path"] != rel]
        arts.append({"path": rel, "sha256": sha, "tensors": tensors or {}})
        self._manifest["artifacts"] = arts

    # -- writing --------------------------------------------------------------------------------

    def write_probe(
        self,
        *,
        labels: np.ndarray,
        indices: np.ndarray,
        thumbnails: np.ndarray | None = None,
        sources: list[str] | None = None,
        split: np.ndarray | None = None,
    ) -> None:
        """Store the fixed probe set (written once, before the first epoch).

        ``split`` marks each probe 0 (held out, test) or 1 (training set); default all 0.
        """
        n = len(labels)
        arrays: dict[str, np.ndarray] = {
            "labels": np.asarray(labels, dtype=np.int64),
            "indices": np.asarray(indices, dtype=np.int64),
            "split": np.zeros(n, np.int64) if split is None else np.asarray(split, np.int64),
        }
        if thumbnails is not None:
            arrays["thumbnails"] = np.asarray(thumbnails, dtype=np.uint8)
        sha = write_bytes_atomic(self.path / "probe" / "probe.safetensors", _encode(arrays))
        self._add_artifact("probe/probe.safetensors", sha, _tensor_info(arrays))
        if sources is not None:
            sha = write_json_atomic(self.path / "probe" / "sources.json", list(sources))
            self._add_artifact("probe/sources.json", sha)
        self._manifest["probe"] = {
            "n": int(n),
            "test": int((arrays["split"] == 0).sum()),
            "train": int((arrays["split"] == 1).sum()),
        }
        self._commit()

    def write_epoch(
        self,
        epoch: int,
        *,
        activations: Mapping[str, np.ndarray],
        outputs: Mapping[str, np.ndarray],
        metrics: Mapping[str, float],
        checkpoint: bytes | None = None,
        optimizer: bytes | None = None,
    ) -> None:
        """Append one complete epoch; the manifest lists it only once every file is in place.

        ``checkpoint`` and ``optimizer`` are safetensors bytes made by the caller.
        """
        if self.epochs and epoch <= self.epochs[-1]:
            raise UserInputError(
                f"epoch {epoch} is already recorded in run {self.run_id} (last: {self.epochs[-1]})"
            )
        missing = set(self._manifest["layers"]) - set(activations)
        if missing:
            raise UserInputError(f"epoch {epoch} lacks activations of {sorted(missing)}")
        name = epoch_dir_name(epoch)
        final = self.path / "epochs" / name
        if final.exists():  # left by a writer killed before its manifest update
            shutil.rmtree(final)
        acts = {k: np.asarray(v, dtype=np.float16) for k, v in activations.items()}
        outs = {k: np.asarray(v, dtype=np.float32) for k, v in outputs.items()}
        arts = []
        for fname, arrays in (("activations.safetensors", acts), ("outputs.safetensors", outs)):
            rel = f"epochs/{name}/{fname}"
            sha = write_bytes_atomic(self.path / rel, _encode(arrays))
            arts.append({"path": rel, "sha256": sha, "tensors": _tensor_info(arrays)})
        ckpt_rel = None
        if checkpoint is not None:
            ckpt_rel = f"checkpoints/{name}.safetensors"
            sha = write_bytes_atomic(self.path / ckpt_rel, checkpoint)
            arts.append({"path": ckpt_rel, "sha256": sha, "tensors": {}})
        stale: list[Path] = []
        if optimizer is not None:
            rel = f"checkpoints/{name}.optimizer.safetensors"
            sha = write_bytes_atomic(self.path / rel, optimizer)
            arts.append({"path": rel, "sha256": sha, "tensors": {}})
            stale = self._unlist_older_optimizer_state()
        self._manifest["epochs"].append(
            {
                "epoch": int(epoch),
                "metrics": {k: float(v) for k, v in metrics.items()},
                "checkpoint": ckpt_rel,
                "artifacts": arts,
            }
        )
        self._commit()
        for p in stale:  # only once the manifest no longer lists them
            p.unlink(missing_ok=True)

    def _unlist_older_optimizer_state(self) -> list[Path]:
        """Drop earlier epochs' optimizer state from the manifest; returns the files to delete.

        Resuming needs the optimizer state of the last epoch only (Adam's is twice the model),
        so each new one replaces the one before. The caller deletes the files after the next
        commit: the manifest never lists a file that is gone, and a writer killed in between
        leaves an unlisted file that :meth:`resume` removes.
        """
        stale = []
        for entry in self._manifest["epochs"]:
            keep = []
            for a in entry["artifacts"]:
                if a["path"].endswith(".optimizer.safetensors"):
                    stale.append(self.path / a["path"])
                else:
                    keep.append(a)
            entry["artifacts"] = keep
        return stale

    def write_embedding(self, layer: str, embedding: np.ndarray, info: Mapping[str, Any]) -> Path:
        """Store (or replace) the embedding of ``layer``: [E, N, 2] plus how it was made."""
        arr = np.asarray(embedding, dtype=np.float32)
        rel = f"embeddings/{_layer_key(layer)}.safetensors"
        meta = {"convlens": json.dumps({"layer": layer, **info})}
        sha = write_bytes_atomic(self.path / rel, _encode({"embedding": arr}, meta))
        self._add_artifact(rel, sha, _tensor_info({"embedding": arr}))
        self._commit()
        return self.path / rel

    def write_arrays(
        self, rel: str, arrays: Mapping[str, np.ndarray], info: Mapping[str, Any]
    ) -> Path:
        """Store (or replace) derived arrays at ``rel`` (``FOLDER/NAME.safetensors``).

        ``info`` (JSON-serialisable) says how they were made; :meth:`Run.arrays` reads both.
        """
        rel = _derived_path(rel)
        meta = {"convlens": json.dumps(dict(info))}
        sha = write_bytes_atomic(self.path / rel, _encode(arrays, meta))
        self._add_artifact(rel, sha, _tensor_info(arrays))
        self._commit()
        return self.path / rel

    def write_media(self, name: str, data: bytes) -> Path:
        """Store a picture or video under ``media/``."""
        rel = f"media/{name}"
        sha = write_bytes_atomic(self.path / rel, data)
        self._add_artifact(rel, sha)
        self._commit()
        return self.path / rel

    def register_media(self, path: Path) -> None:
        """List a media file written elsewhere (atomically) under ``media/`` in the manifest."""
        import hashlib

        rel = path.relative_to(self.path).as_posix()
        self._add_artifact(rel, hashlib.sha256(path.read_bytes()).hexdigest())
        self._commit()

    def set_extra(self, key: str, value: Any) -> None:
        """Record a free-form, JSON-serialisable fact about the run."""
        self._manifest.setdefault("extra", {})[key] = value
        self._commit()

    def finish(self, status: str = "complete") -> None:
        """Mark the run finished (``complete``) or stopped (``interrupted``, ``failed``)."""
        self._manifest["status"] = status
        self._commit()


def open_for_update(path: str | os.PathLike[str]) -> RunWriter:
    """Open an existing run to add derived results (embeddings, media) without touching epochs."""
    run = Run.open(path)
    return RunWriter(run.path, run.manifest.to_json())
