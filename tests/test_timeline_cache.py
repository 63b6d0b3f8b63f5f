"""The timeline's arrays are read once per file: a live run's refetch reads only the new epoch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from convlens import views
from convlens.store import Run, RunWriter
from convlens.views._arraycache import ArrayCache


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every file the store's reader loads (relative paths), in order."""
    seen: list[str] = []
    load = Run._load

    def counting(self: Run, rel: str) -> dict[str, np.ndarray]:
        seen.append(rel)
        return load(self, rel)

    monkeypatch.setattr(Run, "_load", counting)
    return seen


def _add_epoch(run_dir: Path) -> None:
    """Append epoch 4 (a copy of epoch 3's arrays, the predictions rolled by one class)."""
    run = Run.open(run_dir)
    acts = {layer: run.activations(3, layer) for layer in run.layers}
    logits = np.roll(run.outputs(3)["logits"], 1, axis=1)
    w = RunWriter.resume(run_dir)
    w.write_epoch(4, activations=acts, outputs={"logits": logits}, metrics={"train_loss": 0.2})


def outputs_reads(seen: list[str]) -> list[str]:
    return [r for r in seen if r.endswith("outputs.safetensors")]


def test_refetch_reads_only_the_new_epoch(fixture_run: Path, reads: list[str]) -> None:
    insp = views.Inspector(fixture_run.parent)
    first = views.timeline(insp, insp.run("fixture"), "fc")
    assert len(outputs_reads(reads)) == 3  # epochs 1..3, once each
    views.timeline(insp, insp.run("fixture"), "fc")
    assert len(outputs_reads(reads)) == 3  # nothing read again
    views.point(insp, insp.run("fixture"), 5)  # keeps the logits (the timeline keeps classes)
    views.point(insp, insp.run("fixture"), 6)
    assert len(outputs_reads(reads)) == 6
    _add_epoch(fixture_run)
    reads.clear()
    second = views.timeline(insp, insp.run("fixture"), "fc")
    assert outputs_reads(reads) == ["epochs/0004/outputs.safetensors"]
    assert second["epochs"] == [1, 2, 3, 4]
    np.testing.assert_array_equal(second["predicted"][:3], first["predicted"])
    logits4 = Run.open(fixture_run).outputs(4)["logits"]
    np.testing.assert_array_equal(second["predicted"][3], logits4.argmax(1))


def test_a_rewritten_epoch_is_read_again(fixture_run: Path, reads: list[str]) -> None:
    insp = views.Inspector(fixture_run.parent)
    views.point(insp, insp.run("fixture"), 0)
    manifest = fixture_run / "manifest.json"
    # the same path listed with another sha256 (what resume does after a damaged epoch)
    text = manifest.read_text(encoding="utf-8")
    run = Run.open(fixture_run)
    sha = next(a.sha256 for a in run.manifest.epochs[0].artifacts if "outputs" in a.path)
    manifest.write_text(text.replace(sha, "0" * 64), encoding="utf-8")
    reads.clear()
    views.point(insp, insp.run("fixture"), 0)
    assert outputs_reads(reads) == ["epochs/0001/outputs.safetensors"]


def test_cache_is_bounded_by_bytes() -> None:
    cache = ArrayCache(max_bytes=1000)
    for i in range(5):
        cache.get(("a", str(i)), lambda: np.zeros(100, np.float32))  # 400 B each
    assert cache.nbytes == 800 and cache.made == 5
    assert cache.peek(("a", "0")) is None and cache.peek(("a", "4")) is not None
    big = cache.get(("big",), lambda: np.zeros(1000, np.float32))  # over the bound: not kept
    assert big.shape == (1000,) and cache.peek(("big",)) is None
    with pytest.raises(ValueError):
        cache.get(("a", "4"), lambda: np.zeros(1))[0] = 1.0  # shared arrays are read-only
