"""The Recorder: exact values, hooks always removed, the user's model never changed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from convlens.core import UserInputError
from convlens.record import (
    REDUCERS,
    Recorder,
    load_optimizer_state,
    model_to_bytes,
    optimizer_to_bytes,
    resolve_layers,
)
from convlens.store import Run
from convlens.testing import (
    FailingNet,
    ReusedReLUNet,
    TinyConvNet,
    TupleOutputNet,
    probe_images,
)


def _hook_count(model: nn.Module) -> int:
    return sum(
        len(m._forward_hooks) + len(m._forward_pre_hooks) + len(m._backward_hooks)
        for m in model.modules()
    )


def test_exact_activations_of_hand_weighted_model() -> None:
    model = TinyConvNet()
    x = torch.zeros(1, 1, 8, 8)
    x[0, 0, :, 4] = 1.0  # one vertical line
    cap = Recorder(model, x, layers=["conv", "relu", "fc"], reducer="mean").capture()
    conv = model.conv(x)
    np.testing.assert_allclose(
        cap.activations["conv"], conv.mean((2, 3)).detach().numpy(), rtol=1e-6
    )
    # the vertical detector answers +3 left of the line and -3 right of it: mean over 6×6 is 0
    np.testing.assert_allclose(cap.activations["conv"][0], [0.0, 0.0], atol=1e-6)
    # after ReLU only the positive side stays: 6 rows × 3 = 18 over 36 cells
    np.testing.assert_allclose(cap.activations["relu"][0], [0.5, 0.0], atol=1e-6)
    np.testing.assert_allclose(cap.logits, model(x).detach().numpy(), rtol=1e-6)


def test_reducers() -> None:
    x = torch.arange(2 * 3 * 4, dtype=torch.float32).reshape(1, 2, 3, 4)
    assert REDUCERS.get("mean")(x).tolist() == [[5.5, 17.5]]
    assert REDUCERS.get("max")(x).tolist() == [[11.0, 23.0]]
    assert REDUCERS.get("none")(x).shape == (1, 24)
    assert REDUCERS.get("auto")(torch.ones(3, 5)).shape == (3, 5)
    with pytest.raises(UserInputError, match="choose one of"):
        REDUCERS.get("median")


def test_layers_by_name_glob_type_and_class() -> None:
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Sequential(nn.Conv2d(2, 2, 1)))
    assert resolve_layers(model, "0") == ["0"]
    assert resolve_layers(model, "2.*") == ["2.0"]
    assert resolve_layers(model, "Conv2d") == ["0", "2.0"]
    assert resolve_layers(model, [nn.ReLU, "0"]) == ["0", "1"]
    with pytest.raises(UserInputError, match="available layers are 0, 1, 2, 2.0"):
        resolve_layers(model, "fc9")
    with pytest.raises(UserInputError, match="functional calls"):
        resolve_layers(model, "relu")


def test_unhookable_layers_get_a_message_that_says_what_to_do() -> None:
    x = torch.randn(2, 1, 2, 2)
    with pytest.raises(UserInputError, match="reused module"):
        Recorder(ReusedReLUNet(), x, layers="act")
    x = torch.randn(2, 1, 2, 4)
    with pytest.raises(UserInputError, match="returns tuple, not a tensor"):
        Recorder(TupleOutputNet(), x, layers="pair")
    assert _hook_count(ReusedReLUNet()) == 0


def test_hooks_removed_after_capture_and_after_errors() -> None:
    x, _ = probe_images(2)
    model = TinyConvNet()
    rec = Recorder(model, x, layers=["conv", "fc"])
    for _ in range(50):  # leak loop
        rec.capture()
    assert _hook_count(model) == 0
    failing = FailingNet()
    with pytest.raises(RuntimeError, match="on purpose"):  # raises in the checking pass
        Recorder(failing, x, layers="conv")
    assert _hook_count(failing) == 0


def test_hooks_removed_when_capture_raises() -> None:
    x, _ = probe_images(2)
    model = TinyConvNet()
    rec = Recorder(model, x, layers=["conv"])
    model.forward = lambda _x: (_ for _ in ()).throw(RuntimeError("boom"))  # type: ignore
    with pytest.raises(RuntimeError, match="boom"):
        rec.capture()
    assert _hook_count(model) == 0


def test_model_state_restored() -> None:
    x, y = probe_images(2)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 8), nn.Dropout(0.5), nn.Linear(8, 3))
    model.train()
    model[2].eval()  # a submodule the user froze on purpose
    flags = [m.training for m in model.modules()]
    grads = [p.requires_grad for p in model.parameters()]
    model[1].weight.requires_grad_(False)
    grads = [p.requires_grad for p in model.parameters()]
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with torch.enable_grad():
        cap = Recorder(model, x, y, layers="Linear").capture()
        assert torch.is_grad_enabled()
    assert [m.training for m in model.modules()] == flags
    assert [p.requires_grad for p in model.parameters()] == grads
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k])
    # dropout was off while recording: two captures agree exactly
    cap2 = Recorder(model, x, y, layers="Linear").capture()
    np.testing.assert_array_equal(cap.activations["3"], cap2.activations["3"])


def test_recorded_arrays_are_copies() -> None:
    x, _ = probe_images(2)
    model = TinyConvNet()
    cap = Recorder(model, x, layers="fc").capture()
    keep = cap.activations["fc"].copy()
    with torch.no_grad():
        model.fc.weight.mul_(3)
    np.testing.assert_array_equal(cap.activations["fc"], keep)


def test_writes_a_run_and_resumes_it(tmp_path: Path) -> None:
    x, y = probe_images(3)
    model = TinyConvNet(scale=0.5)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    with Recorder(
        model, x, y, layers="conv,fc", out=tmp_path, run_id="r", class_names=["a", "b", "c"]
    ) as rec:
        for _ in range(2):
            model(x).sum().backward()
            opt.step()
            rec.record_epoch({"train_loss": 0.5}, optimizer=opt)
    run = Run.open(tmp_path / "r")
    assert run.epochs == [1, 2] and run.classes == ["a", "b", "c"]
    assert run.manifest.layers["conv"]["dim"] == 2 and run.manifest.layers["fc"]["dim"] == 3
    assert set(run.metrics()) == {"train_loss", "probe_accuracy", "probe_loss"}
    with Recorder(model, x, y, layers="conv,fc", resume=run.path) as rec:
        rec.record_epoch()
    run = Run.open(run.path)
    assert run.epochs == [1, 2, 3] and run.manifest.status == "complete"
    # the checkpoint is the state_dict, loadable without pickle
    from safetensors.torch import load_file

    sd = load_file(run.checkpoint_path(3))
    assert torch.equal(sd["fc.weight"], model.fc.weight)
    opt2 = torch.optim.Adam(TinyConvNet().parameters(), lr=0.5)
    load_optimizer_state(opt2, run.optimizer_path(2).read_bytes())
    assert opt2.param_groups[0]["lr"] == 0.01
    st = opt.state_dict()["state"][0]
    assert torch.equal(opt2.state_dict()["state"][0]["exp_avg"], st["exp_avg"])


def test_interrupted_run_is_marked(tmp_path: Path) -> None:
    x, y = probe_images(2)
    with (
        pytest.raises(KeyboardInterrupt),
        Recorder(TinyConvNet(), x, y, layers="fc", out=tmp_path, run_id="r") as rec,
    ):
        rec.record_epoch()
        raise KeyboardInterrupt
    run = Run.open(tmp_path / "r")
    assert run.manifest.status == "interrupted" and run.epochs == [1]


def test_bad_arguments() -> None:
    x, y = probe_images(2)
    with pytest.raises(UserInputError, match="nn.Module"):
        Recorder("model", x, layers="fc")  # type: ignore[arg-type]
    with pytest.raises(UserInputError, match="empty"):
        Recorder(TinyConvNet(), x[:0], layers="fc")
    with pytest.raises(UserInputError, match="probe labels"):
        Recorder(TinyConvNet(), x, y[:3], layers="fc")


def test_checkpoint_bytes_round_trip() -> None:
    from safetensors.torch import load

    model = TinyConvNet(scale=2.0)
    sd = load(model_to_bytes(model))
    assert set(sd) == set(model.state_dict())
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(probe_images(1)[0]).sum().backward()
    opt.step()
    opt2 = torch.optim.SGD(model.parameters(), lr=0.3, momentum=0.9)
    load_optimizer_state(opt2, optimizer_to_bytes(opt))
    assert opt2.param_groups[0]["lr"] == 0.1


def test_train_accuracy_comes_from_training_probes() -> None:
    x, y = probe_images(2)
    split = np.array([0, 1] * (len(y) // 2))
    rec = Recorder(TinyConvNet(), x, y, layers="fc", probe_split=split)
    cap = rec.record_epoch()
    correct = cap.logits.argmax(1) == y
    assert rec.last_metrics["train_accuracy"] == pytest.approx(correct[split == 1].mean())
    assert rec.last_metrics["probe_accuracy"] == pytest.approx(correct.mean())
