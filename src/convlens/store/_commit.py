"""The manifest side of writing a run: list a file, unlist one, commit (``RunWriter``'s base).

A file is written first (atomically), then listed here, then the manifest is committed
atomically. Another process may list derived files in the same run meanwhile (an embedding made
while training runs): a commit keeps their listings for every path this writer did not write.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

from ._atomic import write_json_atomic
from ._manifest import MANIFEST, parse_manifest
from ._reader import Run


class ManifestCommits:
    """A run's manifest as one writer holds it, and its atomic commit."""

    def __init__(self, path: Path, manifest: dict[str, Any]) -> None:
        self.path = path
        self._manifest = manifest
        self._written: set[str] = set()  # listings this writer made or removed: they win

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
        # Another process may have added or replaced derived artifacts (an embedding made while
        # training runs): keep its listings for every path this writer did not write itself,
        # so two writers never drop or undo each other's listings.
        mf = self.path / MANIFEST
        if mf.is_file():
            try:
                on_disk = json.loads(mf.read_text(encoding="utf-8")).get("artifacts", [])
            except (OSError, ValueError):
                on_disk = []
            theirs = {
                a["path"]: a
                for a in on_disk
                if isinstance(a, dict) and a.get("path") not in self._written
            }
            ours = [a for a in self._manifest["artifacts"] if a["path"] not in theirs]
            self._manifest["artifacts"] = ours + list(theirs.values())
        write_json_atomic(mf, self._manifest, fsync=True)

    def _add_artifact(self, rel: str, sha: str, tensors: dict[str, Any] | None = None) -> None:
        arts = [a for a in self._manifest["artifacts"] if a["path"] != rel]
        arts.append({"path": rel, "sha256": sha, "tensors": tensors or {}})
        self._manifest["artifacts"] = arts
        self._written.add(rel)

    def _drop_artifact(self, rel: str) -> None:
        """Unlist ``rel`` and remove its file (a listing that no longer tells the truth)."""
        self._manifest["artifacts"] = [a for a in self._manifest["artifacts"] if a["path"] != rel]
        self._written.add(rel)
        with contextlib.suppress(FileNotFoundError, IsADirectoryError):
            (self.path / rel).unlink()
