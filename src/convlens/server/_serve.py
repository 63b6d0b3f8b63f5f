"""``serve``: run the web app with uvicorn on a bound socket (``port=0`` picks a free one)."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import sys
import threading
import webbrowser
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from convlens.core import UserInputError

from ._app import Settings, create_app
from ._security import TOKEN_ENV, is_loopback, resolve_token


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (``port`` 0: a free port)."""
    if not 0 <= port <= 65535:
        raise UserInputError(f"--port {port} is not a port: give 1-65535, or 0 for any free port")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP named, not 0: asyncio turns Nagle off (TCP_NODELAY) only on sockets whose
    # proto says TCP, and accepted sockets copy the listener's. With Nagle on, a response's
    # body waits for the client's delayed ACK of its headers: 40 ms per keep-alive request.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as err:
        sock.close()
        raise UserInputError(
            f"cannot listen on {host}:{port} ({err.strerror or err}): pick another --port (0 for "
            "any free port) or another --host"
        ) from err
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def serve(
    runs_dir: str | os.PathLike[str],
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    token: str | None = None,
    open_browser: bool = False,
) -> None:
    """Serve the runs in ``runs_dir`` until interrupted; prints the address to open.

    Any host other than the loopback requires a token: ``token``, else the ``CONVLENS_TOKEN``
    environment variable (not visible in ``ps``), else one made up. A token needs at least 16
    characters.

    Raises:
        UserInputError: ``runs_dir`` is not a folder, a token is too short, or the port is taken.
    """
    import uvicorn

    runs = Path(runs_dir).expanduser()
    if not runs.is_dir():
        raise UserInputError(
            f"{runs} is not a folder: give the folder that holds runs (for example the --out "
            "of convlens demo)"
        )
    given = bool(token)
    token = resolve_token(token)
    if not is_loopback(host) and not token:
        token = secrets.token_urlsafe(18)
    settings = Settings(token=token if not is_loopback(host) or token else None)
    app = create_app(runs, settings)
    sock = bind(host, port)
    actual = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{actual}/" + (f"?token={settings.token}" if settings.token else "")
    print(f"ConvLens is serving {runs} at {url}", file=sys.stderr, flush=True)
    if given:
        print(
            f"  note: --token is visible to other users of this machine (ps); set {TOKEN_ENV} "
            "instead",
            file=sys.stderr,
            flush=True,
        )
    if not is_loopback(host):
        print(
            "  exposed beyond this machine: anyone with the address above can read these runs",
            file=sys.stderr,
            flush=True,
        )
    if open_browser:
        threading.Timer(0.5, webbrowser.open, args=(url,)).start()
    config = uvicorn.Config(app, log_level="warning", ws="websockets-sansio")
    server = _stopped_by_signal_is_success(uvicorn.Server)(config)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()


def _stopped_by_signal_is_success(base: type[Any]) -> type[Any]:
    """uvicorn's server class, but Ctrl-C or SIGTERM ends it like a normal stop: uvicorn shuts
    down gracefully (jobs cancelled, worker processes joined), then raises the signal again,
    so the command ended with "stopped" and status 130 (Ctrl-C) or died of SIGTERM."""

    class Server(base):  # type: ignore[misc]
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            if threading.current_thread() is not threading.main_thread():
                yield
                return
            stops = (signal.SIGINT, signal.SIGTERM)
            before = {sig: signal.signal(sig, self.handle_exit) for sig in stops}
            try:
                yield
            finally:
                for sig, handler in before.items():
                    signal.signal(sig, handler)

    return Server
