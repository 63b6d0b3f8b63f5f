"""``convlens serve`` as a user runs it: a real process, a free port, loopback unless told."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from _serve import serving


def _get(url: str, deadline: float = 30.0) -> tuple[int, bytes]:
    """GET ``url``, polling until the server accepts connections."""
    end = time.monotonic() + deadline
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as err:
            return err.code, err.read()
        except (ConnectionError, urllib.error.URLError):
            if time.monotonic() > end:
                raise
            time.sleep(0.05)  # polling the socket, not waiting for a guess


def test_serve_binds_loopback_on_a_free_port(fixture_run: Path) -> None:
    with serving(str(fixture_run.parent), "--port", "0") as url:
        assert url.startswith("http://127.0.0.1:") and "token" not in url
        status, body = _get(url + "api/runs")
        assert status == 200 and json.loads(body)[0]["id"] == "fixture"
        status, page = _get(url)
        assert status == 200 and b"ConvLens" in page


def test_other_hosts_need_the_printed_token(fixture_run: Path) -> None:
    with serving(str(fixture_run.parent), "--host", "0.0.0.0", "--port", "0") as url:
        m = re.match(r"http://0\.0\.0\.0:(\d+)/\?token=(\S+)", url)
        assert m, url
        port, token = m.groups()
        base = f"http://127.0.0.1:{port}/api/runs"
        assert _get(base)[0] == 403
        assert _get(f"{base}?token={token}")[0] == 200


def test_serve_refuses_a_missing_folder(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "convlens.cli", "serve", str(tmp_path / "nothing")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 1
    assert "is not a folder" in out.stderr and "Traceback" not in out.stderr


@pytest.mark.parametrize("port", ["-1", "70000"])
def test_serve_refuses_a_bad_port(fixture_run: Path, port: str) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "convlens.cli", "serve", str(fixture_run.parent), "--port", port],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode != 0 and "Traceback" not in out.stderr


def test_the_listening_socket_turns_nagle_off() -> None:
    """asyncio sets TCP_NODELAY only on sockets whose proto says TCP; without it every
    keep-alive answer waited 40 ms for the client's delayed ACK."""
    import socket

    from convlens.server._serve import bind

    sock = bind("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    finally:
        sock.close()
