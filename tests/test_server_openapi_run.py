"""Parameters typed as narrowly as the server accepts them: registry names are enums in the
global OpenAPI document, and ``/api/runs/{run}/openapi.json`` narrows layers, classes and
channels to one run."""

from __future__ import annotations

import json
import os
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


def _run_document(client: TestClient, run: str = "fixture") -> dict:
    answer = client.get(f"/api/runs/{run}/openapi.json")
    assert answer.status_code == 200, answer.text
    return answer.json()


def _enum(schema: dict) -> list:
    branch = next((b for b in schema.get("anyOf", []) if "enum" in b), schema)
    return [v for v in branch.get("enum", []) if v != ""]


def test_the_run_document_lists_each_views_own_layers(fixture_run: Path) -> None:
    client = TestClient(create_app(fixture_run.parent), headers=HOST)
    doc = _run_document(client)
    assert all(path.startswith("/api/runs/{run}/") for path in doc["paths"])
    grads = _query_schema(doc, "/api/runs/{run}/classgrads", "layer")
    # layers with a weight parameter only (the model is conv, relu, pool, flatten, fc)
    assert _enum(grads) == ["conv", "fc"]
    assert _enum(_query_schema(doc, "/api/runs/{run}/compute", "layer")) == ["conv", "fc"]
    maps = ["conv", "relu", "pool", "flatten", "fc"]
    assert _enum(_query_schema(doc, "/api/runs/{run}/featuremaps", "layer")) == maps
    assert _enum(_query_schema(doc, "/api/runs/{run}/timeline", "layer")) == ["conv", "fc"]
    assert _enum(_query_schema(doc, "/api/runs/{run}/attributions", "layer")) == maps[:3]
    assert _enum(_query_schema(doc, "/api/runs/{run}/classgrads", "reference")) == [
        "vertical",
        "horizontal",
        "blank",
        "0",
        "1",
        "2",
    ]
    assert _query_schema(doc, "/api/runs/{run}/compute", "channel")["maximum"] == 2
    assert _query_schema(doc, "/api/runs/{run}/top", "channel")["maximum"] == 17  # flatten
    for path, ops in doc["paths"].items():
        for op in ops.values():
            for param in op.get("parameters", []):
                if path.endswith("/job") and param["name"] != "run":
                    continue  # a job checks its layer and class itself (it fails, saying why)
                if param["name"] in ("run", "layer"):  # every layer is narrowed, on every route
                    assert _enum(param["schema"]), f"{path} {param['name']}"
                    assert param["name"] == "layer" or _enum(param["schema"]) == ["fixture"]
    # what the document allows, the server does: e.g. a non-weight layer for class gradients
    grads = client.get("/api/runs/fixture/classgrads", params={"layer": "fc"})
    assert grads.status_code == 200 and grads.json()["labelled"] is True
    assert client.get("/api/runs/fixture/classgrads", params={"layer": "relu"}).status_code == 400


def test_the_run_document_refuses_an_unknown_run_and_follows_the_manifest(
    fixture_run: Path,
) -> None:
    client = TestClient(create_app(fixture_run.parent), headers=HOST)
    answer = client.get("/api/runs/nope/openapi.json")
    assert answer.status_code == 404
    assert "fixture" in answer.json()["detail"]
    first = _run_document(client)
    assert _run_document(client) == first  # kept
    manifest = fixture_run / "manifest.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    data["layers"] = {"conv": data["layers"]["conv"]}  # the run now lists one recorded layer
    manifest.write_text(json.dumps(data), encoding="utf-8")
    os.utime(manifest, ns=(1, manifest.stat().st_mtime_ns + 1_000_000_000))
    doc = _run_document(client)
    assert _enum(_query_schema(doc, "/api/runs/{run}/timeline", "layer")) == ["conv"]


def test_a_run_without_a_model_narrows_only_its_recorded_layers(fixture_run: Path) -> None:
    manifest = fixture_run / "manifest.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    data["model"] = {k: v for k, v in data["model"].items() if k not in ("spec", "factory")}
    manifest.write_text(json.dumps(data), encoding="utf-8")
    client = TestClient(create_app(fixture_run.parent), headers=HOST)
    assert client.get("/api/runs/fixture").json()["has_model"] is False
    doc = _run_document(client)
    assert _enum(_query_schema(doc, "/api/runs/{run}/timeline", "layer")) == ["conv", "fc"]
    assert _enum(_query_schema(doc, "/api/runs/{run}/projection", "layer")) == ["conv", "fc"]
    assert _enum(_query_schema(doc, "/api/runs/{run}/featuremaps", "layer")) == []  # left free
