"""``convlens.show(run_dir)``: the live timeline of a run inside a notebook.

Starts (or reuses) a local ``convlens serve`` of the run's folder in a background thread bound to
127.0.0.1 and returns an IPython ``IFrame`` of the timeline view of that run. IPython is imported
only when ``show`` is called.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from convlens.core import UserInputError
from convlens.store import Run

HOST = "127.0.0.1"
_START_TIMEOUT_S = 30.0


@dataclass
class _Served:
    """One background server: the folder it serves, its port and the uvicorn server."""

    runs_dir: Path
    port: int
    server: Any  # uvicorn.Server
    thread: threading.Thread

    @property
    def alive(self) -> bool:
        return self.thread.is_alive() and not self.server.should_exit


_lock = threading.Lock()
_servers: dict[Path, _Served] = {}  # one per served folder, for the life of the kernel


def _start(runs_dir: Path, port: int) -> _Served:
    import uvicorn

    from convlens.server import Settings, bind, create_app

    sock = bind(HOST, port)
    app = create_app(runs_dir, Settings(token=None))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", ws="websockets-sansio"))

    def run() -> None:
        try:
            server.run(sockets=[sock])
        finally:
            sock.close()

    thread = threading.Thread(target=run, name=f"convlens-serve-{runs_dir.name}", daemon=True)
    thread.start()
    # the socket already listens, so requests queue until uvicorn accepts them; wait only to
    # report a server that failed to start instead of handing out a dead address
    waited = 0.0
    while not server.started and thread.is_alive() and waited < _START_TIMEOUT_S:
        thread.join(timeout=0.02)
        waited += 0.02
    if not server.started:
        server.should_exit = True
        raise UserInputError(
            f"the ConvLens server for {runs_dir} did not start: run `convlens serve {runs_dir}` "
            "in a terminal to see why"
        )
    return _Served(runs_dir, sock.getsockname()[1], server, thread)


def serve_in_background(runs_dir: str | os.PathLike[str], port: int | None = None) -> int:
    """Serve ``runs_dir`` on 127.0.0.1 from a background thread; returns the port.

    A folder already served by this process is reused (when ``port`` is None or the same).
    """
    folder = Path(runs_dir).expanduser().resolve()
    if not folder.is_dir():
        raise UserInputError(f"{folder} is not a folder: give the folder that holds runs")
    with _lock:
        got = _servers.get(folder)
        if got is not None and got.alive and port in (None, got.port):
            return got.port
        served = _start(folder, port or 0)
        if got is not None and got.alive:
            got.server.should_exit = True  # asked for another port: the new one replaces it
        _servers[folder] = served
        return served.port


def stop_all() -> None:
    """Stop every background server this process started (they also end with the process)."""
    with _lock:
        for served in _servers.values():
            served.server.should_exit = True
        for served in _servers.values():
            served.thread.join(timeout=5)
        _servers.clear()


def timeline_url(port: int, run_id: str) -> str:
    """The address of the timeline view of ``run_id`` on a local server at ``port``."""
    return f"http://{HOST}:{port}/#/timeline?run={quote(run_id, safe='')}"


def show(
    run_dir: str | os.PathLike[str],
    port: int | None = None,
    *,
    width: int | str = "100%",
    height: int = 720,
) -> Any:
    """Show the live timeline of the run at ``run_dir`` in a notebook cell.

    Serves the run's parent folder (as ``convlens serve`` would) on 127.0.0.1 from a background
    thread, reused by later calls, and returns an ``IPython.display.IFrame`` of its timeline. The
    frame is read by the browser that shows the notebook, so it works where the notebook's browser
    runs on the same machine as the kernel (local Jupyter, VS Code).

    Args:
        run_dir: A run folder (one holding ``manifest.json``).
        port: The port to serve on; None picks a free one (or reuses the running server).
        width: The frame's width (pixels, or a CSS length such as ``"100%"``).
        height: The frame's height in pixels.

    Example:
        >>> import convlens
        >>> convlens.show("runs/20261123-sketches-paper")  # doctest: +SKIP

    Raises:
        RunFormatError: ``run_dir`` is not a ConvLens run.
        UserInputError: IPython is missing, or the port is taken.
    """
    run = Run.open(run_dir)
    try:
        from IPython.display import IFrame
    except ImportError:
        raise UserInputError(
            "convlens.show needs IPython (it runs in Jupyter): pip install ipython, or view the "
            f"run in a browser with: convlens serve {run.path.parent}"
        ) from None
    got = serve_in_background(run.path.parent, port)
    return IFrame(timeline_url(got, run.run_id), width=width, height=height)
