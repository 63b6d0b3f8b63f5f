"""Every view runs the model exactly as the run says its pictures must be prepared (the input
contract), shows the picture as the model receives it, and copes with many classes."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient
from PIL import Image
from torch import nn

from convlens import views
from convlens.analyze import last_conv_layer
from convlens.core import InputContract
from convlens.data import fit_picture, normalize
from convlens.pipelines import probe_pictures, run_contract, snapshot
from convlens.server import create_app
from convlens.store import Run
from convlens.testing import TinyConvNet, make_fixture_run, picture_folder
from convlens.views import Inspector
from convlens.views._classgrads import pick_classes

# a normalising contract: the model sees (pixel / 255 - 0.5) / 0.25, not pixel / 255
GREY8 = InputContract(size=(8, 8), channels=1, resize="stretch", mean=(0.5,), std=(0.25,))


def _snapshot(tmp_path: Path, classes: list[str], folders: list[str]) -> Run:
    path = snapshot(
        TinyConvNet(num_classes=len(classes)),
        out=tmp_path / "runs",
        data=picture_folder(tmp_path / "pics", folders),
        classes=classes,
        preprocess=GREY8,
        spec="convlens.testing:TinyConvNet",
        layers="conv,fc",
        run_id="snap",
    )
    return Run.open(path)


@pytest.fixture
def snap(tmp_path: Path) -> tuple[Inspector, Run]:
    run = _snapshot(tmp_path, ["cat", "dog", "owl"], ["cat", "dog", "owl"])
    return Inspector(tmp_path / "runs"), run


def test_timeline_and_explorer_give_the_same_probabilities_for_a_probe(
    snap: tuple[Inspector, Run],
) -> None:
    insp, run = snap
    assert insp.contract(run) == GREY8
    for i in range(insp.probe_count(run)):
        recorded = np.asarray(views.point(insp, run, i)["probabilities"])[-1]
        shown = views.featuremaps(insp, run, epoch=None, layer="conv", image=f"probe:{i}")
        np.testing.assert_allclose(shown["probabilities"], recorded, rtol=1e-4, atol=1e-6)
        assert shown["input_exact"] is True and shown["preprocess"] == "custom"
    # pixels / 255 (the app before contracts) would have given other answers
    thumbs = insp.probe(run)["thumbnails"]
    x_old = torch.from_numpy(thumbs.transpose(0, 3, 1, 2).astype(np.float32) / 255)
    loaded = insp.loaded_model(run)
    with torch.no_grad():
        old = torch.softmax(loaded.module(x_old), 1).numpy()
    recorded_all = np.stack([views.point(insp, run, i)["probabilities"][-1] for i in range(9)])
    assert np.abs(old - recorded_all).max() > 1e-3


def test_attributions_and_class_gradients_use_the_contract(snap: tuple[Inspector, Run]) -> None:
    insp, run = snap
    att = views.attributions(insp, run, epoch=None, image="probe:4", method="saliency")
    recorded = views.point(insp, run, 4)["probabilities"][-1]
    np.testing.assert_allclose(att["probabilities"], recorded, rtol=1e-4, atol=1e-6)
    assert "stretched to 8×8" in att["input_description"]
    x = insp.probe_tensor(run)
    expect = normalize(insp.probe(run)["thumbnails"], GREY8)
    np.testing.assert_allclose(x.numpy(), expect)


def test_uploads_are_cut_and_normalised_by_the_contract(snap: tuple[Inspector, Run]) -> None:
    insp, run = snap
    rng = np.random.default_rng(1)
    pic = rng.integers(0, 256, (30, 50, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pic).save(buf, format="PNG")
    up = insp.add_upload(buf.getvalue())
    x, seen = insp.tensor(run, f"upload:{up.id}")
    np.testing.assert_array_equal(seen, fit_picture(pic, GREY8))
    np.testing.assert_allclose(x.numpy(), normalize(fit_picture(pic, GREY8)[None], GREY8))
    # the picture as the model receives it: de-normalised from the model input itself
    png = views.model_input_png(insp, run, f"upload:{up.id}")
    shown = np.asarray(Image.open(io.BytesIO(png)))
    np.testing.assert_array_equal(shown, seen[..., 0])


def test_the_api_shows_the_picture_as_the_model_receives_it(
    snap: tuple[Inspector, Run], tmp_path: Path
) -> None:
    _, run = snap
    with TestClient(create_app(tmp_path / "runs"), base_url="http://127.0.0.1") as client:
        pic = np.full((10, 40, 3), 200, np.uint8)
        buf = io.BytesIO()
        Image.fromarray(pic).save(buf, format="PNG")
        r = client.post(
            "/api/uploads", params={"run": "snap"}, files={"file": ("a.png", buf.getvalue())}
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert "stretched to 8×8" in body["input_description"]
        assert "stretched to 8×8" in body["explanation"]
        got = client.get(body["input_url"])
        assert got.status_code == 200 and got.headers["content-type"] == "image/png"
        assert np.asarray(Image.open(io.BytesIO(got.content))).shape == (8, 8)
        fm = client.get("/api/runs/snap/featuremaps", params={"layer": "conv", "image": "probe:2"})
        assert fm.status_code == 200, fm.text
        assert fm.json()["input_url"] == "/api/runs/snap/input.png?image=probe%3A2"
        probe = client.get(fm.json()["input_url"])
        thumb = run.probe()["thumbnails"][2][..., 0]
        np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(probe.content))), thumb)
        layers = client.get("/api/runs/snap/layers").json()
        assert layers["input_shape"] == [1, 8, 8] and "stretched" in layers["input_description"]


def test_old_runs_use_the_none_preset_at_their_input_size(tmp_path: Path) -> None:
    make_fixture_run(tmp_path)
    insp = Inspector(tmp_path)
    run = insp.run("fixture")
    assert "input" not in run.manifest.model
    contract = run_contract(run)
    c, h, w = insp.input_shape(run)
    assert contract.name == "none" and contract.size == (h, w) and contract.channels == c
    assert not contract.normalised
    thumbs = insp.probe(run)["thumbnails"]
    pictures, exact = probe_pictures(thumbs, contract)
    assert exact and pictures.shape == thumbs.shape
    # thumbnails of another size are cut again, and the views say it is approximate
    bigger = np.repeat(np.repeat(thumbs[:2], 2, axis=1), 2, axis=2)
    again, exact = probe_pictures(bigger, contract)
    assert not exact and again.shape == (2, h, w, c)


def test_class_gradients_pick_among_the_classes_the_probe_set_holds(tmp_path: Path) -> None:
    names = [f"class {i}" for i in range(50)]
    run = _snapshot(tmp_path, names, ["7", "21", "40"])
    insp = Inspector(tmp_path / "runs")
    got = views.classgrads(insp, run, epoch=None, layer="conv")
    picked = [g["class"] for g in got["groups"]]
    assert sorted(picked) == [7, 21, 40] and all(g["n_images"] == 3 for g in got["groups"])
    with pytest.raises(Exception, match="no pictures of class class 3: pick one it holds"):
        views.classgrads(insp, run, epoch=None, layer="conv", reference=3)


def test_pick_classes_with_a_thousand_classes() -> None:
    rng = np.random.default_rng(0)
    labels = np.repeat([3, 281, 504, 967], 5)
    logits = rng.normal(size=(20, 1000))
    logits[labels == 281, 282] += 6  # tabby looks like tiger cat, which no probe shows
    logits[labels == 281, 3] += 3
    logits[labels == 3, 281] += 3
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    similar, dissimilar = pick_classes(probs, labels, 281, [3, 281, 504, 967])
    assert similar == 3 and dissimilar in (504, 967)


class _Steps(nn.Module):
    """Convolutions whose maps shrink 16 → 16 → 8 → 4 → 2 at 16 px."""

    def __init__(self) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(1, 4, 3, padding=1)
        self.c2 = nn.Conv2d(4, 4, 3, stride=2, padding=1)
        self.c3 = nn.Conv2d(4, 4, 3, stride=2, padding=1)
        self.c4 = nn.Conv2d(4, 4, 3, stride=2, padding=1)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.c4(self.c3(self.c2(self.c1(x)))))


def test_default_gradcam_layer_is_the_last_with_a_map_of_at_least_7x7() -> None:
    model = _Steps().train()
    assert last_conv_layer(model) == "c4"  # without an input: the last convolution
    assert last_conv_layer(model, torch.zeros(1, 1, 16, 16)) == "c2"  # 8×8; c3 is 4×4
    assert last_conv_layer(model, torch.zeros(1, 1, 64, 64)) == "c4"  # 8×8 at 64 px
    assert last_conv_layer(model, torch.zeros(1, 1, 4, 4)) == "c1"  # none is 7×7: the largest
    assert model.training  # the model is left as it was
    assert not model.c1._forward_hooks


def test_class_gradients_of_a_two_class_model_compare_its_two_classes(tmp_path: Path) -> None:
    """A yes/no model (torchvision's ResNet-18 with two outputs was refused: 'class gradients
    compare three classes'): the reference and the other class, each on its own pictures."""
    snapshot(
        TinyConvNet(num_classes=2),
        out=tmp_path / "runs",
        data=picture_folder(tmp_path / "pics", ["cat", "dog"], n=3),
        classes=["cat", "dog"],
        preprocess=GREY8,
        spec="convlens.testing:TinyConvNet",
        run_id="two",
    )
    insp = Inspector(tmp_path / "runs")
    got = views.classgrads(insp, insp.run("two"), epoch=None, layer="conv", reference="dog")
    assert [(g["role"], g["name"], g["n_images"]) for g in got["groups"]] == [
        ("reference", "dog", 3),
        ("similar", "cat", 3),
    ]
    assert got["labelled"] is True
    assert "dog is the only" not in got["explanation"]
    assert "cat is the only class to compare with" in got["explanation"]
    assert "share" not in got["explanation"]  # no third class to share filters with
    assert "mixed up" not in got["explanation"]  # two classes: nothing measured a confusion


def test_a_probe_set_without_labels_is_shown_without_making_them_up(tmp_path: Path) -> None:
    flat = picture_folder(tmp_path / "flat", ["x"]) / "x"
    snapshot(
        TinyConvNet(),
        out=tmp_path / "runs",
        data=flat,
        classes=["cat", "dog", "owl"],
        preprocess=GREY8,
        spec="convlens.testing:TinyConvNet",
        run_id="flat",
    )
    insp = Inspector(tmp_path / "runs")
    run = insp.run("flat")
    pt = views.point(insp, run, 0)
    assert pt["label"] == -1 and pt["label_name"] == ""
    assert "without a label" in pt["explanation"]
    top = views.top(insp, run, epoch=None, layer="conv", channel=0, k=2)
    assert len(top["indices"]) == 2 and "show a" not in top["explanation"]
    grads = views.classgrads(insp, run, epoch=None, layer="conv")
    assert grads["labelled"] is False  # the page words its pair as answers, not confusions
    assert grads["explanation"].startswith("The probe pictures have no labels")


def test_a_reused_module_is_refused_by_the_attributions_view_as_by_the_recorder(
    tmp_path: Path,
) -> None:
    """Grad-CAM on a module the forward pass calls twice gets the recorder's refusal, not a map
    of its second use."""
    from convlens.core import UserInputError
    from convlens.modelkit import reused_message
    from convlens.testing import ReusedReLUNet

    grey2 = InputContract(size=(2, 2), channels=1, resize="stretch")
    path = snapshot(
        ReusedReLUNet(),
        out=tmp_path / "runs",
        data=picture_folder(tmp_path / "pics", ["a", "b"], n=2),
        classes=["a", "b"],
        preprocess=grey2,
        spec="convlens.testing:ReusedReLUNet",
        layers="fc1",
    )
    insp = Inspector(tmp_path / "runs")
    run = insp.run(Run.open(path).run_id)
    with pytest.raises(UserInputError) as err:
        views.attributions(insp, run, epoch=None, image="probe:0", method="gradcam", layer="act")
    assert str(err.value) == reused_message("act", 2)


def test_an_upload_is_told_which_kinds_the_network_knows_and_a_weak_answer_is_called_weak(
    snap: tuple[Inspector, Run],
) -> None:
    insp, run = snap
    buf = io.BytesIO()
    Image.fromarray(np.full((12, 12, 3), 200, np.uint8)).save(buf, format="PNG")
    up = insp.add_upload(buf.getvalue())
    mine = views.featuremaps(insp, run, epoch=None, layer="conv", image=f"upload:{up.id}")
    probe = views.featuremaps(insp, run, epoch=None, layer="conv", image="probe:0")
    assert "knows only 3 kinds of picture (cat, dog, owl)" in mine["explanation"]
    assert "knows only" not in probe["explanation"]
    for answer in (mine, probe):
        weak = max(answer["probabilities"]) < 0.5
        assert ("weak answer" in answer["explanation"]) == weak
        assert "e-" not in answer["explanation"]


def test_a_snapshot_of_two_kinds_still_gets_a_timeline_and_class_gradients(
    tmp_path: Path,
) -> None:
    """Six pictures of two kinds for a five-class model (like an ImageNet model on two photos):
    too few for the aligned embedding's neighbourhoods and for three probe classes. The
    timeline falls back to PCA; class gradients take the other two classes from the answers."""
    run = _snapshot(tmp_path, ["cat", "dog", "owl", "fox", "elk"], ["cat", "dog"])
    insp = Inspector(tmp_path / "runs")
    tl = views.timeline(insp, run, "fc")
    assert tl["method"] == "pca" and tl["coords"].shape == (1, 6, 2)
    cg = views.classgrads(insp, run, epoch=None, layer="conv", reference="cat")
    names = [g["name"] for g in cg["groups"]]
    assert names[0] == "cat" and len(set(names)) == 3 and "cat" not in names[1:]
    assert all(g["n_images"] == 3 for g in cg["groups"])
    assert "only 2 kinds" in cg["explanation"]
    probs = softmax_of_run(run)[:3].mean(axis=0)
    probs[0] = np.nan
    assert run.classes.index(names[1]) == int(np.nanargmax(probs))
    assert run.classes.index(names[2]) == int(np.nanargmin(probs))


def softmax_of_run(run: Run) -> np.ndarray:
    logits = run.outputs(run.epochs[-1])["logits"].astype(np.float64)
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)
