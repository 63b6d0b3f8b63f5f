"""The run manifest: one reader for every schema version (``parse_manifest``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from convlens.core import RunFormatError

SCHEMA_VERSION = 1
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Artifact:
    """One file of a run: where it is and what it holds."""

    path: str
    sha256: str
    tensors: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> {shape, dtype}


@dataclass(frozen=True)
class EpochEntry:
    """One completed epoch."""

    epoch: int
    metrics: dict[str, float]
    artifacts: tuple[Artifact, ...]
    checkpoint: str | None = None


@dataclass(frozen=True)
class Manifest:
    """What ``manifest.json`` says, in the current schema's terms."""

    schema_version: int
    run_id: str
    created: str
    status: str
    versions: dict[str, str]
    dataset: dict[str, Any]
    model: dict[str, Any]
    classes: tuple[str, ...]
    layers: dict[str, dict[str, Any]]
    probe: dict[str, Any]
    epochs: tuple[EpochEntry, ...]
    artifacts: tuple[Artifact, ...]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def epoch_numbers(self) -> list[int]:
        """The completed epochs, in order."""
        return [e.epoch for e in self.epochs]

    def to_json(self) -> dict[str, Any]:
        """The manifest as written to disk (current schema)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "run_id": self.run_id,
            "created": self.created,
            "status": self.status,
            "versions": dict(self.versions),
            "dataset": dict(self.dataset),
            "model": dict(self.model),
            "classes": list(self.classes),
            "layers": {k: dict(v) for k, v in self.layers.items()},
            "probe": dict(self.probe),
            "epochs": [
                {
                    "epoch": e.epoch,
                    "metrics": dict(e.metrics),
                    "checkpoint": e.checkpoint,
                    "artifacts": [_artifact_json(a) for a in e.artifacts],
                }
                for e in self.epochs
            ],
            "artifacts": [_artifact_json(a) for a in self.artifacts],
            **({"extra": self.extra} if self.extra else {}),
        }


def _artifact_json(a: Artifact) -> dict[str, Any]:
    return {"path": a.path, "sha256": a.sha256, "tensors": a.tensors}


def _artifact(d: dict[str, Any]) -> Artifact:
    return Artifact(
        path=str(d["path"]), sha256=str(d.get("sha256", "")), tensors=dict(d.get("tensors", {}))
    )


def parse_manifest(obj: Any, source: str = "manifest.json") -> Manifest:
    """Read a manifest of any schema version into the current :class:`Manifest`.

    Args:
        obj: The decoded JSON object.
        source: Where it came from, for error messages.

    Raises:
        RunFormatError: The object is not a ConvLens manifest, or is from a newer ConvLens.
    """
    if not isinstance(obj, dict) or "schema_version" not in obj:
        raise RunFormatError(f"{source} is not a ConvLens manifest (no schema_version)")
    version = obj["schema_version"]
    if not isinstance(version, int) or version < 1:
        raise RunFormatError(f"{source} has an invalid schema_version {version!r}")
    if version > SCHEMA_VERSION:
        raise RunFormatError(
            f"{source} was written by a newer ConvLens (schema {version}, this one reads up to "
            f"{SCHEMA_VERSION}): upgrade with pip install -U convlens"
        )
    # Version 1 is the current schema; later versions add their migrations here, oldest first.
    try:
        return Manifest(
            schema_version=version,
            run_id=str(obj["run_id"]),
            created=str(obj.get("created", "")),
            status=str(obj.get("status", "unknown")),
            versions=dict(obj.get("versions", {})),
            dataset=dict(obj.get("dataset", {})),
            model=dict(obj.get("model", {})),
            classes=tuple(str(c) for c in obj.get("classes", [])),
            layers={str(k): dict(v) for k, v in obj.get("layers", {}).items()},
            probe=dict(obj.get("probe", {})),
            epochs=tuple(
                EpochEntry(
                    epoch=int(e["epoch"]),
                    metrics={str(k): float(v) for k, v in e.get("metrics", {}).items()},
                    artifacts=tuple(_artifact(a) for a in e.get("artifacts", [])),
                    checkpoint=e.get("checkpoint"),
                )
                for e in obj.get("epochs", [])
            ),
            artifacts=tuple(_artifact(a) for a in obj.get("artifacts", [])),
            extra=dict(obj.get("extra", {})),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise RunFormatError(f"{source} is damaged ({type(exc).__name__}: {exc})") from exc
