"""timm and ONNX models for real (the second environment has timm, onnx and onnx2torch): each is
made into a run and looked at through the web's views, prepared exactly as its source says."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from convlens import views
from convlens.core import InputContract, UserInputError
from convlens.data import normalize, prepare_image
from convlens.models import imagenet_classes, load_pretrained
from convlens.pipelines import snapshot
from convlens.store import Run
from convlens.testing import TinyConvNet
from convlens.views import Inspector

from .conftest import _need

TIMM_MODEL = "mobilenetv3_small_050"  # 1.6 M parameters: quick at 224 px


@pytest.fixture(scope="module")
def timm_weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A seeded timm model's weights in a file (no downloads: random but fixed weights)."""
    _need("timm", "pip install timm (pinned beside torch 2.14.1, see .ci/run)")
    import timm

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = timm.create_model(TIMM_MODEL, pretrained=False)
    path = tmp_path_factory.mktemp("timm") / f"{TIMM_MODEL}.pth"
    torch.save(model.state_dict(), path)
    return path


def _class_folders(root: Path, photos: dict[str, np.ndarray]) -> Path:
    for name, key in (("tabby", "cat"), ("espresso", "cup")):
        (root / name).mkdir(parents=True)
        Image.fromarray(photos[key]).save(root / name / f"{key}.png")
    return root


def test_timm_model_through_snapshot_and_the_views(
    timm_weights: Path, photos: dict[str, np.ndarray], tmp_path: Path
) -> None:
    import timm
    import timm.data

    pre = load_pretrained(f"timm:{TIMM_MODEL}", weights=timm_weights)
    config = timm.data.resolve_data_config({}, model=pre.model)
    assert pre.contract == InputContract.from_timm(config, name=f"timm {TIMM_MODEL}")
    assert pre.contract.size == tuple(config["input_size"][1:]) and pre.contract.resize == "crop"
    assert pre.class_names == imagenet_classes()
    # ConvLens cuts and normalises a photo as timm's own eval transform does
    mine = prepare_image(photos["cat"], pre.contract)[0]
    theirs = timm.data.create_transform(**config)(Image.fromarray(photos["cat"])).numpy()
    assert mine.shape == theirs.shape
    assert np.abs(mine - theirs).mean() < 0.02, np.abs(mine - theirs).mean()

    path = snapshot(
        f"timm:{TIMM_MODEL}",
        weights=timm_weights,
        out=tmp_path / "runs",
        data=_class_folders(tmp_path / "pics", photos),
        run_id="timm",
    )
    run = Run.open(path)
    assert run.manifest.model["spec"] == f"timm:{TIMM_MODEL}"
    assert InputContract.from_json(run.manifest.model["input"]) == pre.contract
    assert len(run.classes) == 1000 and run.classes[281] == "tabby"
    # the views rebuild the model from the run (timm.create_model + the checkpoint) and see
    # what the recording saw
    insp = Inspector(tmp_path / "runs")
    names = [li["name"] for li in views.layers(insp, run, None)["layers"]]
    conv = next(n for n in names if n.endswith("conv_stem") or "conv" in n)
    cat = int(np.flatnonzero(run.probe()["labels"] == 281)[0])
    fm = views.featuremaps(insp, run, epoch=None, layer=conv, image=f"probe:{cat}")
    recorded = run.outputs(1)["logits"][cat].astype(np.float64)
    expect = np.exp(recorded - recorded.max())
    np.testing.assert_allclose(fm["probabilities"], expect / expect.sum(), atol=1e-4)
    with torch.no_grad():
        direct = pre.model(torch.from_numpy(prepare_image(photos["cat"], pre.contract)[0])[None])
    np.testing.assert_allclose(recorded, direct[0].numpy(), rtol=1e-3, atol=1e-3)
    cg = views.classgrads(insp, run, epoch=None, layer=conv, reference="tabby")
    assert cg["groups"][0]["name"] == "tabby" and len(cg["groups"]) == 3
    assert all(np.isfinite(g["norms"]).all() for g in cg["groups"])


