"""The web's view room: listing runs never imports torch, and each part of the Inspector keeps
its own lock (one per model), so one request's model work does not hold up another's."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import torch
from PIL import Image

from convlens import views
from convlens.testing import make_fixture_run
from convlens.views import Inspector

_CHILD = """
import json, sys
from fastapi.testclient import TestClient
from convlens.server import create_app

client = TestClient(create_app(sys.argv[1]), base_url="http://127.0.0.1")
listed = client.get("/api/runs")
detail = client.get("/api/runs/fixture")
seen = {"status": [listed.status_code, detail.status_code],
        "ids": [r["id"] for r in listed.json()], "torch": "torch" in sys.modules}
layers = client.get("/api/runs/fixture/layers")  # runs the model: torch must load now
seen["after_model"] = [layers.status_code, "torch" in sys.modules]
print(json.dumps(seen))
"""


def test_serving_the_runs_list_never_imports_torch(tmp_path: Path) -> None:
    make_fixture_run(tmp_path / "runs")
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(tmp_path / "runs")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["status"] == [200, 200] and seen["ids"] == ["fixture"]
    assert seen["torch"] is False, "importing the server or listing runs imported torch"
    assert seen["after_model"] == [200, True]  # the check above can see torch when it loads


@pytest.fixture
def insp(tmp_path: Path) -> Inspector:
    make_fixture_run(tmp_path)
    return Inspector(tmp_path, max_models=2)


def test_models_are_cached_per_checkpoint_and_least_recent_goes(insp: Inspector) -> None:
    run = insp.run("fixture")
    first = insp.loaded_model(run, 1)
    assert insp.loaded_model(run, 1) is first and first.epoch == 1
    assert insp.loaded_model(run).epoch == 3  # default: the last checkpoint
    insp.loaded_model(run, 2)
    assert [m.epoch for m in insp.models.loaded()] == [3, 2]  # epoch 1 went first
    assert insp.loaded_model(run, 1) is not first


def test_a_busy_model_does_not_hold_up_another_model_or_the_uploads(insp: Inspector) -> None:
    run = insp.run("fixture")
    busy = insp.loaded_model(run, 1)
    done: dict[str, object] = {}

    def other_requests() -> None:
        done["busy_free"] = busy.lock.acquire(blocking=False)
        out, _ = insp.forward(run, 2, "probe:0", "conv")  # another model, its own lock
        done["shape"] = tuple(out.shape)
        buf = io.BytesIO()
        Image.new("L", (8, 8)).save(buf, format="PNG")
        done["upload"] = insp.upload(insp.add_upload(buf.getvalue()).id).width

    with busy.lock:  # a long request on the epoch-1 model
        worker = threading.Thread(target=other_requests)
        worker.start()
        worker.join(timeout=120)
        assert not worker.is_alive(), "a request waited on another model's lock"
    assert done["busy_free"] is False  # the epoch-1 model really was held
    assert done["shape"][0] == 1 and done["upload"] == 8


@pytest.mark.parametrize("image", ["probe:1", "upload"])
def test_the_first_feature_map_request_runs_the_model_once(insp: Inspector, image: str) -> None:
    run = insp.run("fixture")
    if image == "upload":
        buf = io.BytesIO()
        Image.new("RGB", (40, 30), (200, 10, 10)).save(buf, format="PNG")
        image = f"upload:{insp.add_upload(buf.getvalue()).id}"
    loaded = insp.loaded_model(run)  # built, not yet run
    passes: list[int] = []
    handle = loaded.module.register_forward_hook(lambda *_: passes.append(1))
    try:
        first = views.featuremaps(insp, run, epoch=None, layer="conv", image=image)
        assert len(passes) == 1, f"the first feature-map request ran the model {len(passes)} times"
        listed = views.layers(insp, run, None)  # the layer list came from that same pass
        other = views.featuremaps(insp, run, epoch=None, layer="fc", image=image)
        assert len(passes) == 1
    finally:
        handle.remove()
    assert "conv" in [li["name"] for li in listed["layers"]]
    assert other["probabilities"] == first["probabilities"] and first["shape"][0] > 1


def test_asking_for_the_layers_makes_the_opening_picture_a_look_up(insp: Inspector) -> None:
    run = insp.run("fixture")
    loaded = insp.loaded_model(run)
    passes: list[int] = []
    handle = loaded.module.register_forward_hook(lambda *_: passes.append(1))
    try:
        views.layers(insp, run, None)
        assert len(passes) == 1
        views.featuremaps(insp, run, epoch=None, layer="conv", image="probe:0")
        assert len(passes) == 1, "the picture the explorer opens on was run again"
    finally:
        handle.remove()
    assert not loaded.module._forward_hooks  # the views left no hook behind


class _InPlace(torch.nn.Module):
    """A conv overwritten by ``ReLU(inplace=True)`` and one by a functional ``relu_``."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 3, 3)
        self.act = torch.nn.ReLU(inplace=True)
        self.conv2 = torch.nn.Conv2d(3, 3, 3)
        self.fc = torch.nn.Linear(3, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act(self.conv1(x))
        x = self.conv2(x).relu_()
        return self.fc(x.mean(dim=(2, 3)))


def test_one_pass_keeps_outputs_that_later_in_place_ops_overwrite() -> None:
    from convlens.analyze import layer_outputs
    from convlens.pipelines import LoadedModel

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = _InPlace().eval()
    x = torch.randn(1, 1, 9, 9, generator=torch.Generator().manual_seed(1))
    outs, logits = LoadedModel(model, 1).look(x, "probe:0")
    expect, expect_logits = layer_outputs(model, x, ["conv1", "act", "conv2", "fc"])
    assert (expect["conv1"] < 0).any()  # the ReLU really would have changed it
    torch.testing.assert_close(outs["conv1"], expect["conv1"])
    torch.testing.assert_close(outs["act"], expect["act"])
    torch.testing.assert_close(logits, expect_logits)
    # conv2 was overwritten by a functional relu_ (no module to warn us): dropped, not wrong
    assert "conv2" not in outs
    assert not model._forward_hooks and not model.act._forward_pre_hooks
