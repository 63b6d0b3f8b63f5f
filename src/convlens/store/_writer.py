"""Writing a run directory: :class:`RunWriter` and :func:`open_for_update`. Never imports torch.

Every file lands atomically (temporary name, then rename) before the manifest lists it, so a
writer killed at any instant leaves a run that reads up to its last complete step. Opening a run
again (:meth:`RunWriter.resume`, :func:`open_for_update`) removes what a killed writer left;
resuming also checks every listed file against its sha256 (see :meth:`RunWriter.resume`). How a
write is listed in the manifest (and how two writers keep each other's listings) is
:mod:`._commit`.
"""

from __future__ import annotations

import datetime as _dt
import errno
import json
import os
import re
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from convlens.core import RunFormatError, UserInputError

from ._atomic import (
    TMP_PREFIX,
    atomic_path,
    claim_writer,
    is_stale_temporary,
    remove_stale_temporaries,
    temporary_prefix,
    write_bytes_atomic,
    write_json_atomic,
)
from ._commit import ManifestCommits
from ._layout import (
    CONFIG,
    MODEL_FOLDER,
    PROBE,
    PROBE_SOURCES,
    SAFE_ID,
    WRITER,
    derived_path,
    encode,
    epoch_dir_name,
    layer_key,
    tensor_info,
    unlist_optimizer_state,
)
from ._manifest import MANIFEST, SCHEMA_VERSION, parse_manifest
from ._reader import Problem, Run, file_sha256