def test_timm_bad_names_and_weights(timm_weights: Path) -> None:
    with pytest.raises(UserInputError, match="timm has no model 'nonet_9'"):
        load_pretrained("timm:nonet_9", weights=timm_weights)
    with pytest.raises(UserInputError, match="needs its weights as a local file"):
        load_pretrained(f"timm:{TIMM_MODEL}")
    with pytest.raises(UserInputError, match="do not fit"):
        load_pretrained("timm:resnet10t", weights=timm_weights)


def _export(model: torch.nn.Module, x: torch.Tensor, path: Path) -> Path:
    _need("onnx", "pip install onnx onnx2torch (pinned beside torch 2.14.1, see .ci/run)")
    _need("onnx2torch", "pip install onnx2torch (pinned beside torch 2.14.1, see .ci/run)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the TorchScript exporter's notice
        torch.onnx.export(model, (x,), path, dynamo=False, input_names=["x"], output_names=["y"])
    return path


GREY8 = InputContract(size=(8, 8), channels=1, resize="stretch", mean=(0.5,), std=(0.25,))


def test_onnx_file_gives_the_original_outputs_and_feature_maps(tmp_path: Path) -> None:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = TinyConvNet(num_classes=3).eval()
    path = _export(model, torch.zeros(1, 1, 8, 8), tmp_path / "tiny.onnx")
    pre = load_pretrained(str(path))
    assert pre.spec == f"onnx:{path.resolve()}" and pre.contract is None
    x = torch.from_numpy(np.random.default_rng(0).normal(size=(5, 1, 8, 8)).astype(np.float32))
    with torch.no_grad():
        np.testing.assert_allclose(pre.model(x).numpy(), model(x).numpy(), rtol=1e-5, atol=1e-6)

    pics = tmp_path / "pics"
    pics.mkdir()
    rng = np.random.default_rng(1)
    for i in range(4):
        Image.fromarray(rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)).save(pics / f"{i}.png")
    with pytest.raises(UserInputError, match="how must pictures be prepared"):
        snapshot(str(path), out=tmp_path / "runs", data=pics, classes=["a", "b", "c"])
    assert not (tmp_path / "runs").exists() or not list((tmp_path / "runs").iterdir())
    run = Run.open(
        snapshot(
            str(path),
            out=tmp_path / "runs",
            data=pics,
            classes=["a", "b", "c"],
            preprocess=GREY8,
            run_id="onnx",
        )
    )
    insp = Inspector(tmp_path / "runs")
    names = [li["name"] for li in views.layers(insp, run, None)["layers"]]
    conv = next(n for n in names if "Conv" in n)
    fm = views.featuremaps(insp, run, epoch=None, layer=conv, image="probe:2")
    picture = run.probe()["thumbnails"][2:3]
    with torch.no_grad():
        xin = torch.from_numpy(normalize(picture, GREY8))
        expect = model.conv(xin)[0].numpy()
        probs = model(xin).softmax(1)[0].numpy()
    np.testing.assert_allclose(fm["maps"], expect, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(fm["probabilities"], probs, rtol=1e-5, atol=1e-6)


def _onnx_run(tmp_path: Path) -> tuple[torch.nn.Module, Path, Path]:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(1)
        model = TinyConvNet(num_classes=3).eval()
    (tmp_path / "elsewhere").mkdir()
    original = _export(model, torch.zeros(1, 1, 8, 8), tmp_path / "elsewhere" / "tiny.onnx")
    pics = tmp_path / "pics"
    pics.mkdir()
    rng = np.random.default_rng(2)
    for i in range(3):
        Image.fromarray(rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)).save(pics / f"{i}.png")
    path = snapshot(
        str(original),
        out=tmp_path / "runs",
        data=pics,
        classes=["a", "b", "c"],
        preprocess=GREY8,
        run_id="onnx",
    )
    return model, original, path


def _maps_match(model: torch.nn.Module, runs: Path, run: Run) -> None:
    insp = Inspector(runs)
    conv = next(
        li["name"] for li in views.layers(insp, run, None)["layers"] if "Conv" in li["name"]
    )
    fm = views.featuremaps(insp, run, epoch=None, layer=conv, image="probe:1")
    with torch.no_grad():
        expect = model.conv(torch.from_numpy(normalize(run.probe()["thumbnails"][1:2], GREY8)))
    np.testing.assert_allclose(fm["maps"], expect[0].numpy(), rtol=1e-5, atol=1e-5)


