"""``convlens embed`` and ``convlens video`` on a run with fewer probe pictures than the aligned
embedding needs (n_neighbors + 2 = 17): they fall back to exact PCA, as the timeline does, and
say so (the stored embedding's info names the method really used)."""

from __future__ import annotations

from pathlib import Path

import pytest

from convlens.cli import main
from convlens.store import Run
from convlens.testing import make_fixture_run


@pytest.fixture
def small_run(tmp_path: Path) -> Path:
    return make_fixture_run(tmp_path / "runs", epochs=2, n_per_class=2, run_id="small")  # 6


def test_embed_falls_back_to_pca(small_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["embed", str(small_run), "--layer", "fc"]) == 0
    out = capsys.readouterr().out
    assert "fc: pca (aligned needs at least 17 pictures and this run has 6" in out, out
    emb, info = Run.open(small_run).embedding("fc")
    assert emb.shape == (2, 6, 2) and info["method"] == "pca"
    assert info["asked"] == "aligned" and "17" in info["note"]
    # asked again: the stored PCA embedding is current (not made again, not called "aligned")
    before = (small_run / "embeddings" / "fc.safetensors").stat().st_mtime_ns
    assert main(["embed", str(small_run), "--layer", "fc"]) == 0
    assert "fc: pca" in capsys.readouterr().out
    assert (small_run / "embeddings" / "fc.safetensors").stat().st_mtime_ns == before


def test_an_asked_pca_embedding_has_no_note(
    small_run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["embed", str(small_run), "--layer", "fc", "--method", "pca"]) == 0
    _, info = Run.open(small_run).embedding("fc")
    assert info["method"] == "pca" and "note" not in info and "asked" not in info


def test_video_of_a_small_run_renders(
    small_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gif = tmp_path / "v.gif"
    argv = ["video", str(small_run), "--out", str(gif), "--width", "640", "--height", "360"]
    assert main([*argv, "--fps", "4", "--seconds-per-epoch", "0.5"]) == 0, capsys.readouterr()
    captured = capsys.readouterr()
    assert gif.stat().st_size > 0 and "Traceback" not in captured.err
    assert "fc: aligned needs at least 17 pictures" in captured.out, captured
    _, info = Run.open(small_run).embedding("fc")
    assert info["method"] == "pca" and info["asked"] == "aligned"
