"""A run in a notebook: ``Run._repr_html_`` and ``convlens.show``, and a notebook run headless."""

from __future__ import annotations

import base64
import io
import json
import re
import sys
import time
import urllib.request
from pathlib import Path

import pytest

import convlens
from convlens import Run
from convlens._show import serve_in_background, stop_all
from convlens.core import RunFormatError, UserInputError

NOTEBOOK = Path(__file__).parent / "notebooks" / "show_run.ipynb"


def _get(url: str, deadline_s: float = 20.0) -> bytes:
    """GET ``url``, retrying refused connections until a deadline (each try blocks, no sleep)."""
    end = time.monotonic() + deadline_s
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                assert resp.status == 200
                return resp.read()
        except ConnectionError:
            if time.monotonic() > end:
                raise


@pytest.fixture
def servers():
    yield
    stop_all()


def test_repr_html_holds_the_key_figures(fixture_run: Path) -> None:
    page = Run.open(fixture_run)._repr_html_()
    for text in ("fixture", "tiny", "vertical, horizontal, blank", "90.0% (test accuracy)"):
        assert text in page
    assert "conv, fc" in page and "3 epochs" in page and "3 checkpoints" in page
    assert "<img" not in page  # no frame rendered yet


def test_repr_html_shows_the_last_frame_inline(fixture_run: Path) -> None:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 10, 10)).save(buf, format="PNG")
    (fixture_run / "media").mkdir(exist_ok=True)
    (fixture_run / "media" / "last_frame.png").write_bytes(buf.getvalue())
    page = Run.open(fixture_run)._repr_html_()
    got = re.search(r'src="data:image/png;base64,([^"]+)"', page)
    assert got is not None
    assert base64.b64decode(got.group(1)) == buf.getvalue()


def test_show_serves_the_runs_folder_and_reuses_it(fixture_run: Path, servers: None) -> None:
    pytest.importorskip("IPython")
    first = convlens.show(fixture_run)
    again = convlens.show(fixture_run)
    assert first.src == again.src == first.src.split("#")[0] + "#/timeline?run=fixture"
    runs = json.loads(_get(first.src.split("#")[0] + "api/runs"))
    assert [r["id"] for r in runs] == ["fixture"]
    assert serve_in_background(fixture_run.parent) == int(first.src.split(":")[2].split("/")[0])


def test_show_without_ipython_says_what_to_do(
    fixture_run: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "IPython", None)
    monkeypatch.setitem(sys.modules, "IPython.display", None)
    with pytest.raises(UserInputError, match="needs IPython.*convlens serve"):
        convlens.show(fixture_run)


def test_show_refuses_a_folder_that_is_no_run(tmp_path: Path) -> None:
    with pytest.raises(RunFormatError, match="not a ConvLens run"):
        convlens.show(tmp_path)


@pytest.mark.timeout(180)
def test_notebook_runs_headless(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    monkeypatch.setenv("CONVLENS_NOTEBOOK_DIR", str(tmp_path))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    with client.setup_kernel():  # the kernel (and the server it started) lives in this block
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
        html = [
            o["data"]["text/html"]
            for cell in nb.cells
            for o in cell.get("outputs", [])
            if "text/html" in o.get("data", {})
        ]
        assert len(html) == 2, html
        assert "ConvLens run fixture" in html[0] and "90.0% (test accuracy)" in html[0]
        frame = re.search(
            r'<iframe[^>]*src="(http://127\.0\.0\.1:\d+/)#/timeline\?run=fixture"', html[1]
        )
        assert frame is not None, html[1]
        runs = json.loads(_get(frame.group(1) + "api/runs"))
        assert [r["id"] for r in runs] == ["fixture"]
        assert _get(frame.group(1) + "api/runs/fixture")
    assert (tmp_path / "runs" / "fixture" / "manifest.json").is_file()
