"""Reading a run directory: :class:`Run` and :func:`list_runs`. Never imports torch.

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
reads up to its last complete epoch.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import load as _st_load

from convlens.core import NotFoundError, RunFormatError, UnavailableError, UserInputError

from ._atomic import writer_gone
from ._layout import PROBE, derived_path, epoch_dir_name, is_derived, layer_key
from ._manifest import MANIFEST, Artifact, EpochEntry, Manifest, parse_manifest


@dataclass(frozen=True)
class Problem:
    """One way a run's files disagree with its manifest.

    Attributes:
        path: The file, relative to the run.
        what: ``missing`` or ``checksum differs``.
        derived: Whether the file is a derived result (embedding, importance, pruning, graph,
            media) that can be computed again, rather than something training wrote.
        epoch: The epoch the file belongs to, if any.
    """

    path: str
    what: str
    derived: bool
    epoch: int | None = None

    def __str__(self) -> str:
        return f"{self.path}: {self.what}"


def file_sha256(path: Path) -> str:
    """The sha256 hex digest of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def artifact_problem(root: Path, a: Artifact, epoch: int | None = None) -> Problem | None:
    """How the file of artifact ``a`` under ``root`` disagrees with its listing, if it does."""
    p = root / a.path
    if not p.is_file():
        return Problem(a.path, "missing", is_derived(a.path), epoch)
    if a.sha256 and file_sha256(p) != a.sha256:
        return Problem(a.path, "checksum differs", is_derived(a.path), epoch)
    return None


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
    def status(self) -> str:
        """The manifest's status, but ``interrupted`` for a ``recording`` run whose writer died.

        A writer killed after its last epoch and before :meth:`RunWriter.finish` leaves the
        manifest saying ``recording``; its note (``.writer.json``) tells a dead process apart
        from one still training (only on the machine that wrote it).
        """
        status = self.manifest.status
        return "interrupted" if status == "recording" and writer_gone(self.path) else status

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
        p = self.path / "embeddings" / f"{layer_key(layer)}.safetensors"
        if not p.is_file():
            return None
        from safetensors import safe_open

        try:
            with safe_open(str(p), framework="numpy") as f:
                meta = f.metadata() or {}
                arr = f.get_tensor("embedding")
            info = json.loads(meta.get("convlens", "{}"))
        except Exception as exc:  # SafetensorError is no ValueError on every version
            raise RunFormatError(f"{p} cannot be read: {exc}") from exc
        return arr, info

    def arrays(self, rel: str) -> tuple[dict[str, np.ndarray], dict[str, Any]] | None:
        """Derived arrays stored with ``RunWriter.write_arrays`` and their description.

        Returns ``None`` when the manifest does not list ``rel`` (not made yet).
        """
        rel = derived_path(rel)
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

    def intact(self, rel: str) -> bool:
        """Whether the manifest lists ``rel`` and its file matches the listed sha256."""
        for a in self.manifest.artifacts:
            if a.path == rel:
                return artifact_problem(self.path, a) is None
        return False

    def problems(self) -> list[Problem]:
        """Every listed file that is missing or differs from its sha256, and a missing probe set.

        A run whose probe set was never written completely (a writer killed while writing it)
        reports ``probe/probe.safetensors: missing``.
        """
        found = []
        if not any(a.path == PROBE for a in self.manifest.artifacts):
            found.append(Problem(PROBE, "missing", derived=False))
        for a in self.manifest.artifacts:
            got = artifact_problem(self.path, a)
            if got is not None:
                found.append(got)
        for e in self.manifest.epochs:
            for a in e.artifacts:
                got = artifact_problem(self.path, a, e.epoch)
                if got is not None:
                    found.append(got)
        return found

    def verify(self) -> list[str]:
        """Check every listed artifact's sha256; returns the problems found (empty = intact)."""
        return [str(p) for p in self.problems()]

    def _repr_html_(self) -> str:
        """The run in a notebook cell: key figures and the last frame (``media/last_frame.png``)."""
        from ._html import run_html

        return run_html(self)


def list_runs(runs_dir: str | os.PathLike[str]) -> list[Run]:
    """Every readable run directly under ``runs_dir``, newest first."""
    root = Path(runs_dir)
    runs = []
    for mf in sorted(root.glob(f"*/{MANIFEST}")):
        if mf.parent.name.startswith("."):  # a run still being created (or its leftover)
            continue
        try:
            runs.append(Run.open(mf.parent))
        except RunFormatError:
            continue
    runs.sort(key=lambda r: r.manifest.created, reverse=True)
    return runs
