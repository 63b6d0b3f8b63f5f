"""Golden fixture: the run format (schema 1) stays readable, and writing still produces it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from convlens.store import SCHEMA_VERSION, Run
from convlens.testing import make_fixture_run

GOLDEN = Path(__file__).parent / "golden" / "golden-v1"


def test_golden_run_reads_exactly() -> None:
    run = Run.open(GOLDEN)
    assert run.manifest.schema_version == 1
    assert run.epochs == [1, 2]
    assert run.layers == ["conv", "fc"]
    assert run.classes == ["vertical", "horizontal", "blank"]
    assert run.verify() == []
    acts = run.activation_series("fc")
    assert acts.shape == (2, 6, 3) and acts.dtype == np.float16
    assert run.probe()["labels"].tolist() == [0, 0, 1, 1, 2, 2]
    np.testing.assert_allclose(run.metrics()["train_loss"], [1.0, 0.5])
    assert run.outputs(2)["logits"].shape == (6, 3)


def _normalise(obj: Any) -> Any:
    """Drop what legitimately differs between two writes: times, versions, checksums."""
    if isinstance(obj, dict):
        return {
            k: _normalise(v) for k, v in obj.items() if k not in ("created", "versions", "sha256")
        }
    if isinstance(obj, list):
        return [_normalise(v) for v in obj]
    return obj


def test_writer_still_writes_the_golden_format(tmp_path: Path) -> None:
    assert SCHEMA_VERSION == 1, "a new schema needs a new golden run and a migration test"
    fresh = make_fixture_run(tmp_path, epochs=2, n_per_class=2, run_id="golden-v1")
    golden = json.loads((GOLDEN / "manifest.json").read_text())
    written = json.loads((fresh / "manifest.json").read_text())
    assert _normalise(written) == _normalise(golden)
    assert sorted(
        p.relative_to(fresh).as_posix() for p in fresh.rglob("*") if p.is_file()
    ) == sorted(p.relative_to(GOLDEN).as_posix() for p in GOLDEN.rglob("*") if p.is_file())
    for e in (1, 2):
        for layer in ("conv", "fc"):
            np.testing.assert_allclose(
                Run.open(fresh).activations(e, layer),
                Run.open(GOLDEN).activations(e, layer),
                rtol=1e-3,
            )
