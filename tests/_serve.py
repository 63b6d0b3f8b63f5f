"""``convlens serve`` started for a test, one way for every test that needs a real server
(``test_serve_cli``, ``test_serve_exit``): the address is read from what the server prints once
it listens, never guessed, and the server is always stopped."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager


def start_serve(*args: str, quiet: bool = True) -> tuple[subprocess.Popen[str], str]:
    """Start ``convlens serve ARGS``; return the process (its stderr a pipe) and the address it
    printed (``http://HOST:PORT/``, with ``?token=...`` when it asks for one).

    Args:
        quiet: Keep ``CONVLENS_QUIET`` from the tests' environment (``False``: the server and its
            jobs print as they would for a user).
    """
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if not quiet:
        env.pop("CONVLENS_QUIET", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "convlens.cli", "serve", *args],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert proc.stderr is not None
    line = proc.stderr.readline()  # blocks until the server says where it is (listening)
    m = re.search(r"(http://\S+)", line)
    if m is None:
        proc.kill()
        proc.wait()
        raise AssertionError(f"no address printed: {line!r} {proc.stderr.read()}")
    return proc, m.group(1)


@contextmanager
def serving(*args: str) -> Iterator[str]:
    """``start_serve(ARGS)`` as a context: yields the address; Ctrl-C (SIGINT) afterwards."""
    proc, url = start_serve(*args)
    try:
        yield url
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:  # pragma: no cover - a hung server fails the test
            proc.kill()
            raise