class RunWriter(ManifestCommits):
    """Writes a run directory append-only; every file lands atomically.

    Use :meth:`create` for a new run and :meth:`resume` to continue one.
    """

    def __init__(self, path: Path, manifest: dict[str, Any]) -> None:
        super().__init__(path, manifest)
        self.needs_probe = False
        self.repaired: list[Problem] = []

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
        """Create ``runs_dir/<run_id>/`` with its config and an empty manifest.

        The folder is made under a temporary name and renamed once its manifest is written, so
        a writer killed while creating it leaves no half-made run (the next ``create`` in the
        same folder removes the leftover).
        """
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
        if not SAFE_ID.match(run_id):
            raise UserInputError(
                f"run id '{run_id}' may only use letters, digits, '.', '_' and '-'"
            )
        root.mkdir(parents=True, exist_ok=True)
        for left in root.glob(TMP_PREFIX + "*"):
            if left.is_dir() and is_stale_temporary(left):
                shutil.rmtree(left, ignore_errors=True)
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
        staging = root / (temporary_prefix(run_id) + os.urandom(4).hex())
        staging.mkdir()
        try:
            w = cls(staging, manifest)
            claim_writer(staging)
            sha = write_json_atomic(staging / CONFIG, dict(config))
            w._add_artifact(CONFIG, sha)
            w._commit()
            base, n = run_id, 1
            while True:
                path = root / run_id
                if not path.exists():
                    if run_id != w.run_id:
                        w._manifest["run_id"] = run_id
                        w._commit()
                    try:
                        os.rename(staging, path)
                        break
                    except OSError as exc:  # another writer took the name a moment ago
                        if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                            raise
                n += 1
                run_id = f"{base}-{n}"
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        w.path = path
        return w

    @classmethod
    def resume(cls, path: str | os.PathLike[str]) -> RunWriter:
        """Reopen a run to append epochs, after checking every file it lists.

        What a killed writer left unfinished is removed (unlisted epoch folders and
        checkpoints, temporaries). Every listed file is checked against its sha256:

        - an epoch with a missing or changed file is dropped with every later epoch, so
          training continues from the last intact one and writes them again;
        - a missing or changed derived result (embedding, importance, graph, media) is
          removed from the manifest and from disk: the command that makes it computes it again;
        - a probe set that is missing or changed is removed and :attr:`needs_probe` is set: the
          caller writes it again with :meth:`write_probe` (``convlens train --resume`` does),
          and :meth:`finish` refuses to call the run complete without it.

        What was repaired is in :attr:`repaired`.
        """
        run = Run.open(path)  # validates
        p = run.path
        remove_stale_temporaries(p)
        manifest = parse_manifest(json.loads((p / MANIFEST).read_text(encoding="utf-8")))
        w = cls(p, manifest.to_json())
        problems = Run(p, manifest).problems()
        w.repaired = problems
        broken_epochs = [pr.epoch for pr in problems if pr.epoch is not None]
        if broken_epochs:
            first = min(broken_epochs)
            w._manifest["epochs"] = [e for e in w._manifest["epochs"] if e["epoch"] < first]
        for pr in problems:
            if pr.epoch is None and pr.path in (PROBE, PROBE_SOURCES):
                w.needs_probe = True
            elif pr.epoch is None and pr.derived:
                w._drop_artifact(pr.path)
        if w.needs_probe:
            for rel in (PROBE, PROBE_SOURCES):
                w._drop_artifact(rel)
            w._manifest["probe"] = {}
        listed = {epoch_dir_name(e) for e in w.epochs}
        for d in (p / "epochs").glob("*"):
            if d.is_dir() and d.name not in listed:
                shutil.rmtree(d, ignore_errors=True)
        listed_files = {a["path"] for e in w._manifest["epochs"] for a in e["artifacts"]}
        for c in (p / "checkpoints").glob("*.safetensors"):
            if f"checkpoints/{c.name}" not in listed_files:
                c.unlink()
        w._manifest["status"] = "recording"
        claim_writer(p)
        w._commit()
        return w

    def forget(self, rel: str) -> None:
        """Remove a derived result from the manifest and from disk (to be computed again)."""
        self._drop_artifact(derived_or_media(rel))
        self._commit()

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
        sha = write_bytes_atomic(self.path / PROBE, encode(arrays))
        self._add_artifact(PROBE, sha, tensor_info(arrays))
        if sources is not None:
            sha = write_json_atomic(self.path / PROBE_SOURCES, list(sources))
            self._add_artifact(PROBE_SOURCES, sha)
        self._manifest["probe"] = {
            "n": int(n),
            "test": int((arrays["split"] == 0).sum()),
            "train": int((arrays["split"] == 1).sum()),
        }
        self._commit()
        self.needs_probe = False

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
            sha = write_bytes_atomic(self.path / rel, encode(arrays))
            arts.append({"path": rel, "sha256": sha, "tensors": tensor_info(arrays)})
        ckpt_rel = None
        if checkpoint is not None:
            ckpt_rel = f"checkpoints/{name}.safetensors"
            sha = write_bytes_atomic(self.path / ckpt_rel, checkpoint)
            arts.append({"path": ckpt_rel, "sha256": sha, "tensors": {}})
        stale: list[str] = []
        if optimizer is not None:
            rel = f"checkpoints/{name}.optimizer.safetensors"
            sha = write_bytes_atomic(self.path / rel, optimizer)
            arts.append({"path": rel, "sha256": sha, "tensors": {}})
            stale = unlist_optimizer_state(self._manifest["epochs"])
        self._manifest["epochs"].append(
            {
                "epoch": int(epoch),
                "metrics": {k: float(v) for k, v in metrics.items()},
                "checkpoint": ckpt_rel,
                "artifacts": arts,
            }
        )
        self._commit()
        for rel in stale:  # only once the manifest no longer lists them
            (self.path / rel).unlink(missing_ok=True)

    def write_embedding(self, layer: str, embedding: np.ndarray, info: Mapping[str, Any]) -> Path:
        """Store (or replace) the embedding of ``layer``: [E, N, 2] plus how it was made."""
        arr = np.asarray(embedding, dtype=np.float32)
        rel = f"embeddings/{layer_key(layer)}.safetensors"
        meta = {"convlens": json.dumps({"layer": layer, **info})}
        sha = write_bytes_atomic(self.path / rel, encode({"embedding": arr}, meta))
        self._add_artifact(rel, sha, tensor_info({"embedding": arr}))
        self._commit()
        return self.path / rel

    def write_arrays(
        self, rel: str, arrays: Mapping[str, np.ndarray], info: Mapping[str, Any]
    ) -> Path:
        """Store (or replace) derived arrays at ``rel`` (``FOLDER/NAME.safetensors``).

        ``info`` (JSON-serialisable) says how they were made; :meth:`Run.arrays` reads both.
        """
        rel = derived_path(rel)
        meta = {"convlens": json.dumps(dict(info))}
        sha = write_bytes_atomic(self.path / rel, encode(arrays, meta))
        self._add_artifact(rel, sha, tensor_info(arrays))
        self._commit()
        return self.path / rel

    def write_media(self, name: str, data: bytes) -> Path:
        """Store a picture or video under ``media/``."""
        rel = f"media/{name}"
        sha = write_bytes_atomic(self.path / rel, data)
        self._add_artifact(rel, sha)
        self._commit()
        return self.path / rel

    def write_model_file(self, name: str, source: str | os.PathLike[str]) -> str:
        """Copy the file the model is rebuilt from (an ONNX file) into ``model/NAME`` and list it
        with its sha256, so the run keeps working when the original moves. Returns the path
        inside the run."""
        if not SAFE_ID.match(name):
            raise UserInputError(f"'{name[:40]}' is not a file name for the run's model file")
        rel = f"{MODEL_FOLDER}/{name}"
        with atomic_path(self.path / rel) as tmp:
            shutil.copyfile(source, tmp)
        self._add_artifact(rel, file_sha256(self.path / rel))
        self._commit()
        return rel

    def register_media(self, path: Path) -> None:
        """List a media file written elsewhere (atomically) under ``media/`` in the manifest."""
        rel = path.relative_to(self.path).as_posix()
        self._add_artifact(rel, file_sha256(path))
        self._commit()

    def set_extra(self, key: str, value: Any) -> None:
        """Record a free-form, JSON-serialisable fact about the run."""
        self._manifest.setdefault("extra", {})[key] = value
        self._commit()

    def finish(self, status: str = "complete") -> None:
        """Mark the run finished (``complete``) or stopped (``interrupted``, ``failed``).

        Raises:
            RunFormatError: ``complete`` asked for while the probe set is missing (a resumed run
                whose probe set was lost and not written again); the run stays ``recording``.
        """
        if status == "complete" and self.needs_probe:
            raise RunFormatError(
                f"run {self.run_id} has no intact probe set ({PROBE}), so it is not complete: "
                "resume it with convlens train --resume RUN, which writes the probe set again"
            )
        self._manifest["status"] = status
        self._commit()
        (self.path / WRITER).unlink(missing_ok=True)


def derived_or_media(rel: str) -> str:
    """Check ``rel`` names a derived result or a media file (never a training-time file)."""
    if rel.startswith("media/") and "/" not in rel[6:] and ".." not in rel and len(rel) > 6:
        return rel
    return derived_path(rel)


def open_for_update(path: str | os.PathLike[str]) -> RunWriter:
    """Open an existing run to add derived results (embeddings, media) without touching epochs.

    Temporaries a killed command left in the run are removed (those of live writers are kept).
    """
    run = Run.open(path)
    remove_stale_temporaries(run.path)
    return RunWriter(run.path, run.manifest.to_json())
