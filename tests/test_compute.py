"""What a layer computes: the numbers sent rebuild the layer's real output, for every kind of
convolution (stride, padding, dilation, groups, depthwise, reflect padding) and linear layers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient
from torch import nn

from convlens.core import NotFoundError, UserInputError
from convlens.modelkit import leaf_layers
from convlens.server import create_app
from convlens.views._compute import MAX_SIDE, SHOWN_INPUTS, explain


class Net(nn.Module):
    def __init__(self, conv: nn.Conv2d, side: int) -> None:
        super().__init__()
        self.conv = conv
        self.relu = nn.ReLU(inplace=True)
        self.pool = nn.MaxPool2d(2)
        self.flatten = nn.Flatten()
        with torch.no_grad():
            n = self.pool(self.relu(conv(torch.zeros(1, conv.in_channels, side, side)))).numel()
        self.fc = nn.Linear(n, 5)
        self.relu2 = nn.ReLU()
        self.out = nn.Linear(5, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.flatten(self.pool(self.relu(self.conv(x))))
        return self.out(self.relu2(self.fc(h)))


def _setup(conv: nn.Conv2d, side: int = 12, seed: int = 0) -> tuple[Net, torch.Tensor, list[str]]:
    gen = torch.Generator().manual_seed(seed)
    model = Net(conv, side)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * 0.5)
    x = torch.randn(1, conv.in_channels, side, side, generator=gen)
    leaves = [i.name for i in leaf_layers(model, x) if i.calls == 1]
    return model, x, leaves


def _rebuild(a: dict, i: int, j: int) -> float:
    """Output point (i, j) of the shown region from the numbers sent, as the UI computes it."""
    (kh, kw), (sh, sw), (dh, dw) = a["kernel"], a["stride"], a["dilation"]
    total = a["bias"]
    for inp in a["inputs"]:
        vals, w = np.array(inp["values"]), np.array(inp["weights"])
        window = vals[
            i * sh : i * sh + (kh - 1) * dh + 1 : dh, j * sw : j * sw + (kw - 1) * dw + 1 : dw
        ]
        total += float((window * w).sum())
    if a["rest"]:
        total += a["rest"]["values"][i][j]
    return total


CONVS = {
    "plain": lambda: nn.Conv2d(3, 4, 3),
    "stride 2, padding 1": lambda: nn.Conv2d(3, 4, 3, stride=2, padding=1),
    "padding 2, dilation 2": lambda: nn.Conv2d(2, 3, 3, padding=2, dilation=2),
    "many inputs": lambda: nn.Conv2d(9, 4, 3, padding=1),
    "groups": lambda: nn.Conv2d(6, 4, 3, padding=1, groups=2),
    "depthwise": lambda: nn.Conv2d(4, 8, 3, padding=1, groups=4),
    "reflect, uneven stride": lambda: nn.Conv2d(
        2, 2, (3, 2), stride=(2, 1), padding=1, padding_mode="reflect"
    ),
    "same, no bias": lambda: nn.Conv2d(3, 2, 4, padding="same", bias=False),
}


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("kind", list(CONVS))
def test_conv_numbers_rebuild_the_real_map(kind: str) -> None:
    model, x, leaves = _setup(CONVS[kind]())
    conv = model.conv
    real = conv(x).detach()[0]
    for channel in range(conv.out_channels):
        a = explain(model, x, "conv", channel, leaves)
        assert a["kind"] == "conv" and a["out_shape"] == list(real.shape[1:])
        reg = a["region"]
        out = np.array(a["output"])
        expect = real[
            channel, reg["row"] : reg["row"] + reg["rows"], reg["col"] : reg["col"] + reg["cols"]
        ]
        np.testing.assert_allclose(out, expect.numpy(), rtol=1e-5, atol=1e-5)
        # the inputs sent are the layer's real input maps, in its group, with their real weights
        per = conv.out_channels // conv.groups
        group = range(
            channel // per * conv.in_channels // conv.groups,
            (channel // per + 1) * conv.in_channels // conv.groups,
        )
        for inp in a["inputs"]:
            assert inp["channel"] in group
            w = conv.weight.detach()[channel, inp["channel"] - group.start]
            np.testing.assert_allclose(inp["weights"], w.numpy(), rtol=1e-5, atol=1e-6)
        assert len(a["inputs"]) + (a["rest"]["count"] if a["rest"] else 0) == len(group)
        for i in range(reg["rows"]):
            for j in range(reg["cols"]):
                assert _rebuild(a, i, j) == pytest.approx(float(out[i, j]), abs=1e-4)


def test_the_sent_input_is_the_real_input_with_its_padding() -> None:
    model, x, leaves = _setup(nn.Conv2d(2, 3, 3, stride=2, padding=1))
    a = explain(model, x, "conv", 1, leaves)
    padded = torch.nn.functional.pad(x[0], (1, 1, 1, 1))
    for inp in a["inputs"]:
        vals = np.array(inp["values"])
        np.testing.assert_allclose(
            vals, padded[inp["channel"], : vals.shape[0], : vals.shape[1]], rtol=1e-5, atol=1e-6
        )
    assert a["input_origin"] == [-1, -1] and a["padding"] == [1, 1]
    # and F.conv2d on the sent input and kernel gives the sent output
    inp = torch.tensor([i["values"] for i in a["inputs"]])[None]
    kernel = torch.tensor([i["weights"] for i in a["inputs"]])[None]
    got = torch.nn.functional.conv2d(inp, kernel, bias=torch.tensor([a["bias"]]), stride=2)[0, 0]
    np.testing.assert_allclose(got.numpy(), np.array(a["output"]), atol=1e-4)


def test_many_inputs_show_the_strongest_and_sum_the_rest() -> None:
    model, x, leaves = _setup(nn.Conv2d(9, 2, 3, padding=1))
    a = explain(model, x, "conv", 0, leaves)
    assert len(a["inputs"]) == SHOWN_INPUTS and a["rest"]["count"] == 9 - SHOWN_INPUTS
    shares = [i["share"] for i in a["inputs"]]
    assert shares == sorted(shares, reverse=True)
    assert "other 5 are added up" in a["explanation"]


def test_a_large_map_is_cropped_around_its_strongest_point() -> None:
    model, x, leaves = _setup(nn.Conv2d(1, 2, 3, padding=1), side=70)
    a = explain(model, x, "conv", 1, leaves)
    reg = a["region"]
    assert reg["rows"] == reg["cols"] == MAX_SIDE and a["out_shape"] == [70, 70]
    real = model.conv(x).detach()[0, 1].numpy()
    r, c = np.unravel_index(real.argmax(), real.shape)
    assert reg["row"] <= r < reg["row"] + MAX_SIDE and reg["col"] <= c < reg["col"] + MAX_SIDE
    assert "part around its strongest point" in a["explanation"]
    assert len(a["inputs"][0]["values"]) == MAX_SIDE + 2  # the window region only
    assert max(len(s["values"]) for s in a["stages"]) <= 48  # thinned: 70 -> every 2nd point


def test_relu_and_pool_are_shown_before_and_after() -> None:
    model, x, leaves = _setup(nn.Conv2d(3, 4, 3, padding=1))
    a = explain(model, x, "conv", 2, leaves)
    assert [s["name"] for s in a["stages"]] == ["conv", "relu", "pool"]
    pre = model.conv(x).detach()[0, 2]
    np.testing.assert_allclose(a["stages"][0]["values"], pre.numpy(), rtol=5e-3, atol=1e-3)
    relu = pre.clamp(min=0).numpy()
    np.testing.assert_allclose(a["stages"][1]["values"], relu, rtol=5e-3, atol=1e-3)
    pooled = torch.nn.functional.max_pool2d(pre.clamp(min=0)[None], 2)[0]
    np.testing.assert_allclose(a["stages"][2]["values"], pooled.numpy(), rtol=5e-3, atol=1e-3)
    assert "12×12 to 6×6" in a["stages"][2]["explanation"]


def test_linear_is_a_weighted_sum_of_its_real_inputs() -> None:
    model, x, leaves = _setup(nn.Conv2d(3, 2, 3))
    feats = model.flatten(model.pool(model.relu(model.conv(x)))).detach()[0]
    for unit in range(5):
        a = explain(model, x, "fc", unit, leaves)
        assert a["kind"] == "linear" and a["in_features"] == len(feats)
        w = model.fc.weight.detach()[unit]
        for t in a["terms"]:
            assert t["input"] == pytest.approx(float(feats[t["index"]]), abs=1e-6)
            assert t["weight"] == pytest.approx(float(w[t["index"]]), abs=1e-6)
        total = sum(t["product"] for t in a["terms"]) + a["rest"]["sum"] + a["bias"]
        real = float(model.fc(feats[None]).detach()[0, unit])
        assert total == pytest.approx(real, abs=1e-5) and a["value"] == pytest.approx(
            real, abs=1e-5
        )
        assert [s["name"] for s in a["stages"]] == ["fc", "relu2"]
        assert a["terms"][0]["label"].startswith("map ")  # inputs named by the maps they came from
    out = explain(model, x, "out", 1, leaves, classes=("cat", "dog", "owl"))
    assert out["unit_name"] == "dog" and "score for dog" in out["explanation"]


def test_refusals_and_the_model_left_as_it_was() -> None:
    model, x, leaves = _setup(nn.Conv2d(3, 4, 3))
    model.train()
    with pytest.raises(NotFoundError, match="maps 0..3, not 4"):
        explain(model, x, "conv", 4, leaves)
    with pytest.raises(UserInputError, match="is a ReLU"):
        explain(model, x, "relu", 0, leaves)
    with pytest.raises(NotFoundError, match="no layer"):
        explain(model, x, "nope", 0, leaves)
    explain(model, x, "conv", 0, leaves)
    assert model.training and all(p.requires_grad for p in model.parameters())
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in model.modules())


def test_hooks_are_removed_when_the_pass_raises() -> None:
    model, x, leaves = _setup(nn.Conv2d(3, 4, 3))
    with pytest.raises(RuntimeError):
        explain(model, x[:, :2], "conv", 0, leaves)
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in model.modules())


def test_a_conv_subclass_that_computes_something_else_is_refused() -> None:
    class Doubled(nn.Conv2d):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return super().forward(x) * 2

    model, x, leaves = _setup(Doubled(3, 2, 3))
    with pytest.raises(UserInputError, match="plain convolution"):
        explain(model, x, "conv", 0, leaves)


@pytest.fixture
def client(fixture_run: Path):
    with TestClient(create_app(fixture_run.parent), base_url="http://127.0.0.1") as c:
        yield c


def test_route_answers_and_refuses(client: TestClient) -> None:
    url = "/api/runs/fixture/compute"
    r = client.get(url, params={"layer": "conv", "channel": 1, "image": "probe:2"})
    assert r.status_code == 200, r.text
    a = r.json()
    assert a["kind"] == "conv" and a["channel"] == 1 and a["epoch"] == 3
    assert [s["name"] for s in a["stages"]] == ["conv", "relu", "pool"]
    fc = client.get(url, params={"layer": "fc", "channel": 0}).json()
    assert fc["kind"] == "linear" and fc["unit_name"] is not None
    bad = {
        404: [
            {"layer": "nope", "channel": 0},
            {"layer": "conv", "channel": 9},
            {"layer": "conv", "channel": 0, "image": "upload:0123456789abcdef"},
            {"layer": "conv", "channel": 0, "epoch": 99},
        ],
        400: [{"layer": "relu", "channel": 0}],
        422: [  # the image reference's form is checked with the other parameters
            {"layer": "conv", "channel": -1},
            {"layer": "conv"},
            {"layer": "conv", "channel": 0, "image": "picture"},
        ],
    }
    for status, cases in bad.items():
        for params in cases:
            r = client.get(url, params=params)
            assert r.status_code == status, (params, r.text)
            assert "\n" not in r.json()["detail"] if status != 422 else True
    assert (
        client.get("/api/runs/nope/compute", params={"layer": "conv", "channel": 0}).status_code
        == 404
    )


def test_route_409_when_the_run_cannot_rebuild_its_model(fixture_run: Path) -> None:
    import json

    manifest = json.loads((fixture_run / "manifest.json").read_text())
    manifest["model"].pop("spec", None)
    (fixture_run / "manifest.json").write_text(json.dumps(manifest))
    (fixture_run / "config.json").write_text("{}")
    with TestClient(create_app(fixture_run.parent), base_url="http://127.0.0.1") as c:
        r = c.get("/api/runs/fixture/compute", params={"layer": "conv", "channel": 0})
    assert r.status_code == 409, r.text


def test_weights_caption_says_map_or_maps() -> None:
    from convlens.views._explorer import weights_text

    one = weights_text("conv1", "Conv2d", [8, 1, 3, 3], np.zeros(1))
    many = weights_text("conv2", "Conv2d", [8, 4, 3, 3], np.zeros(1))
    assert "over 1 input map." in one and "over 4 input maps." in many
    assert "its 1 unit and one column for each of its 5 inputs" in weights_text(
        "fc", "Linear", [1, 5], np.zeros(1)
    )


def test_a_step_not_fed_by_the_layer_is_not_shown_as_its_after() -> None:
    class Residual(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(2, 2, 3, padding=1)
            self.relu = nn.ReLU()
            self.fc = nn.Linear(2 * 6 * 6, 3)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.fc(self.relu(self.conv(x) + x).flatten(1))

    model = Residual()
    x = torch.randn(1, 2, 6, 6, generator=torch.Generator().manual_seed(1))
    leaves = [i.name for i in leaf_layers(model, x) if i.calls == 1]
    a = explain(model, x, "conv", 0, leaves)
    assert [s["name"] for s in a["stages"]] == ["conv"]  # relu works on conv + x, not on conv
