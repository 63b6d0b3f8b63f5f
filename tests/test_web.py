"""The web UI's own checks, so that CI's one pytest run covers them: the generated API types are
up to date with the server, and the vitest unit tests of ``web/src/lib`` and ``web/src/api`` pass.

The node-based tests need ``web/node_modules`` (``bash scripts/install`` or ``cd web && npm ci``);
without it they are skipped, and with ``CI=true`` they fail instead, like the browser tests.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from pathlib import Path

import pytest

WEB = Path(__file__).resolve().parents[1] / "web"


def _node_tool(name: str) -> list[str]:
    """The command for ``web/node_modules/.bin/<name>``, or a skip (a failure under CI)."""
    tool = WEB / "node_modules" / ".bin" / name
    reason = ""
    if shutil.which("node") is None:
        reason = "node is not installed (Node.js 20.19+; see DEVELOPERS.md)"
    elif not tool.exists():
        reason = f"{name} is not installed: run `cd web && npm ci`"
    if reason:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"web tests cannot run in CI: {reason}", pytrace=False)
        pytest.skip(reason)
    return [str(tool)]


def _openapi_text() -> str:
    spec = importlib.util.spec_from_file_location(
        "convlens_web_openapi", WEB / "dev" / "openapi.py"
    )
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return str(mod.openapi_text())


def test_committed_openapi_json_is_current() -> None:
    committed = (WEB / "openapi.json").read_text(encoding="utf-8")
    assert committed == _openapi_text(), (
        "web/openapi.json is out of date with the server: run `npm run gen:api` in web/ "
        "and commit web/openapi.json and web/src/api/schema.d.ts"
    )


def test_committed_schema_types_are_current(tmp_path: Path) -> None:
    cmd = _node_tool("openapi-typescript")
    out = tmp_path / "schema.d.ts"
    subprocess.run(
        [*cmd, str(WEB / "openapi.json"), "-o", str(out)],
        cwd=WEB,
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert out.read_text(encoding="utf-8") == (WEB / "src/api/schema.d.ts").read_text(
        encoding="utf-8"
    ), "web/src/api/schema.d.ts is out of date: run `npm run gen:api` in web/ and commit it"


def test_vitest_unit_tests_pass() -> None:
    cmd = _node_tool("vitest")
    res = subprocess.run(
        [*cmd, "run", "--reporter=dot"],
        cwd=WEB,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "CI": "true", "NO_COLOR": "1"},
    )
    assert res.returncode == 0, f"vitest failed:\n{res.stdout[-6000:]}\n{res.stderr[-3000:]}"
