"""A live run: an epoch that lands while the page is still loading the timeline's chunks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ._ui import until
from .conftest import TIMEOUT_MS, TOUR_FLAG, serve_folder

pytestmark = pytest.mark.browser


def test_an_epoch_that_lands_during_the_first_load_is_fetched_when_it_ends(browser, tmp_path):
    """The page ignores live updates while its first load runs (it would restart it); the epoch
    that landed meanwhile must still be fetched once that load ends, not at the next epoch."""
    from convlens.record import Recorder
    from convlens.testing import TinyConvNet, make_fixture_run, probe_images

    run_dir = make_fixture_run(tmp_path / "runs", epochs=3, run_id="live")
    with serve_folder(run_dir.parent) as url:
        ctx = browser.new_context(base_url=url, viewport={"width": 1400, "height": 900})
        ctx.set_default_timeout(TIMEOUT_MS)
        ctx.add_init_script(f"window.localStorage.setItem({TOUR_FLAG!r}, '1')")
        page = ctx.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        held: list = []  # the second chunk's request, answered once the new epoch is known

        def second_chunk(u: str) -> bool:
            return "/timeline?" in u and "start=1" in u

        page.route(  # only the first load's: the reload's chunks go straight through
            second_chunk, lambda route: route.continue_() if held else held.append(route)
        )
        frames: list[str] = []
        page.on("websocket", lambda ws: ws.on("framereceived", lambda f: frames.append(f)))
        try:
            page.goto("/#/timeline?run=live&layer=fc")
            until(page, lambda: bool(held), "the timeline's second chunk to be asked for")
            x, y = probe_images(8, 0)
            with Recorder(TinyConvNet(scale=2.0), x, y, layers=["conv", "fc"], resume=run_dir) as r:
                r.record_epoch({"train_loss": 0.2, "test_accuracy": 0.9})

            def told() -> bool:  # the folder holds this one run
                msgs = [json.loads(f) for f in frames if isinstance(f, str)]
                return any(
                    run.get("epochs") == [1, 2, 3, 4]
                    for m in msgs
                    if m.get("type") == "runs"
                    for run in m["runs"]
                )

            until(page, told, "the live socket to tell the page about epoch 4")
            held[0].continue_()
            epochs = "() => window.__convlens?.timeline?.epochs ?? 0"
            until(page, lambda: page.evaluate(epochs) == 4, "the timeline to show epoch 4")
            assert not errors, errors
        finally:
            ctx.close()
    assert Path(run_dir).is_dir()
