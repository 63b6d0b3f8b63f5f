"""Regenerate the golden runs (only when a format changes on purpose, with a new version).

python tests/golden/make_golden.py [run|formats]

- ``golden-v1``: the run format (manifest schema 1), a fixture run of two epochs.
- ``formats-v1``: a run holding one file of every derived format at its version 1 (embeddings,
  importance, pruning, graph, story), from the hand-written values in ``formats.py``.
- ``formats-v2``: the formats at version 2 (story: the pair mixing kept sparse).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from formats import (  # noqa: E402
    CLASSES,
    EMBEDDING,
    EMBEDDING_INFO,
    EPOCH,
    graph,
    importance,
    pruning,
    story_files,
)

from convlens.pipelines._graph import graph_path  # noqa: E402
from convlens.pipelines._importance import importance_path, pruning_path  # noqa: E402
from convlens.store import open_for_update  # noqa: E402
from convlens.testing import make_fixture_run  # noqa: E402


def _replace(run: Path, name: str) -> Path:
    target = HERE / name
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(run, target)
    print(f"wrote {target}")
    return target


def golden_run() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        _replace(make_fixture_run(tmp, epochs=2, n_per_class=2, run_id="golden-v1"), "golden-v1")


def golden_formats() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        run = make_fixture_run(tmp, epochs=2, n_per_class=2, run_id="formats-v1", checkpoints=False)
        w = open_for_update(run)
        w.write_embedding("fc", EMBEDDING, EMBEDDING_INFO)
        arrays, info = importance().to_arrays()
        info.update(epoch=EPOCH, class_names=CLASSES, examples=6)
        w.write_arrays(importance_path("taylor", EPOCH), arrays, info)
        arrays, info = pruning().to_arrays("all.")
        meta = {"epoch": EPOCH, "all": info, "focus": {}, "chance": 1 / 3}
        meta.update(class_names=CLASSES, examples=6)
        w.write_arrays(pruning_path("taylor", EPOCH), arrays, meta)
        arrays, info = graph().to_arrays()
        info.update(run="formats-v1", epoch=EPOCH, class_names=CLASSES[:2])
        w.write_arrays(graph_path(EPOCH), arrays, info)
        for rel, (arrays, info) in story_files(1).items():
            w.write_arrays(rel, arrays, info)
        _replace(run, "formats-v1")
    with tempfile.TemporaryDirectory() as tmp:
        run = make_fixture_run(tmp, epochs=2, n_per_class=2, run_id="formats-v2", checkpoints=False)
        w = open_for_update(run)
        for rel, (arrays, info) in story_files(2).items():
            w.write_arrays(rel, arrays, info)
        _replace(run, "formats-v2")


if __name__ == "__main__":
    which = sys.argv[1:] or ["run", "formats"]
    if "run" in which:
        golden_run()
    if "formats" in which:
        golden_formats()
