"""Recorder runs that every view can use: contract, thumbnails, spec, layers, output choice."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from convlens.core import ConvLensWarning, InputContract, UserInputError
from convlens.modelkit import default_layers, leaf_layers, reused_message, select_output
from convlens.record import Capture, Recorder, resolve_layers
from convlens.store import Run
from convlens.testing import ReusedReLUNet, TinyConvNet, has_no_hooks, probe_images


class PadConv(nn.Conv2d):
    """A mobile-style convolution: a Conv2d subclass that pads with a child module."""

    def __init__(self, cin: int, cout: int, k: int = 3, stride: int = 1, groups: int = 1):
        super().__init__(cin, cout, k, stride, padding=0, groups=groups, bias=False)
        self.pad = nn.ZeroPad2d(k // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(self.pad(x))


class MobileStyle(nn.Module):
    def __init__(self, widths: tuple[int, ...] = (8, 16)) -> None:
        super().__init__()
        a, b = widths
        self.stem = nn.Sequential(PadConv(3, a, 3, 2), nn.BatchNorm2d(a), nn.ReLU6())
        self.dw = nn.Sequential(PadConv(a, a, 3, groups=a), nn.BatchNorm2d(a), nn.ReLU6())
        self.pw = nn.Sequential(PadConv(a, b, 1), nn.BatchNorm2d(b), nn.ReLU6())
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(b, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.pool(self.pw(self.dw(self.stem(x)))).flatten(1))


class NeedsArgs(TinyConvNet):
    def __init__(self, depth: int) -> None:
        super().__init__()
        self.depth = depth


class PairOut(TinyConvNet):
    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:  # type: ignore[override]
        logits = super().forward(x)
        return logits, logits.detach() * 0


class DictOut(TinyConvNet):
    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:  # type: ignore[override]
        return {"logits": super().forward(x), "aux": x.mean((1, 2, 3))}


def _rgb(n: int = 6, size: int = 16) -> torch.Tensor:
    return torch.rand(n, 3, size, size, generator=torch.Generator().manual_seed(1))


# -- layers ------------------------------------------------------------------------------------


def test_convs_with_a_padding_child_are_layers_and_match_their_type() -> None:
    model = MobileStyle()
    names = [i.name for i in leaf_layers(model, _rgb(1))]
    assert {"stem.0", "dw.0", "pw.0"} <= set(names)
    assert "stem.0.pad" in names and "stem" not in names  # containers only with every=True
    every = {i.name: i for i in leaf_layers(model, _rgb(1), every=True)}
    assert every["stem"].out_shape == (8, 8, 8) and every["stem"].returns_tensor
    assert resolve_layers(model, "Conv2d") == ["stem.0", "dw.0", "pw.0"]
    assert resolve_layers(model, nn.Conv2d) == ["stem.0", "dw.0", "pw.0"]
    assert resolve_layers(model, "PadConv") == ["stem.0", "dw.0", "pw.0"]
    assert default_layers(model) == ["pw.0", "head"]
    # containers record too
    rec = Recorder(model, _rgb(), layers="stem,pw.0")
    assert rec.layer_shapes == {"stem": [8, 8, 8], "pw.0": [16, 8, 8]}
    assert has_no_hooks(model)


def test_default_layers_leave_out_a_reused_module_and_the_refusal_is_shared() -> None:
    class Shared(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(1, 2, 3)
            self.fc1, self.fc2 = nn.Linear(8, 8), nn.Linear(8, 2)
            self.act = nn.ReLU()

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            h = self.act(self.conv(x)).flatten(1)[:, :8]
            return self.fc2(self.fc2_in(h))

        def fc2_in(self, h: torch.Tensor) -> torch.Tensor:
            return self.act(self.fc1(self.fc1(h)))  # fc1 is used twice

    x = torch.rand(2, 1, 6, 6)
    model = Shared()
    assert default_layers(model) == ["conv", "fc1"]  # without an example: not known
    assert default_layers(model, x) == ["conv", "fc2"]
    assert Recorder(model, x).layers == ["conv", "fc2"]
    with pytest.raises(UserInputError) as err:
        Recorder(ReusedReLUNet(), torch.randn(2, 1, 2, 2), layers="act")
    assert str(err.value) == reused_message("act", 2)
    infos = {i.name: i for i in leaf_layers(ReusedReLUNet(), torch.randn(1, 1, 2, 2))}
    assert infos["act"].calls == 2  # the views refuse it with reused_message too


# -- what a run says about its model --------------------------------------------------------------


def test_run_gets_contract_thumbnails_input_size_and_spec(tmp_path: Path) -> None:
    x, y = probe_images(3)
    x = x.clamp(0, 1)
    with Recorder(TinyConvNet(), x, y, layers="fc", out=tmp_path, run_id="r") as rec:
        rec.record_epoch()
    run = Run.open(tmp_path / "r")
    model = run.manifest.model
    assert model["spec"] == "convlens.testing._models:TinyConvNet"
    assert "input" not in model  # read as the none preset at the probes' size
    assert run.manifest.dataset["channels"] == 1 and run.manifest.dataset["image_size"] == 8
    thumbs = run.probe()["thumbnails"]
    assert thumbs.shape == (len(x), 8, 8, 1) and thumbs.dtype == np.uint8
    np.testing.assert_array_equal(thumbs[..., 0], np.rint(x[:, 0].numpy() * 255))


def test_imagenet_contract_de_normalises_the_thumbnails(tmp_path: Path) -> None:
    pics = np.random.default_rng(0).integers(0, 256, (4, 16, 16, 3), dtype=np.uint8)
    contract = InputContract(size=(16, 16), mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225))
    x = (
        torch.from_numpy(pics).permute(0, 3, 1, 2).float() / 255
        - torch.tensor(contract.mean)[:, None, None]
    ) / torch.tensor(contract.std)[:, None, None]
    with Recorder(MobileStyle(), x, out=tmp_path, run_id="r", preprocess="imagenet") as rec:
        rec.record_epoch()
    run = Run.open(tmp_path / "r")
    got = InputContract.from_json(run.manifest.model["input"])
    assert got.name == "imagenet" and got.size == (16, 16) and got.mean == contract.mean
    assert np.abs(run.probe()["thumbnails"].astype(int) - pics).max() <= 1
    assert run.manifest.model["spec"].endswith(":MobileStyle")


def test_preprocess_that_does_not_fit_is_one_line(tmp_path: Path) -> None:
    x = torch.rand(2, 1, 8, 8)
    with (
        pytest.raises(UserInputError, match="3-channel pictures, but the probes have 1"),
        Recorder(TinyConvNet(), x, layers="fc", out=tmp_path, preprocess="imagenet"),
    ):
        pass
    with (
        pytest.raises(UserInputError, match="but the probes are 1×8×8"),
        Recorder(
            TinyConvNet(), x, layers="fc", out=tmp_path, preprocess=InputContract(size=(9, 9))
        ),
    ):
        pass
    assert list(tmp_path.iterdir()) == []


def test_normalised_probes_without_preprocess_say_how_to_give_it(tmp_path: Path) -> None:
    x = torch.rand(2, 3, 16, 16) * 4 - 2
    with (
        pytest.warns(ConvLensWarning, match="preprocess='imagenet'"),
        Recorder(MobileStyle(), x, out=tmp_path, run_id="r") as rec,
    ):
        rec.record_epoch()
    run = Run.open(tmp_path / "r")
    assert "input" not in run.manifest.model


def test_a_model_that_cannot_be_rebuilt_gets_one_message_with_the_fix(tmp_path: Path) -> None:
    x = torch.rand(2, 1, 8, 8)
    with (
        pytest.warns(ConvLensWarning, match=r"spec='package.module:factory'") as got,
        Recorder(NeedsArgs(2), x, layers="fc", out=tmp_path, run_id="a") as rec,
    ):
        rec.record_epoch()
        rec.record_epoch()
    assert len(got) == 1
    assert "spec" not in Run.open(tmp_path / "a").manifest.model
    with Recorder(
        NeedsArgs(2), x, layers="fc", out=tmp_path, run_id="b", spec="convlens.testing:TinyConvNet"
    ) as rec:
        rec.record_epoch()
    assert Run.open(tmp_path / "b").manifest.model["spec"] == "convlens.testing:TinyConvNet"


def test_a_recorder_run_of_an_onnx_model_keeps_the_file_once(tmp_path: Path) -> None:
    """spec="onnx:FILE" (a model converted from ONNX): the new run keeps a copy of the file and
    is rebuilt from it; resuming does not copy it again. (The file is only copied here, so any
    bytes do; tests/pretrained converts a real one.)"""
    source = tmp_path / "net.onnx"
    source.write_bytes(b"not parsed by the recorder")
    x = torch.rand(2, 1, 8, 8)
    with Recorder(
        TinyConvNet(), x, layers="fc", out=tmp_path / "runs", run_id="o", spec=str(source)
    ) as rec:
        rec.record_epoch()
    run = Run.open(tmp_path / "runs" / "o")
    assert run.manifest.model["spec"] == f"onnx:{source.resolve()}"
    assert run.manifest.model["file"] == "model/model.onnx"
    copy = run.path / "model" / "model.onnx"
    assert copy.read_bytes() == source.read_bytes() and not run.problems()
    source.write_bytes(b"changed after the run was made")
    with Recorder(TinyConvNet(), x, layers="fc", resume=run.path, spec=f"onnx:{source}") as rec:
        rec.record_epoch()
    run = Run.open(run.path)
    assert run.epochs == [1, 2] and copy.read_bytes() == b"not parsed by the recorder"
    assert [a.path for a in run.manifest.artifacts].count("model/model.onnx") == 1


def test_class_names_of_the_wrong_count_are_refused(tmp_path: Path) -> None:
    x = torch.rand(2, 1, 8, 8)
    with (
        pytest.raises(UserInputError, match="2 class names for a model with 3 outputs"),
        Recorder(TinyConvNet(), x, layers="fc", out=tmp_path, class_names=["a", "b"]),
    ):
        pass
    assert list(tmp_path.iterdir()) == []


def test_a_run_whose_first_epoch_failed_leaves_no_folder(tmp_path: Path) -> None:
    x = torch.rand(2, 1, 8, 8)
    with (
        pytest.raises(RuntimeError, match="boom"),
        Recorder(TinyConvNet(), x, layers="fc", out=tmp_path, run_id="r"),
    ):
        raise RuntimeError("boom")
    assert not (tmp_path / "r").exists()
    with (
        pytest.raises(RuntimeError, match="boom"),
        Recorder(TinyConvNet(), x, layers="fc", out=tmp_path, run_id="s") as rec,
    ):
        rec.record_epoch()
        raise RuntimeError("boom")
    assert Run.open(tmp_path / "s").manifest.status == "interrupted"


# -- outputs ---------------------------------------------------------------------------------------


def test_tuple_and_dict_outputs_take_an_output_choice(tmp_path: Path) -> None:
    x = torch.rand(3, 1, 8, 8)
    want = TinyConvNet()(x).detach().numpy()
    with pytest.raises(UserInputError, match=r"tuple of 2 .*output=0"):
        Recorder(PairOut(), x, layers="fc")
    with pytest.raises(
        UserInputError, match=r"dict \(logits, aux\).*Recorder\(\.\.\., output='logits'\)"
    ):
        Recorder(DictOut(), x, layers="fc")
    np.testing.assert_allclose(Recorder(PairOut(), x, layers="fc", output=0).capture().logits, want)
    with pytest.raises(UserInputError) as got:
        Recorder(PairOut(), x, layers="fc")
    assert "(Recorder(..., output=0))" in str(got.value) and "--model-output" not in str(got.value)
    cap = Recorder(DictOut(), x, layers="fc", output="logits").capture()
    np.testing.assert_allclose(cap.logits, want)
    with pytest.raises(UserInputError, match="no entry 'score'"):
        Recorder(DictOut(), x, layers="fc", output="score")
    with pytest.raises(UserInputError, match="give 0 to 1"):
        select_output((torch.zeros(1), torch.zeros(1)), 5)
    with Recorder(PairOut(), x, layers="fc", output=0, out=tmp_path, run_id="r") as rec:
        rec.record_epoch()
    assert Run.open(tmp_path / "r").manifest.model["output"] == "0"
    # the views' rebuilt model gives the class scores too
    from convlens.pipelines import run_model

    rebuilt, _ = run_model(Run.open(tmp_path / "r"))
    np.testing.assert_allclose(rebuilt(x).detach().numpy(), want, rtol=1e-5)


# -- memory ----------------------------------------------------------------------------------------


@pytest.mark.slow
def test_history_keeps_the_last_capture_only() -> None:
    x = torch.rand(2, 1, 8, 8)
    rec = Recorder(TinyConvNet(), x, layers="conv,fc", reducer="none", checkpoints=False)
    alive: list[weakref.ref[Capture]] = []
    for _ in range(1000):  # leak loop: every capture but the last must be freed
        alive.append(weakref.ref(rec.record_epoch()))
    gc.collect()
    assert len(rec.history) == 1 and rec.epoch == 1000
    assert sum(r() is not None for r in alive) == 1
    assert alive[-1]() is rec.history[-1]
    three = Recorder(TinyConvNet(), x, layers="fc", keep=3)
    for _ in range(5):
        three.record_epoch()
    assert len(three.history) == 3
    with pytest.raises(UserInputError, match="keep"):
        Recorder(TinyConvNet(), x, layers="fc", keep=-1)
