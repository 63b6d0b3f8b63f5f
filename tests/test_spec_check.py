"""A model spec given for a new run must rebuild the model: one that builds another model is
refused when the run is created (it was stored, and every view answered 409 later), with what
differs and what to give instead; nothing is written."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import torch

from convlens.core import UserInputError
from convlens.pipelines import snapshot
from convlens.record import Recorder
from convlens.store import Run
from convlens.testing import TinyConvNet, picture_folder

ZOO = """
import torch
from torch import nn

from convlens.testing import TinyConvNet


def exact(num_classes):
    return TinyConvNet(num_classes=num_classes)


def with_extra_head(num_classes):
    model = TinyConvNet(num_classes=num_classes)
    model.aux = nn.Linear(4, num_classes)  # like GoogLeNet's aux heads the user turned off
    return model


def wider(num_classes):
    return nn.Sequential(nn.Flatten(), nn.Linear(64, num_classes))


def broken(num_classes):
    raise RuntimeError("no such weights file")


def counts_draws(num_classes):
    torch.rand(1)
    return TinyConvNet(num_classes=num_classes)
"""


@pytest.fixture
def zoo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A module of the user's own, importable as ``userzoo``."""
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "userzoo.py").write_text(textwrap.dedent(ZOO))
    monkeypatch.syspath_prepend(str(tmp_path / "code"))
    return "userzoo"


def _record(out: Path, spec: str) -> None:
    x = torch.rand(4, 1, 8, 8)
    with Recorder(TinyConvNet(), x, layers="fc", out=out, run_id="r", spec=spec) as rec:
        rec.record_epoch()


def test_a_spec_that_builds_another_model_is_refused_with_what_differs(
    tmp_path: Path, zoo: str
) -> None:
    out = tmp_path / "runs"
    with pytest.raises(UserInputError) as got:
        _record(out, f"{zoo}:with_extra_head")
    msg = str(got.value)
    assert "\n" not in msg
    assert f"spec '{zoo}:with_extra_head' does not rebuild your TinyConvNet" in msg
    assert "it has 2 weights yours lacks (aux.weight, aux.bias)" in msg
    assert "def make(num_classes): return with_extra_head(num_classes=num_classes" in msg
    with pytest.raises(UserInputError, match=r"yours has \d+ it lacks \(conv\.weight, "):
        _record(out, f"{zoo}:wider")
    with pytest.raises(UserInputError, match="cannot build a model with num_classes=3.*no such"):
        _record(out, f"{zoo}:broken")
    with pytest.raises(UserInputError, match="cannot build a model"):
        _record(out, "no_such_module_here:make")
    assert not out.exists() or list(out.iterdir()) == []  # nothing half-written


def test_a_spec_that_rebuilds_the_model_is_kept_and_leaves_the_random_state(
    tmp_path: Path, zoo: str
) -> None:
    model, x = TinyConvNet(), torch.rand(4, 1, 8, 8)
    state = torch.random.get_rng_state()
    spec = f"{zoo}:counts_draws"  # draws from the global generator while it builds
    with Recorder(model, x, layers="fc", out=tmp_path, run_id="r", spec=spec) as rec:
        rec.record_epoch()
    assert torch.equal(torch.random.get_rng_state(), state)
    assert Run.open(tmp_path / "r").manifest.model["spec"] == spec


def test_a_snapshot_with_a_spec_that_builds_another_model_is_refused(
    tmp_path: Path, zoo: str
) -> None:
    from convlens.core import InputContract

    data = picture_folder(tmp_path / "pics", ["cat", "dog", "owl"])
    with pytest.raises(UserInputError, match="does not rebuild your TinyConvNet"):
        snapshot(
            TinyConvNet(),
            out=tmp_path / "runs",
            data=data,
            preprocess=InputContract(size=(8, 8), channels=1, resize="stretch"),
            spec=f"{zoo}:with_extra_head",
        )
    assert not (tmp_path / "runs").exists() or list((tmp_path / "runs").iterdir()) == []


def test_a_spec_naming_the_running_script_is_not_imported_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``spec='train:make'`` from ``python train.py``: importing train.py would run the whole
    script again; the factory is taken from the running script instead."""
    import sys
    import types

    code = tmp_path / "code"
    code.mkdir()
    script = code / "train_script.py"
    script.write_text("import pathlib\npathlib.Path(__file__).with_name('ran-again').touch()\n")
    main = types.ModuleType("__main__")
    main.__file__ = str(script)
    main.make = lambda num_classes: TinyConvNet(num_classes=num_classes)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "__main__", main)
    monkeypatch.syspath_prepend(str(code))
    x = torch.rand(4, 1, 8, 8)
    out = tmp_path / "runs"
    with Recorder(TinyConvNet(), x, layers="fc", out=out, run_id="r", spec="train_script:make"):
        pass
    assert not (code / "ran-again").exists() and "train_script" not in sys.modules
    assert Run.open(out / "r").manifest.model["spec"] == "train_script:make"


def test_a_data_parallel_model_is_recorded_as_the_model_inside(tmp_path: Path, zoo: str) -> None:
    """``nn.DataParallel(model)`` with the spec of the model inside: recorded as that model (its
    weights without the wrapper's ``module.`` prefix), so the spec check and the views rebuild
    it; the user's wrapper is left as it was."""
    from convlens.models import build_model, load_weights

    inner = TinyConvNet()
    wrapped = torch.nn.DataParallel(inner)
    x = torch.rand(4, 1, 8, 8)
    spec = f"{zoo}:exact"
    with Recorder(wrapped, x, layers="fc", out=tmp_path, run_id="r", spec=spec) as rec:
        rec.record_epoch()
    run = Run.open(tmp_path / "r")
    assert run.layers == ["fc"] and run.manifest.model["spec"] == spec
    rebuilt = build_model(spec, in_channels=1, num_classes=3, image_size=8)
    load_weights(rebuilt, run.checkpoint_path(1))
    torch.testing.assert_close(rebuilt.fc.weight, inner.fc.weight)
    assert wrapped.module is inner
