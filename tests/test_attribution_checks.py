"""How far to trust a map: the random-order baseline of the deletion/insertion curves, verdicts
worded from the curves' numbers, and the scrambled-weights sanity check (Adebayo et al. 2018)
against Quantus's model-parameter randomisation test."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from convlens.analyze.attribution import (
    ATTRIBUTIONS,
    DeletionInsertion,
    deletion_insertion,
    randomisable_layers,
    randomisation_check,
    rank_correlation,
    structural_similarity,
)
from convlens.core import UserInputError
from convlens.testing import ModelSnapshot, TinyConvNet, has_no_hooks, probe_images
from convlens.views._attribution_text import check_text, sanity_text


class SmallCNN(nn.Module):
    """3×16×16 -> three convs -> pool -> fc(4): enough layers to scramble one by one."""

    def __init__(self) -> None:
        super().__init__()
        g = torch.Generator().manual_seed(3)
        self.conv1 = nn.Conv2d(3, 6, 3, padding=1)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(6, 6, 3, padding=1)
        self.relu2 = nn.ReLU()
        self.conv3 = nn.Conv2d(6, 6, 3, padding=1)
        self.relu3 = nn.ReLU()
        self.pool = nn.AdaptiveAvgPool2d(2)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(24, 4)
        with torch.no_grad():
            for p in self.parameters():
                p.copy_(torch.randn(p.shape, generator=g) * 0.4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu1(self.conv1(x))
        x = self.relu2(self.conv2(x))
        x = self.relu3(self.conv3(x))
        return self.fc(self.flatten(self.pool(x)))


def _picture(seed: int = 0) -> torch.Tensor:
    return torch.rand(1, 3, 16, 16, generator=torch.Generator().manual_seed(seed))


# -- the random-order baseline ----------------------------------------------------------------


def test_random_baseline_shares_the_ends_and_is_seeded() -> None:
    model, x = TinyConvNet(), probe_images(1, seed=0)[0][:1]
    heat = np.random.default_rng(1).random((8, 8))
    state = torch.random.get_rng_state()
    a = deletion_insertion(model, x, heat, 0, steps=8, random_orders=3, seed=5)
    b = deletion_insertion(model, x, heat, 0, steps=8, random_orders=3, seed=5)
    c = deletion_insertion(model, x, heat, 0, steps=8, random_orders=3, seed=6)
    assert torch.equal(state, torch.random.get_rng_state())  # no global seed touched
    assert a.random_deletion_curve is not None and a.random_insertion_curve is not None
    np.testing.assert_array_equal(a.random_deletion_curve, b.random_deletion_curve)
    assert not np.allclose(a.random_deletion_curve, c.random_deletion_curve)
    # both ends are the whole picture and the blank one, whatever the order
    assert a.random_deletion_curve[0] == a.deletion_curve[0] == a.insertion_curve[-1]
    assert a.random_insertion_curve[0] == a.insertion_curve[0] == a.deletion_curve[-1]
    plain = deletion_insertion(model, x, heat, 0, steps=8)
    np.testing.assert_allclose(plain.deletion_curve, a.deletion_curve, atol=1e-6)
    assert plain.random_deletion_curve is None and plain.random_deletion is None


def test_random_baseline_is_the_mean_of_single_random_orders() -> None:
    model, x = TinyConvNet(), probe_images(1, seed=0)[0][:1]
    rng = np.random.default_rng(9)
    orders = [rng.permutation(64) for _ in range(2)]
    singles = []
    for order in orders:  # a map whose ranking is that order gives that order's curve
        heat = np.empty(64)
        heat[order] = np.arange(64, 0, -1)
        singles.append(deletion_insertion(model, x, heat.reshape(8, 8), 1, steps=4))
    mixed = deletion_insertion(model, x, np.zeros((8, 8)), 1, steps=4, random_orders=2, seed=9)
    expect = np.mean([s.deletion_curve for s in singles], axis=0)
    np.testing.assert_allclose(mixed.random_deletion_curve, expect, atol=1e-6)


def test_bad_random_orders_are_refused() -> None:
    with pytest.raises(UserInputError, match="random_orders"):
        deletion_insertion(
            TinyConvNet(), probe_images(1)[0][:1], np.zeros((8, 8)), 0, random_orders=-1
        )


# -- verdicts worded from the numbers ---------------------------------------------------------


def _di(dele: list[float], ins: list[float], rdel: list[float], rins: list[float]) -> Any:
    area = lambda c: float(np.trapezoid(c, dx=1 / (len(c) - 1)))  # noqa: E731
    return DeletionInsertion(
        deletion=area(dele),
        insertion=area(ins),
        deletion_curve=np.array(dele),
        insertion_curve=np.array(ins),
        random_deletion_curve=np.array(rdel),
        random_insertion_curve=np.array(rins),
    )


def _pcts(text: str) -> list[int]:
    return [int(v) for v in re.findall(r"(\d+)%", text)]


def test_a_map_that_beats_random_is_called_good_with_its_numbers() -> None:
    di = _di(
        [0.78, 0.48, 0.2, 0.1, 0.05, 0.02],
        [0.02, 0.5, 0.7, 0.75, 0.77, 0.78],
        [0.78, 0.7, 0.6, 0.4, 0.2, 0.02],
        [0.02, 0.05, 0.1, 0.3, 0.6, 0.78],
    )
    verdict, text = check_text("cat", di)
    assert verdict == "good" and "points at what matters" in text
    assert "drops cat from 78% to 48%" in text
    assert _pcts(text)[:6] == [20, 78, 48, 20, 70, 20]  # top 20% (5 steps): map, random
    assert "does not hurt" not in text


def test_a_map_no_better_than_random_is_called_poor() -> None:
    curve = [0.9, 0.85, 0.8, 0.5, 0.2, 0.05]
    back = [0.05, 0.1, 0.2, 0.5, 0.8, 0.9]
    verdict, text = check_text("dog", _di(curve, back, curve, back))
    assert verdict == "poor" and "no better than random" in text


def test_a_large_fall_is_never_called_small() -> None:
    """The old wording said "does not hurt the answer much" whenever the deletion area was not
    below the insertion area, even when hiding the top pixels made the answer fall a lot."""
    di = _di(
        [0.9, 0.3, 0.2, 0.1, 0.1, 0.1],
        [0.1, 0.1, 0.12, 0.15, 0.2, 0.9],
        [0.9, 0.85, 0.8, 0.7, 0.5, 0.1],
        [0.1, 0.2, 0.3, 0.4, 0.6, 0.9],
    )
    verdict, text = check_text("bird", di)
    assert verdict == "mixed" and "from 90% to 30%" in text and "needs" in text


def test_an_answer_that_does_not_move_is_not_said_to_drop() -> None:
    same = _di([0.44, 0.443, 0.2], [0.02, 0.1, 0.44], [0.44, 0.5, 0.02], [0.02, 0.05, 0.44])
    assert "leaves owl at 44%;" in check_text("owl", same)[1]
    up = _di([0.44, 0.6, 0.2], [0.02, 0.1, 0.44], [0.44, 0.5, 0.02], [0.02, 0.05, 0.44])
    assert "raises owl from 44% to 60%" in check_text("owl", up)[1]


def _line(a: float, b: float, n: int = 11) -> list[float]:
    return [float(v) for v in np.linspace(a, b, n)]


_FALL, _RISE = _line(0.8, 0.02), _line(0.02, 0.8)  # what random pixels do, 10 steps
_SHARP_FALL = [0.8, 0.4, 0.2, 0.1, 0.05, 0.03] + [0.02] * 5
_SHARP_RISE = [0.02, 0.5, 0.7, 0.75, 0.78] + [0.8] * 6


def test_whole_curves_and_top_ten_percent_agree_good() -> None:
    verdict, text = check_text("cat", _di(_SHARP_FALL, _SHARP_RISE, _FALL, _RISE))
    assert verdict == "good" and "points at what matters" in text
    assert _pcts(text)[:7] == [10, 80, 40, 10, 72, 10, 50]


def test_whole_curves_good_but_top_ten_percent_worse_than_random_says_so() -> None:
    """The review's case: hiding a random 10 % hurt more than hiding the map's top 10 %, and the
    old whole-curve sentence still said the map "points at what matters"."""
    late_fall = [0.8, 0.75] + _SHARP_FALL[2:]
    late_rise = [0.02, 0.04] + _SHARP_RISE[2:]
    rdel, rins = [0.8, 0.6, *_line(0.55, 0.02, 9)], [0.02, 0.2, *_line(0.25, 0.8, 9)]
    verdict, text = check_text("cat", _di(late_fall, late_rise, rdel, rins))
    assert verdict == "mixed" and "points at what matters" not in text
    assert "from 80% to 75%; hiding 10% at random gives 60%" in text
    assert "top 10% matters less than a random 10%" in text
    assert "broad areas, not its brightest spot" in text
    # only the hiding numbers disagree: the sentence names that one
    _, text = check_text("cat", _di(late_fall, _SHARP_RISE, rdel, _RISE))
    assert "hiding its top 10% hurts the answer less than hiding a random 10%" in text


def test_whole_curves_poor_but_top_ten_percent_better_than_random_says_so() -> None:
    dele = [0.8, 0.4, 0.78, 0.75, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.02]
    ins = [0.02, 0.5, 0.05, 0.06, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8]
    verdict, text = check_text("cat", _di(dele, ins, _FALL, _RISE))
    assert verdict == "mixed" and "no better than random" in text
    assert "top 10% counts more than a random 10%" in text
    assert "brightest spot, not its broad areas" in text and "care" not in text


def test_whole_curves_and_top_ten_percent_agree_poor() -> None:
    verdict, text = check_text("cat", _di(_FALL, _RISE, _FALL, _RISE))
    assert verdict == "poor" and "no better than random" in text and "care" in text
    assert "brightest" not in text and "points at" not in text


def test_a_one_sided_whole_curve_names_the_top_ten_percent_when_it_differs() -> None:
    # hiding beats random over the whole curve, showing does not, except at the top 10 %
    ins = [0.02, 0.3, *_line(0.1, 0.8, 9)]
    verdict, text = check_text("cat", _di(_SHARP_FALL, ins, _FALL, _RISE))
    assert verdict == "mixed" and "the answer needs the pixels it marks" in text
    assert "no faster than random ones, except for its top 10%" in text
    # hiding beats random over the whole curve, but its top 10 % leaves the answer where random
    # pixels do: the sentence says "not at the top 10%" (the demo's weak teddy-bear answer)
    flat_top = [0.8, 0.72, *_SHARP_FALL[2:]]
    verdict, text = check_text("cat", _di(flat_top, _RISE, _FALL, _RISE))
    assert verdict == "mixed" and "from 80% to 72%; hiding 10% at random gives 72%" in text
    assert "hurts more than hiding random ones, though not at the top 10%." in text


def test_the_verdict_never_contradicts_the_numbers_beside_it() -> None:
    """On many random curve sets, a sentence about the map beating (or losing to) random
    pixels never stands beside 10 % numbers that say the opposite."""
    rng = np.random.default_rng(5)
    seen = set()
    for _ in range(400):
        p = 0.8
        dele, rdel = ([p, *sorted(rng.uniform(0, p, 10), reverse=True)] for _ in range(2))
        ins, rins = ([0.02, *sorted(rng.uniform(0, p, 10))] for _ in range(2))
        verdict, text = check_text("cat", _di(dele, ins, rdel, rins))
        seen.add(verdict)
        top_del, top_ins = rdel[1] - dele[1], ins[1] - rins[1]
        if "points at what matters" in text:
            assert top_del >= -0.04 and top_ins >= -0.04 and max(top_del, top_ins) > 0.04
        if "very top 10% matters less" in text:
            assert top_del < 0 and top_ins < 0
        if "counts more than a random" in text:
            assert min(top_del, top_ins) >= -0.04
        if "hurts more than hiding random ones." in text:  # said with no "though"
            assert top_del > 0.04
        if "brings the answer back faster than random ones." in text:
            assert top_ins > 0.04
    assert seen == {"good", "mixed", "poor"}


def test_no_verdict_below_five_percent() -> None:
    di = _di([0.04, 0.02, 0.01], [0.01, 0.02, 0.04], [0.04, 0.03, 0.01], [0.01, 0.02, 0.04])
    verdict, text = check_text("cow", di)
    assert verdict == "none" and "only 4%" in text and "no verdict" in text
    assert "points at" not in text and "care" not in text
    _, tiny = check_text("cow", _di([0.001, 0.0, 0.0], [0.0, 0.0, 0.001], [0.001] * 3, [0.0] * 3))
    assert "under 1%" in tiny and "0%" not in tiny


# -- similarity measures ----------------------------------------------------------------------


def test_structural_similarity_equals_scikit_image() -> None:
    from skimage.metrics import structural_similarity as skimage_ssim

    rng = np.random.default_rng(0)
    a = rng.random((20, 24))
    b = a + rng.normal(0, 0.3, a.shape)
    unit = lambda m: (m - m.min()) / np.ptp(m)  # noqa: E731
    expect = skimage_ssim(unit(a), unit(b), data_range=1.0)
    assert structural_similarity(a, b) == pytest.approx(expect, abs=1e-9)
    assert structural_similarity(a, a) == pytest.approx(1.0)


def test_rank_correlation_of_constant_maps_is_zero() -> None:
    a = np.arange(16.0).reshape(4, 4)
    assert rank_correlation(a, a) == pytest.approx(1.0)
    assert rank_correlation(a, -a) == pytest.approx(-1.0)
    assert rank_correlation(a, np.zeros((4, 4))) == 0.0


# -- the sanity check against Quantus ---------------------------------------------------------


def test_randomisable_layers_run_from_the_output_down() -> None:
    assert randomisable_layers(SmallCNN()) == ["fc", "conv3", "conv2", "conv1"]


@pytest.mark.parametrize("method", ["saliency", "integrated_gradients"])
def test_scores_equal_quantus_model_parameter_randomisation(method: str) -> None:
    quantus = pytest.importorskip("quantus")
    model, x, target = SmallCNN(), _picture(), 2
    mine = randomisation_check(model, x, target, method, steps=2, seed=42)
    assert mine.layers == ["fc", "conv3", "conv1"] and mine.counts == [1, 2, 4]
    original = ATTRIBUTIONS.get(method)(model).attribute(x, target)

    def explain(model: nn.Module, inputs: np.ndarray, targets: np.ndarray, **_: Any) -> np.ndarray:
        est = ATTRIBUTIONS.get(method)(model)
        maps = [
            est.attribute(torch.from_numpy(xi[None]), int(t))
            for xi, t in zip(inputs, targets, strict=True)
        ]
        return np.stack(maps)[:, None]

    metric = quantus.MPRT(
        layer_order="top_down", seed=42, abs=False, normalise=False, disable_warnings=True
    )
    scores = metric(
        model=model,
        x_batch=x.numpy(),
        y_batch=np.array([target]),
        a_batch=original[None, None],
        explain_func=explain,
        device="cpu",
    )
    theirs = {k: v[0] for k, v in scores.items() if k != "original"}
    assert list(theirs) == ["fc", "conv3", "conv2", "conv1"]
    expect = [theirs["fc"], theirs["conv3"], theirs["conv1"]]
    np.testing.assert_allclose(mine.spearman, expect, atol=1e-6)
    assert mine.spearman[-1] < 0.9  # scrambling every layer changes a real gradient map


def test_the_sanity_check_leaves_the_model_and_the_random_state_alone() -> None:
    model, x = TinyConvNet(), probe_images(1, seed=0)[0][:1]
    snap = ModelSnapshot(model)
    state = torch.random.get_rng_state()
    check = randomisation_check(model, x, 0, "gradcam", layer="conv", steps=1)
    snap.assert_unchanged()
    assert has_no_hooks(model)
    assert torch.equal(state, torch.random.get_rng_state())
    assert len(check.maps) == len(check.spearman) == len(check.ssim) == 2
    assert check.counts == [1, 2] and check.layers == ["fc", "conv"]


def test_a_map_that_ignores_the_weights_fails_the_sanity_check() -> None:
    """An edge detector on the picture alone stays the same when the weights are scrambled."""
    _, fails = sanity_text(["fc", "conv"], [1, 2], np.array([0.99, 0.97]))
    verdict, passes = sanity_text(["fc", "conv"], [1, 2], np.array([0.1, 0.02]))
    assert "does not explain this model" in fails and "0.97" in fails
    assert verdict == "passes" and "good sign" in passes and "0.10" in passes
    verdict, flipped = sanity_text(["fc", "conv"], [1, 2], np.array([-0.1, -0.9]))
    assert verdict == "fails" and "-0.90" in flipped  # hot and cold swapped is no change
    with pytest.raises(UserInputError, match="steps"):
        randomisation_check(TinyConvNet(), probe_images(1)[0][:1], 0, "saliency", steps=0)


def test_the_verdicts_read_at_grade_9_or_below() -> None:
    textstat = pytest.importorskip("textstat")
    good = _di([0.78, 0.48, 0.2], [0.02, 0.5, 0.78], [0.78, 0.7, 0.02], [0.02, 0.05, 0.78])
    flat = _di([0.9, 0.5, 0.05], [0.05, 0.5, 0.9], [0.9, 0.5, 0.05], [0.05, 0.5, 0.9])
    texts = [check_text("cat", good)[1], check_text("cat", flat)[1]]
    texts += [check_text("cow", _di([0.04, 0.0, 0.0], [0.0, 0.0, 0.04], [0.0] * 3, [0.0] * 3))[1]]
    texts += [
        check_text("bird", _di([0.9, 0.3, 0.1], [0.1, 0.1, 0.9], [0.9, 0.8, 0.1], [0.1, 0.3, 0.9]))[
            1
        ]
    ]
    texts += [
        check_text("bird", _di([0.9, 0.8, 0.1], [0.1, 0.7, 0.9], [0.9, 0.8, 0.1], [0.1, 0.3, 0.9]))[
            1
        ]
    ]
    texts += [
        check_text("cat", _di(_SHARP_FALL, _SHARP_RISE, _FALL, _RISE))[1],
        check_text(
            "cat", _di([0.8, 0.75] + _SHARP_FALL[2:], _SHARP_RISE, [0.8, 0.6] + _FALL[2:], _RISE)
        )[1],
        check_text("cat", _di([0.8, 0.4, *_line(0.78, 0.02, 9)], _RISE, _FALL, _RISE))[1],
        check_text("cat", _di(_SHARP_FALL, [0.02, 0.3, *_line(0.1, 0.8, 9)], _FALL, _RISE))[1],
    ]
    for rho in ([0.1, 0.0], [0.9, 0.8], [0.7, 0.2]):
        texts.append(sanity_text(["fc", "conv"], [1, 2], np.array(rho))[1])
    hard = [(textstat.flesch_kincaid_grade(t), t) for t in texts]
    assert all(g <= 9 for g, _ in hard), [h for h in hard if h[0] > 9]
    assert not any(re.search(r"\de[-+]?\d", t) for t in texts)  # no scientific notation


# -- the view: honest uploads, the map kept for the checks ------------------------------------


def test_the_view_tells_an_upload_which_kinds_the_network_knows(fixture_run) -> None:
    import io

    from PIL import Image

    from convlens import views
    from convlens.views._explorer import known_kinds_sentence

    insp = views.Inspector(fixture_run.parent)
    run = insp.run(fixture_run.name)
    buf = io.BytesIO()
    Image.fromarray(np.full((20, 20), 128, np.uint8)).save(buf, format="PNG")
    up = insp.add_upload(buf.getvalue())
    got = views.attributions(insp, run, epoch=None, image=f"upload:{up.id}", method="saliency")
    assert known_kinds_sentence(run.classes) in got["explanation"]
    weak = max(got["probabilities"]) < 0.5
    assert ("weak answer" in got["explanation"]) == weak
    assert got["clip_percentile"] == 99.0 and "stretched" in got["explanation"]
    probe = views.attributions(insp, run, epoch=None, image="probe:0", method="gradcam")
    assert "knows only" not in probe["explanation"] and probe["clip_percentile"] is None
    assert probe["heat_max"] == pytest.approx(float(probe["signed"].max()), rel=1e-5)


def test_the_checks_score_the_map_the_page_shows(fixture_run, monkeypatch) -> None:
    from convlens import views
    from convlens.analyze.attribution import _methods

    insp = views.Inspector(fixture_run.parent)
    run = insp.run(fixture_run.name)
    shown = views.attributions(insp, run, epoch=None, image="probe:1", method="occlusion")
    calls = []
    real = _methods.Occlusion._attribute
    monkeypatch.setattr(
        _methods.Occlusion, "_attribute", lambda self, *a: calls.append(1) or real(self, *a)
    )
    check = views.attribution_check(insp, run, epoch=None, image="probe:1", method="occlusion")
    assert calls == []  # the map is not computed again
    direct = deletion_insertion(
        insp.loaded_model(run).module,
        insp.tensor(run, "probe:1")[0],
        shown["heatmap"],
        shown["target"],
        steps=len(check["fractions"]) - 1,
    )
    np.testing.assert_allclose(check["deletion_curve"], direct.deletion_curve, atol=1e-6)
    sanity = views.attribution_sanity(insp, run, epoch=None, image="probe:1", method="occlusion")
    assert calls and [s["count"] for s in sanity["steps"]] == [1, 2]
    assert sanity["verdict"] in ("passes", "fails") and sanity["explanation"]


def test_flat_curves_of_a_weak_answer_get_no_verdict() -> None:
    """The demo's teddy-bear at 12 % (ten classes, chance 10 %): every curve stays within two
    points, and a 0.015 gap in area is not evidence that the map is right."""
    dele = [0.12, 0.12, 0.118, 0.117, 0.115, 0.11]
    ins = [0.10, 0.105, 0.11, 0.112, 0.115, 0.12]
    rdel = [0.12, 0.125, 0.13, 0.13, 0.128, 0.11]
    rins = [0.10, 0.11, 0.12, 0.125, 0.126, 0.12]
    verdict, text = check_text("teddy-bear", _di(dele, ins, rdel, rins))
    assert verdict == "none"
    assert "between 10% and 13%" in text and "too flat" in text
    assert "needs the pixels" not in text and "points at" not in text
    # the same shapes stretched to a real range do get a verdict
    stretch = lambda c: [0.1 + 6 * (v - 0.1) for v in c]  # noqa: E731
    verdict, _ = check_text("teddy-bear", _di(*map(stretch, (dele, ins, rdel, rins))))
    assert verdict != "none"