def test_an_onnx_run_keeps_its_own_copy_of_the_file(tmp_path: Path) -> None:
    import hashlib

    model, original, path = _onnx_run(tmp_path)
    run = Run.open(path)
    listed = {a.path: a.sha256 for a in run.manifest.artifacts}
    want = hashlib.sha256(original.read_bytes()).hexdigest()
    assert listed["model/model.onnx"] == want and run.manifest.model["file"] == "model/model.onnx"
    assert not run.problems()  # the copy is verified like every other file
    original.unlink()  # the original is gone: the run rebuilds from its copy
    original.parent.rmdir()
    _maps_match(model, tmp_path / "runs", run)


def test_an_onnx_run_from_before_the_copy_still_opens(tmp_path: Path) -> None:
    """A run made before ConvLens kept a copy (no ``model.file``) rebuilds from the original."""
    import json

    model, original, path = _onnx_run(tmp_path)
    manifest = json.loads((path / "manifest.json").read_text())
    del manifest["model"]["file"]
    manifest["artifacts"] = [a for a in manifest["artifacts"] if a["path"] != "model/model.onnx"]
    (path / "manifest.json").write_text(json.dumps(manifest))
    (path / "model" / "model.onnx").unlink()
    run = Run.open(path)
    assert run.manifest.model["spec"] == f"onnx:{original.resolve()}"
    _maps_match(model, tmp_path / "runs", run)


def test_a_training_run_from_an_onnx_file_keeps_its_copy_and_resumes_from_it(
    tmp_path: Path,
) -> None:
    """``convlens train --model onnx:FILE`` keeps the file in the run when the run is made (not
    again on resume); the run resumes and opens in the views after the original is gone."""
    import hashlib

    from convlens.cli import main

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(2)
        model = TinyConvNet(num_classes=3).eval()
    (tmp_path / "elsewhere").mkdir()
    original = _export(model, torch.zeros(1, 1, 8, 8), tmp_path / "elsewhere" / "tiny.onnx")
    rng = np.random.default_rng(3)
    for split in ("train", "test"):
        for name in ("a", "b", "c"):
            folder = tmp_path / "data" / split / name
            folder.mkdir(parents=True)
            for i in range(2):
                picture = rng.integers(0, 256, (8, 8), dtype=np.uint8)
                Image.fromarray(picture, mode="L").save(folder / f"{i}.png")
    runs = tmp_path / "runs"
    args = ["-q", "train", "--data", str(tmp_path / "data"), "--model", f"onnx:{original}"]
    code = main([*args, "--epochs", "1", "--image-size", "8", "--out", str(runs), "--run-id", "t"])
    assert code == 0
    copy = runs / "t" / "model" / "model.onnx"
    run = Run.open(runs / "t")
    listed = {a.path: a.sha256 for a in run.manifest.artifacts}
    assert listed["model/model.onnx"] == hashlib.sha256(original.read_bytes()).hexdigest()
    assert run.manifest.model["file"] == "model/model.onnx"
    written = copy.stat().st_mtime_ns
    original.unlink()  # the original is gone: resuming and the views use the run's copy
    assert main(["-q", "train", "--resume", str(runs / "t"), "--epochs", "2"]) == 0
    run = Run.open(runs / "t")
    assert run.epochs == [1, 2] and not run.problems()
    assert copy.stat().st_mtime_ns == written  # written when the run was made, not on resume
    assert [a.path for a in run.manifest.artifacts].count("model/model.onnx") == 1
    insp = Inspector(runs)
    conv = next(
        li["name"] for li in views.layers(insp, run, None)["layers"] if "Conv" in li["name"]
    )
    fm = views.featuremaps(insp, run, epoch=2, layer=conv, image="probe:0")
    assert np.asarray(fm["maps"]).shape[0] == model.conv.out_channels
