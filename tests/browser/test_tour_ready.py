"""No tour step waits on a cold computation: on a fresh server (a copy of the run, a new app with
nothing computed), while the user reads one step the next step's data is fetched, so when a view
opens its data is already in the page: it asks the server for none of it (a job it asks for is
answered "done" at once) and it shows its content. Timings live in bench/RESULTS.md."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Request, Response, expect

import convlens.server

from ._ui import ConsoleLog, until

pytestmark = pytest.mark.browser

# what each step's view asks for its data (paths under api/runs/<run>/), and the jobs it waits on
VIEW_DATA = {
    "explorer": ("featuremaps", "weights"),
    "attributions": ("attributions", "attributions/check"),
    "classgrads": ("classgrads",),
    "graph": ("graph",),
    "projection": ("projection",),
}
JOBS = {"graph": "graph/job", "projection": "projection/job"}


@pytest.fixture
def fresh_url(trained_run: Path, tmp_path: Path) -> Iterator[str]:
    """A new app over a copy of the run: no model loaded, no gradient, graph or map computed."""
    import httpx2
    import uvicorn

    runs = tmp_path / "runs"
    shutil.copytree(trained_run, runs / trained_run.name)
    app = convlens.server.create_app(runs, convlens.server.Settings())
    sock = convlens.server.bind("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", ws="websockets-sansio"))
    thread = threading.Thread(target=lambda: server.run(sockets=[sock]), daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    try:
        httpx2.get(url + "api/runs", timeout=60).raise_for_status()  # waits in the backlog
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


def _path(url: str) -> str:
    """``api/runs/<run>/featuremaps?...`` -> ``featuremaps``."""
    rest = url.split("/api/runs/", 1)[-1].split("?", 1)[0]
    return rest.split("/", 1)[1] if "/" in rest else ""


def test_each_step_opens_on_data_already_here(browser: Browser, fresh_url: str) -> None:
    ctx = browser.new_context(base_url=fresh_url, viewport={"width": 1440, "height": 900})
    console = ConsoleLog()
    page = ctx.new_page()
    page.on("pageerror", lambda exc: console.errors.append(f"page error: {exc}"))
    page.on(
        "console",
        lambda m: console.errors.append(m.text) if m.type == "error" else None,
    )
    asked: list[Request] = []
    answered: list[Response] = []
    page.on("request", lambda r: asked.append(r))
    page.on("response", lambda r: answered.append(r))
    try:
        page.goto("/")
        dialog = page.get_by_test_id("tour-dialog")
        expect(dialog).to_be_visible()
        steps = page.evaluate("() => fetch('api/tour').then(r => r.json())")["steps"]
        assert [s["id"] for s in steps if s["id"] in VIEW_DATA] == list(VIEW_DATA)
        for i, step in enumerate(steps):
            if i:
                # the user reads step i-1; step i gets ready meanwhile (the tour says when)
                until(
                    page,
                    lambda sid=step["id"]: (
                        sid in (dialog.get_attribute("data-ready") or "").split()
                    ),
                    f"step {step['id']}'s data fetched while the previous step is read",
                    timeout_ms=120_000,
                )
                n_asked, n_answered = len(asked), len(answered)
                page.get_by_test_id("tour-next").click()
            else:
                n_asked, n_answered = 0, 0
            expect(dialog).to_contain_text(step["title"])
            view = page.locator(f"section.{step['id']}-view")
            expect(view).to_have_attribute("data-state", "ready", timeout=15_000)
            expect(page.get_by_test_id(step["target"]).first).to_be_visible()
            if step["id"] == "attributions":  # the curves' check, asked once the map is here
                expect(page.get_by_test_id("attr-verdict")).to_be_visible(timeout=15_000)
            if step["id"] not in VIEW_DATA:
                continue
            again = [
                r.url
                for r in asked[n_asked:]
                if r.method == "GET" and _path(r.url) in VIEW_DATA[step["id"]]
            ]
            assert not again, f"step {step['id']} asked the server for its data again: {again}"
            for r in answered[n_answered:]:
                if r.request.method == "POST" and _path(r.url) == JOBS.get(step["id"]):
                    assert r.json()["state"] == "done", (step["id"], r.json())
        assert not console.unexpected(), console.unexpected()
    finally:
        ctx.close()
