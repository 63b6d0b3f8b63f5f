"""The web API, write-a-run-then-serve-it: answers checked against the model computed directly."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient
from PIL import Image

from convlens.models import load_weights
from convlens.record import Recorder
from convlens.server import Settings, create_app
from convlens.store import Run
from convlens.testing import TinyConvNet, probe_images


def decode(arr: dict) -> np.ndarray:
    return np.frombuffer(base64.b64decode(arr["data"]), dtype=arr["dtype"]).reshape(arr["shape"])


@pytest.fixture
def client(fixture_run: Path):
    app = create_app(fixture_run.parent, Settings(live_interval=0.02))
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c


def _png(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


def _model_at(run_dir: Path, epoch: int) -> TinyConvNet:
    model = TinyConvNet()
    load_weights(model, Run.open(run_dir).checkpoint_path(epoch))
    return model.eval()


def test_runs_list_and_detail(client: TestClient) -> None:
    runs = client.get("/api/runs").json()
    assert [r["id"] for r in runs] == ["fixture"]
    assert runs[0]["epochs"] == [1, 2, 3] and runs[0]["checkpoints"] == [1, 2, 3]
    assert runs[0]["has_model"] is True
    detail = client.get("/api/runs/fixture").json()
    assert len(detail["metrics"]["test_accuracy"]) == 3
    assert detail["probe"]["n"] == 24
    assert {li["name"] for li in detail["layer_info"]} == {"conv", "fc"}
    assert "3 groups" in detail["explanation"]


def test_timeline_is_normalised_and_stored(client: TestClient, fixture_run: Path) -> None:
    assert Run.open(fixture_run).embedding("fc") is None
    body = client.get("/api/runs/fixture/timeline", params={"layer": "fc"}).json()
    coords = decode(body["coords"])
    assert coords.shape == (3, 24, 2)
    assert np.abs(coords).max() <= 0.95 + 1e-6
    run = Run.open(fixture_run)
    assert run.embedding("fc") is not None  # made once, kept in the run
    predicted = decode(body["predicted"])
    for i, e in enumerate(run.epochs):
        np.testing.assert_array_equal(predicted[i], run.outputs(e)["logits"].argmax(1))
    np.testing.assert_array_equal(decode(body["labels"]), run.probe()["labels"])


def test_point_probabilities(client: TestClient, fixture_run: Path) -> None:
    body = client.get("/api/runs/fixture/points/5").json()
    probs = decode(body["probabilities"])
    assert probs.shape == (3, 3)
    np.testing.assert_allclose(probs.sum(1), 1, rtol=1e-5)
    logits = Run.open(fixture_run).outputs(2)["logits"][5]
    assert probs[1].argmax() == logits.argmax()


def test_featuremaps_equal_the_model_output(client: TestClient, fixture_run: Path) -> None:
    body = client.get(
        "/api/runs/fixture/featuremaps", params={"layer": "conv", "image": "probe:4", "epoch": 2}
    ).json()
    maps = decode(body["maps"])
    thumb = Run.open(fixture_run).probe()["thumbnails"][4]  # the probe image as stored (uint8)
    x = torch.from_numpy(thumb).permute(2, 0, 1)[None].float() / 255
    with torch.no_grad():
        want = _model_at(fixture_run, 2).conv(x)[0].numpy()
    np.testing.assert_allclose(maps, want, rtol=1e-5, atol=1e-6)
    assert body["order"] == [0, 1]
    assert body["predicted"] == int(np.argmax(body["probabilities"]))
    fc = client.get("/api/runs/fixture/featuremaps", params={"layer": "fc"}).json()
    assert fc["shape"] == [3, 1, 1]


@pytest.mark.parametrize("order", ["kmeans", "pca"])
def test_orderings_are_permutations_and_repeatable(client: TestClient, order: str) -> None:
    params = {"layer": "fc", "order": order, "image": "probe:1"}
    a = client.get("/api/runs/fixture/featuremaps", params=params).json()
    b = client.get("/api/runs/fixture/featuremaps", params=params).json()
    assert sorted(a["order"]) == [0, 1, 2]
    assert a["order"] == b["order"]


def test_weights_and_layers(client: TestClient, fixture_run: Path) -> None:
    body = client.get("/api/runs/fixture/weights", params={"layer": "conv", "epoch": 1}).json()
    w = decode(body["weights"])
    np.testing.assert_allclose(w, _model_at(fixture_run, 1).conv.weight.detach().numpy())
    layers = client.get("/api/runs/fixture/layers").json()["layers"]
    assert [li["name"] for li in layers] == ["conv", "relu", "pool", "flatten", "fc"]
    assert layers[0]["kernel"] == [3, 3] and layers[0]["out_shape"] == [2, 6, 6]
    assert all(li["explanation"] for li in layers)


def test_top_probes_are_the_most_active(client: TestClient, fixture_run: Path) -> None:
    body = client.get(
        "/api/runs/fixture/top", params={"layer": "conv", "channel": 0, "k": 5}
    ).json()
    model = _model_at(fixture_run, 3)
    thumbs = Run.open(fixture_run).probe()["thumbnails"]
    x = torch.from_numpy(thumbs).permute(0, 3, 1, 2).float() / 255
    with torch.no_grad():
        act = model.conv(x)[:, 0].mean(dim=(1, 2)).numpy()
    assert body["indices"] == [int(i) for i in np.argsort(-act, kind="stable")[:5]]
    assert body["values"] == sorted(body["values"], reverse=True)


@pytest.mark.parametrize("method", ["saliency", "gradcam", "integrated_gradients", "occlusion"])
def test_attributions(client: TestClient, method: str) -> None:
    body = client.get(
        "/api/runs/fixture/attributions",
        params={"method": method, "image": "probe:0", "target": "vertical"},
    ).json()
    heat = decode(body["heatmap"])
    assert heat.shape == (8, 8) and heat.min() >= 0 and heat.max() <= 1
    assert body["target"] == 0 and body["target_name"] == "vertical"
    assert (body["layer"] == "conv") == (method == "gradcam")
    check = client.get(
        "/api/runs/fixture/attributions/check",
        params={"method": method, "image": "probe:0", "target": "vertical"},
    ).json()
    assert 0 <= check["deletion"] <= 1 and 0 <= check["insertion"] <= 1
    assert len(check["deletion_curve"]) == len(check["random_insertion_curve"]) > 2


def test_classgrads_compare_three_classes(client: TestClient) -> None:
    body = client.get(
        "/api/runs/fixture/classgrads", params={"layer": "conv", "reference": "vertical"}
    ).json()
    roles = [g["role"] for g in body["groups"]]
    assert roles == ["reference", "similar", "dissimilar"]
    assert len({g["class"] for g in body["groups"]}) == 3
    assert all(len(g["norms"]) == 2 and g["n_images"] == 8 for g in body["groups"])


def test_projection_samples_by_class(client: TestClient) -> None:
    body = client.get(
        "/api/runs/fixture/projection", params={"layer": "fc", "max_points": 12}
    ).json()
    assert body["n_total"] == 24 and body["n_shown"] == 12 and body["sampled"] is True
    assert np.bincount(body["labels"]).tolist() == [4, 4, 4]
    assert "12 of 24" in body["explanation"]
    full = client.get("/api/runs/fixture/projection", params={"layer": "conv"}).json()
    assert full["sampled"] is False and decode(full["coords"]).shape == (24, 2)


def test_upload_a_real_photo_then_look_inside(client: TestClient) -> None:
    from skimage import data

    r = client.post("/api/uploads", files={"file": ("cat.png", _png(data.cat()), "image/png")})
    assert r.status_code == 200, r.text
    up = r.json()
    assert up["channels"] == 3 and up["width"] == data.cat().shape[1]
    maps = client.get(
        "/api/runs/fixture/featuremaps", params={"layer": "conv", "image": f"upload:{up['id']}"}
    )
    assert maps.status_code == 200 and maps.json()["shape"] == [2, 6, 6]
    png = client.get(f"/api/uploads/{up['id']}.png")
    assert png.headers["content-type"] == "image/png"
    assert max(Image.open(io.BytesIO(png.content)).size) <= 512


def test_tour_and_openapi(client: TestClient) -> None:
    tour = client.get("/api/tour").json()
    assert tour["run"] == "fixture" and len(tour["steps"]) >= 4
    assert all("run=fixture" in s["route"] for s in tour["steps"][1:])
    paths = client.get("/openapi.json").json()["paths"]
    for p in (
        "/api/runs",
        "/api/runs/{run}/featuremaps",
        "/api/runs/{run}/attributions",
        "/api/runs/{run}/classgrads",
        "/api/runs/{run}/projection",
        "/api/uploads",
    ):
        assert p in paths


def test_probe_png(client: TestClient) -> None:
    r = client.get("/api/runs/fixture/probe/3.png")
    assert r.status_code == 200
    assert Image.open(io.BytesIO(r.content)).size == (8, 8)


def test_live_updates_when_an_epoch_is_added(client: TestClient, fixture_run: Path) -> None:
    with client.websocket_connect("ws://127.0.0.1/api/live") as ws:
        first = ws.receive_json()
        assert first["type"] == "runs" and first["runs"][0]["epochs"] == [1, 2, 3]
        x, y = probe_images(8, 0)
        model = TinyConvNet(scale=2.0)
        with Recorder(model, x, y, layers=["conv", "fc"], resume=fixture_run) as rec:
            rec.record_epoch({"train_loss": 0.2, "test_accuracy": 0.9})
        seen = first
        while seen["runs"][0]["epochs"] != [1, 2, 3, 4]:  # each message follows a disk change
            seen = ws.receive_json()
    body = client.get("/api/runs/fixture/timeline", params={"layer": "conv"}).json()
    assert body["epochs"] == [1, 2, 3, 4] and decode(body["coords"]).shape[0] == 4


def test_cached_models_carry_no_hooks_after_requests(client: TestClient) -> None:
    for method in ("gradcam", "integrated_gradients"):
        client.get("/api/runs/fixture/attributions", params={"method": method})
    client.get("/api/runs/fixture/featuremaps", params={"layer": "conv"})
    client.get("/api/runs/fixture/classgrads", params={"layer": "conv"})
    insp = client.app.state.inspector  # type: ignore[attr-defined]
    models = [loaded.module for loaded in insp.models.loaded()]
    assert models
    for model in models:
        assert not model.training
        for m in model.modules():
            assert not m._forward_hooks and not m._forward_pre_hooks and not m._backward_hooks
        assert all(p.grad is None for p in model.parameters())


def test_token_is_required_when_set(fixture_run: Path) -> None:
    app = create_app(fixture_run.parent, Settings(token="s3cret"))
    with TestClient(app, base_url="http://192.168.1.5") as c:
        assert c.get("/api/runs").status_code == 403
        assert c.get("/api/runs", headers={"Authorization": "Bearer s3cret"}).status_code == 200
        r = c.get("/api/runs?token=s3cret")
        assert r.status_code == 200 and "convlens_token" in r.cookies
        assert c.get("/api/runs").status_code == 200  # the cookie now carries it
        assert c.get("/api/runs", headers={"Authorization": "Bearer nope"}).status_code == 403


def test_loopback_server_refuses_foreign_host_names(fixture_run: Path) -> None:
    with TestClient(create_app(fixture_run.parent), base_url="http://evil.example") as c:
        r = c.get("/api/runs")
        assert r.status_code == 403 and "127.0.0.1" in r.json()["detail"]


def test_layers_of_one_image_agree_with_each_other(client: TestClient) -> None:
    """The second layer of an image comes from the first request's forward pass: same image."""
    q = {"image": "probe:7", "epoch": 3}
    conv = client.get("/api/runs/fixture/featuremaps", params={**q, "layer": "conv"}).json()
    relu = client.get("/api/runs/fixture/featuremaps", params={**q, "layer": "relu"}).json()
    fc = client.get("/api/runs/fixture/featuremaps", params={**q, "layer": "fc"}).json()
    np.testing.assert_allclose(decode(relu["maps"]), np.maximum(decode(conv["maps"]), 0))
    logits = decode(fc["maps"]).ravel().astype(np.float64)
    probs = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
    np.testing.assert_allclose(probs, fc["probabilities"], rtol=1e-5)
    other = client.get(
        "/api/runs/fixture/featuremaps", params={"image": "probe:20", "epoch": 3, "layer": "fc"}
    ).json()
    assert other["probabilities"] != fc["probabilities"]


def test_network_graph_is_made_once_and_served(client: TestClient, fixture_run: Path) -> None:
    from safetensors.numpy import load

    body = client.get("/api/runs/fixture/graph", params={"epoch": 2}).json()
    info = body["description"]
    assert info["format"] == "convlens-graph" and info["version"] == 1 and body["epoch"] == 2
    assert "graph/0002.safetensors" in {a.path for a in Run.open(fixture_run).manifest.artifacts}
    arrays = load(client.get(body["url"]).content)
    assert arrays["nodes.position"].shape == (info["counts"]["nodes"], 3)
    png = client.get(body["picture"])
    assert png.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(png.content)).size[0] > 100
    assert client.get("/api/runs/fixture/graph", params={"epoch": 9}).status_code == 404
