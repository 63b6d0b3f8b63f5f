"""``convlens serve`` in a child process for a benchmark: started, its port read, stopped."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def serve(runs: Path) -> Iterator[tuple[subprocess.Popen[str], int]]:
    """Serve ``runs`` on a free loopback port (no token, quiet); yields the process and port."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "CONVLENS_QUIET": "1"}
    env.pop("CONVLENS_TOKEN", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "convlens.cli", "serve", str(runs)],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert server.stderr is not None
        m = re.search(r"http://127\.0\.0\.1:(\d+)/", server.stderr.readline())
        assert m, "the server printed no address"
        yield server, int(m.group(1))
    finally:
        server.terminate()
        server.wait(timeout=30)
