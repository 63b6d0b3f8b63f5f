"""Parameters typed as narrowly as the server accepts them: registry names are enums in the
global OpenAPI document, and ``/api/runs/{run}/openapi.json`` narrows layers, classes and
channels to one run."""

from __future__ import annotations

import sys
from pathlib import Path

from fastapi.testclient import TestClient

from convlens.server import create_app

HOST = {"Host": "127.0.0.1"}


def _query_schema(doc: dict, path: str, name: str) -> dict:
    params = doc["paths"][path]["get"]["parameters"]
    return next(p["schema"] for p in params if p["name"] == name)


def test_registry_names_are_the_global_documents_enums(tmp_path: Path) -> None:
    from convlens.analyze import (
        ATTRIBUTION_METHODS,
        ATTRIBUTIONS,
        CHANNEL_ORDER_NAMES,
        CHANNEL_ORDERS,
        PROJECTIONS,
    )

    # the torch-free lists the server reads are the registries, help lines included
    assert list(ATTRIBUTION_METHODS) == ATTRIBUTIONS.names()
    assert list(CHANNEL_ORDER_NAMES) == CHANNEL_ORDERS.names()
    for name, line in ATTRIBUTION_METHODS.items():
        assert ATTRIBUTIONS.help(name) == line
    doc = create_app(tmp_path).openapi()
    for route in ("attributions", "attributions/check", "attributions/sanity"):
        schema = _query_schema(doc, f"/api/runs/{{run}}/{route}", "method")
        assert schema["enum"] == ATTRIBUTIONS.names(), route
    assert _query_schema(doc, "/api/runs/{run}/featuremaps", "order")["enum"] == (
        CHANNEL_ORDERS.names()
    )
    ref = _query_schema(doc, "/api/runs/{run}/projection", "method")["$ref"]
    assert doc["components"]["schemas"][ref.rsplit("/", 1)[1]]["enum"] == PROJECTIONS.names()


def test_a_bad_method_gets_one_line_naming_the_methods(fixture_run: Path) -> None:
    client = TestClient(create_app(fixture_run.parent), headers=HOST)
    answer = client.get("/api/runs/fixture/attributions", params={"method": "aligned"})
    assert answer.status_code == 422
    detail = answer.json()["detail"]
    assert "\n" not in detail and detail.startswith("method:") and "'occlusion'" in detail
    methods = client.get("/api/methods").json()
    assert [m["name"] for m in methods][:2] == ["saliency", "gradcam"]


def test_the_method_list_loads_no_torch() -> None:
    import subprocess

    code = (
        "import sys, tempfile\n"
        "from fastapi.testclient import TestClient\n"
        "from convlens.server import create_app\n"
        "c = TestClient(create_app(tempfile.mkdtemp()), headers={'Host': '127.0.0.1'})\n"
        "assert c.get('/api/methods').status_code == 200\n"
        "print('torch' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "False"
