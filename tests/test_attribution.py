"""Why this decision: attribution maps checked against hand-computed maths on TinyConvNet."""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from convlens.analyze import (
    ATTRIBUTIONS,
    Attribution,
    GradCAM,
    IntegratedGradients,
    Occlusion,
    Saliency,
    deletion_insertion,
)
from convlens.core import UserInputError
from convlens.testing import FailingNet, ModelSnapshot, TinyConvNet, has_no_hooks, probe_images

METHODS = ["saliency", "gradcam", "integrated_gradients", "occlusion"]


@pytest.fixture
def image() -> torch.Tensor:
    return probe_images(1, seed=0)[0][:1]  # one vertical bar, [1, 1, 8, 8]


def _logit(model: nn.Module, x: torch.Tensor, target: int) -> float:
    with torch.no_grad():
        return float(model(x)[0, target])


# -- the registry ------------------------------------------------------------------------------


def test_registry_lists_the_four_methods_with_help() -> None:
    assert ATTRIBUTIONS.names() == METHODS
    assert all(ATTRIBUTIONS.help(n) for n in METHODS)
    assert [ATTRIBUTIONS.get(n).method for n in METHODS] == METHODS
    assert [n for n in METHODS if ATTRIBUTIONS.get(n).uses_layer] == ["gradcam"]
    with pytest.raises(UserInputError, match="gradcam"):
        ATTRIBUTIONS.get("lime")


@pytest.mark.parametrize("name", METHODS)
def test_every_method_gives_a_float_map_at_input_size(name: str, image: torch.Tensor) -> None:
    result = ATTRIBUTIONS.get(name)(TinyConvNet()).attribute(image, target=0)
    assert result.shape == (8, 8)
    assert result.dtype == np.float32
    assert np.isfinite(result).all() and np.abs(result).max() > 0


# -- exact maths -------------------------------------------------------------------------------


def test_saliency_is_the_absolute_input_gradient(image: torch.Tensor) -> None:
    model = TinyConvNet()
    x = image.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(model(x)[0, 1], x)
    expected = grad.abs().sum(dim=1)[0].numpy()
    np.testing.assert_allclose(Saliency(model).attribute(image, 1), expected, rtol=1e-6)


def test_gradcam_matches_the_hand_computation(image: torch.Tensor) -> None:
    model = TinyConvNet()
    acts = F.conv2d(image, model.conv.weight, model.conv.bias).requires_grad_(True)
    score = model.fc(model.flatten(model.pool(model.relu(acts))))[0, 2]
    (grads,) = torch.autograd.grad(score, acts)
    weights = grads.mean(dim=(2, 3), keepdim=True)
    cam = F.relu((weights * acts).sum(dim=1, keepdim=True)).detach()
    expected = F.interpolate(cam, size=(8, 8), mode="bilinear")[0, 0].numpy()
    result = GradCAM(model).attribute(image, 2)  # layer None -> the last conv, "conv"
    np.testing.assert_allclose(result, expected, rtol=1e-5, atol=1e-7)
    assert (result >= 0).all()


def test_integrated_gradients_are_complete(image: torch.Tensor) -> None:
    model = TinyConvNet()
    with torch.no_grad():
        model.conv.bias.fill_(-0.05)  # not positively homogeneous: the path integral has kinks
    for target in range(3):
        result = IntegratedGradients(model, n_steps=200).attribute(image, target)
        gap = _logit(model, image, target) - _logit(model, torch.zeros_like(image), target)
        assert result.sum() == pytest.approx(gap, rel=1e-2, abs=1e-3)


def test_occlusion_with_one_pixel_windows_is_the_score_drop(image: torch.Tensor) -> None:
    model = TinyConvNet()
    result = Occlusion(model, window=(1, 1), stride=(1, 1)).attribute(image, 0)
    full = _logit(model, image, 0)
    expected = np.zeros((8, 8))
    for i in range(8):
        for j in range(8):
            hidden = image.clone()
            hidden[0, :, i, j] = 0
            expected[i, j] = full - _logit(model, hidden, 0)
    np.testing.assert_allclose(result, expected, atol=1e-5)


def test_occlusion_default_window_on_a_larger_image() -> None:
    model = nn.Sequential(
        nn.Conv2d(3, 2, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2, 4)
    )
    x = torch.linspace(0, 1, 3 * 20 * 16).reshape(1, 3, 20, 16)
    assert Occlusion(model).attribute(x, 3).shape == (20, 16)


# -- deletion and insertion --------------------------------------------------------------------


def test_deletion_and_insertion_curves_run_between_the_image_and_the_baseline(
    image: torch.Tensor,
) -> None:
    model = TinyConvNet()
    heat = Saliency(model).attribute(image, 0)
    result = deletion_insertion(model, image, heat, 0, steps=10, batch_size=4)
    with torch.no_grad():
        p_image = torch.softmax(model(image), 1)[0, 0].item()
        p_base = torch.softmax(model(torch.zeros_like(image)), 1)[0, 0].item()
    assert result.deletion_curve.shape == result.insertion_curve.shape == (11,)
    assert result.deletion_curve[0] == pytest.approx(p_image, rel=1e-6)
    assert result.deletion_curve[-1] == pytest.approx(p_base, rel=1e-6)
    assert result.insertion_curve[0] == pytest.approx(p_base, rel=1e-6)
    assert result.insertion_curve[-1] == pytest.approx(p_image, rel=1e-6)
    assert 0 <= result.deletion <= 1 and 0 <= result.insertion <= 1
    curve = result.deletion_curve
    assert result.deletion == pytest.approx(((curve[1:] + curve[:-1]) / 2).mean())
    one_by_one = deletion_insertion(model, image, heat, 0, steps=10, batch_size=1)
    np.testing.assert_allclose(one_by_one.insertion_curve, result.insertion_curve, rtol=1e-6)


