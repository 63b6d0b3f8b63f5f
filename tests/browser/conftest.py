"""Browser tests: a small real run, served by the real app, driven by Debian's Chromium.

Once for the folder (package-scoped fixtures, torn down when its tests are done) a small run is
trained (sketches, 3 epochs: seconds), served with uvicorn in a thread on a free loopback port,
and ``/usr/bin/chromium`` is launched through Playwright (its own browser downloads are never
used). Every test gets a fresh browser context (its own localStorage) and
fails when the page logged a console error or threw.

Without Chromium, Playwright or the built UI the folder is skipped; with ``CI=true`` in the
environment it fails instead, so CI cannot pass by skipping it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import convlens.server

from ._ui import ConsoleLog

if TYPE_CHECKING:
    import httpx2
    from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
STATIC_INDEX = Path(convlens.server.__file__).parent / "static" / "index.html"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TOUR_FLAG = "convlens.tourSeen"  # localStorage key the UI sets once the tour was closed
TIMEOUT_MS = 30_000  # generous: the first timeline request embeds the run on 2 busy cores


def _missing() -> str | None:
    """Why the browser tests cannot run here, or ``None``."""
    if not CHROMIUM.is_file():
        return f"{CHROMIUM} is missing (install Debian's chromium: bash scripts/install as root)"
    if not STATIC_INDEX.is_file():
        return (
            f"the web UI is not built ({STATIC_INDEX} is missing): run bash scripts/install "
            "(or cd web && npm ci && npm run build)"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed: pip install -e . --group dev"
    return None


@pytest.fixture(scope="package")
def _browser_requirements() -> None:
    reason = _missing()
    if reason is None:
        return
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"browser tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(f"browser tests skipped: {reason}")


@dataclass(frozen=True)
class Served:
    """The app under test: where it listens, and the run it serves."""

    url: str
    runs_dir: Path
    run_id: str


@pytest.fixture(scope="package")
def trained_run(_browser_requirements: None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small real training run: sketches at 32 px, 3 epochs, layers conv2 and fc1."""
    from convlens.core import DataOptions, RecordOptions, TrainOptions
    from convlens.pipelines import train

    base = tmp_path_factory.mktemp("browser")
    with pytest.MonkeyPatch.context() as mp:  # the autouse cache fixture is not up yet
        mp.setenv("CONVLENS_CACHE", str(base / "cache"))
        mp.setenv("CONVLENS_QUIET", "1")
        return train(
            DataOptions(
                data="sketches",
                image_size=32,
                train_per_class=40,
                test_per_class=12,
                probe_size=60,
                train_probe_size=20,
            ),
            TrainOptions(model="paper", epochs=3, lr=5e-4, batch_size=8, seed=0),
            RecordOptions(layers=("conv2", "fc1")),
            out=base / "runs",
        )


@contextmanager
def serve_folder(runs_dir: Path) -> Iterator[str]:
    """``create_app`` over ``runs_dir``, served by uvicorn in a thread on a free port: its URL."""
    import httpx2
    import uvicorn

    app = convlens.server.create_app(runs_dir, convlens.server.Settings())
    sock = convlens.server.bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, log_level="warning", ws="websockets-sansio", timeout_graceful_shutdown=5
    )
    server = uvicorn.Server(config)
    failure: list[BaseException] = []

    def run() -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as exc:  # reported by the fixture, not lost in the thread
            failure.append(exc)

    thread = threading.Thread(target=run, name="convlens-test-server", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}/"
    try:
        # The socket already listens, so this request waits in the backlog until uvicorn serves
        # it: no polling loop and no sleep.
        try:
            httpx2.get(url + "api/runs", timeout=60).raise_for_status()
        except httpx2.HTTPError as exc:
            raise RuntimeError(f"the test server did not answer: {exc!r}; {failure}") from exc
        if not server.started:
            raise RuntimeError(f"uvicorn answered but did not report started: {failure}")
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
    if thread.is_alive():
        raise RuntimeError("the test server did not shut down within 15 s")


@pytest.fixture(scope="package")
def served(trained_run: Path) -> Iterator[Served]:
    """The trained run's folder, served (``serve_folder``)."""
    with serve_folder(trained_run.parent) as url:
        yield Served(url, trained_run.parent, trained_run.name)


@pytest.fixture(scope="package")
def api(served: Served) -> Iterator[httpx2.Client]:
    """An HTTP client on the same server, for the numbers the UI should show."""
    import httpx2

    with httpx2.Client(base_url=served.url, timeout=60) as client:
        yield client


@pytest.fixture(scope="package")
def browser(served: Served) -> Iterator[Browser]:
    """Debian's Chromium, headless (closed before the server stops)."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def console() -> ConsoleLog:
    return ConsoleLog()


@pytest.fixture
def new_page(
    browser: Browser, served: Served, console: ConsoleLog
) -> Iterator[Callable[..., Page]]:
    """``new_page(tour_seen=True)``: a page in a fresh context; console errors fail the test."""
    contexts = []

    def make(tour_seen: bool = True) -> Page:
        ctx = browser.new_context(base_url=served.url, viewport={"width": 1400, "height": 900})
        ctx.set_default_timeout(TIMEOUT_MS)
        if tour_seen:
            ctx.add_init_script(f"window.localStorage.setItem({TOUR_FLAG!r}, '1')")
        contexts.append(ctx)
        page = ctx.new_page()
        page.on(
            "console",
            lambda msg: (
                console.errors.append(f"console.{msg.type}: {msg.text} ({msg.location})")
                if msg.type == "error"
                else None
            ),
        )
        page.on("pageerror", lambda exc: console.errors.append(f"page error: {exc}"))
        return page

    yield make
    for ctx in contexts:
        ctx.close()
    bad = console.unexpected()
    assert not bad, "the page logged errors:\n" + "\n".join(bad)


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    """A page whose guided tour was already seen (so the dialog stays closed)."""
    return new_page()
