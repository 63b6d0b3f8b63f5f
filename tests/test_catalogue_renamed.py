"""A run folder renamed after the run was made: listed by its manifest id, it opens by that id
(it answered "no run 'X' in …: runs are X") and by its folder name."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from convlens.core import NotFoundError
from convlens.pipelines import RunCatalogue
from convlens.server import Settings, create_app


def test_a_renamed_run_folder_opens_by_the_id_it_is_listed_by(fixture_run: Path) -> None:
    renamed = fixture_run.rename(fixture_run.parent / "kept-copy")
    catalogue = RunCatalogue(renamed.parent)
    assert [r.run_id for r in catalogue.runs()] == ["fixture"]
    assert catalogue.run("fixture").path == renamed
    assert catalogue.run("kept-copy").path == renamed
    with pytest.raises(NotFoundError, match="runs are fixture"):
        catalogue.run("nope")
    with pytest.raises(NotFoundError):
        catalogue.run("../kept-copy")
    with TestClient(create_app(renamed.parent, Settings()), base_url="http://127.0.0.1") as c:
        listed = [r["id"] for r in c.get("/api/runs").json()]
        assert listed == ["fixture"]
        for run_id in listed:
            r = c.get(f"/api/runs/{run_id}/story")
            assert r.status_code == 200, r.text
            assert r.json()["run"] == "fixture"