def test_deletion_follows_the_map_order() -> None:
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 2, bias=False))
    with torch.no_grad():
        model[1].weight.copy_(torch.tensor([[4.0, 3.0, 2.0, 1.0], [0.0, 0.0, 0.0, 0.0]]))
    x = torch.ones(1, 1, 2, 2)
    good = np.array([[4.0, 3.0], [2.0, 1.0]])
    best = deletion_insertion(model, x, good, 0, steps=4)
    worst = deletion_insertion(model, x, -good, 0, steps=4)
    assert best.deletion < worst.deletion and best.insertion > worst.insertion
    assert np.all(np.diff(best.deletion_curve) < 0)


# -- the model is never changed ----------------------------------------------------------------


def _calls(name: str) -> Callable[[nn.Module, torch.Tensor], object]:
    if name == "deletion_insertion":
        return lambda model, x: deletion_insertion(model, x, np.ones((8, 8)), 0, steps=3)
    return lambda model, x: ATTRIBUTIONS.get(name)(model).attribute(x, 0)


@pytest.mark.parametrize("name", [*METHODS, "deletion_insertion"])
@pytest.mark.parametrize("grad_mode", [True, False])
def test_the_model_is_left_as_it_was(name: str, grad_mode: bool, image: torch.Tensor) -> None:
    model = TinyConvNet()
    snap = ModelSnapshot(model)
    with torch.set_grad_enabled(grad_mode):
        for _ in range(3):  # a leak loop: nothing accumulates either
            _calls(name)(model, image)
        assert torch.is_grad_enabled() == grad_mode
    snap.assert_unchanged()
    model.fc.weight.grad = None
    torch.nn.functional.cross_entropy(model(image), torch.tensor([1])).backward()
    assert model.fc.weight.grad is not None  # it still trains


@pytest.mark.parametrize("name", [*METHODS, "deletion_insertion"])
def test_hooks_are_removed_when_forward_raises(name: str, image: torch.Tensor) -> None:
    model = FailingNet()
    snap = ModelSnapshot(model)
    for _ in range(2):
        with pytest.raises(RuntimeError, match="on purpose"):
            _calls(name)(model, image)
    assert torch.is_grad_enabled()
    snap.assert_unchanged()


def test_concurrent_calls_on_one_model_leave_it_training(image: torch.Tensor) -> None:
    model = TinyConvNet()
    model.train()
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            for _ in range(5):
                ATTRIBUTIONS.get(name)(model).attribute(image, 0)
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=work, args=(n,)) for n in METHODS]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert all(m.training for m in model.modules())
    assert all(p.requires_grad for p in model.parameters())
    assert has_no_hooks(model)


# -- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", METHODS)
@pytest.mark.parametrize("target", [3, -1])
def test_target_out_of_range_names_the_classes(name: str, target: int, image: torch.Tensor) -> None:
    with pytest.raises(UserInputError, match="3 classes"):
        ATTRIBUTIONS.get(name)(TinyConvNet()).attribute(image, target)


def test_bad_layers_and_images_are_refused(image: torch.Tensor) -> None:
    model = TinyConvNet()
    with pytest.raises(UserInputError, match="conv, relu, pool"):
        GradCAM(model, "conv3")
    with pytest.raises(UserInputError, match="conv, relu, pool"):
        Saliency(model, "conv3")
    with pytest.raises(UserInputError, match="no nn.Conv2d"):
        GradCAM(nn.Sequential(nn.Flatten(), nn.Linear(64, 3)))
    with pytest.raises(UserInputError, match="spatial output"):
        GradCAM(model, "fc").attribute(image, 0)
    with pytest.raises(UserInputError, match="one image"):
        Saliency(model).attribute(torch.zeros(2, 1, 8, 8), 0)
    with pytest.raises(UserInputError, match="image's size"):
        deletion_insertion(model, image, np.ones((4, 4)), 0)
    with pytest.raises(UserInputError, match="3 classes"):
        deletion_insertion(model, image, np.ones((8, 8)), 5)
    assert isinstance(GradCAM(model, "conv"), Attribution)
    model.unused = nn.Conv2d(1, 1, 1)  # now the last Conv2d, but forward() never calls it
    with pytest.raises(UserInputError, match="'unused' does not run"):
        GradCAM(model).attribute(image, 0)
    assert has_no_hooks(model)


def test_gradcam_reads_the_layer_before_an_inplace_relu(image: torch.Tensor) -> None:
    inplace = TinyConvNet()
    inplace.relu = nn.ReLU(inplace=True)
    for target in range(3):
        np.testing.assert_array_equal(
            GradCAM(inplace).attribute(image, target),
            GradCAM(TinyConvNet()).attribute(image, target),
        )


@pytest.mark.parametrize(("side", "positions"), [(64, 15 * 15), (224, 7 * 7)])
def test_occlusion_cost_scales_with_the_image(side: int, positions: int) -> None:
    """Up to 128×128 the patch is an eighth of the side; above, a quarter: 49 passes at 224 px."""
    model = nn.Sequential(nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Linear(12, 4))
    seen = []
    handle = model[0].register_forward_hook(lambda _m, i, _o: seen.append(i[0].shape[0]))
    try:
        Occlusion(model).attribute(torch.rand(1, 3, side, side), 1)
    finally:
        handle.remove()
    # every patch position, the unoccluded image, and the pass that checks the target class
    assert sum(seen) == positions + 2
