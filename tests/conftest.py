"""Shared fixtures: every test writes only under pytest's temporary folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from convlens.testing import make_fixture_run


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CONVLENS_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))
    monkeypatch.setenv("CONVLENS_QUIET", "1")


@pytest.fixture
def fixture_run(tmp_path: Path) -> Path:
    """A small real run: TinyConvNet, 24 probes, 3 epochs, layers conv and fc."""
    return make_fixture_run(tmp_path / "runs", epochs=3)
