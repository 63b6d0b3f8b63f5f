"""The one palette: colour-blind safe (simulated), and the web's copy equals Python's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from convlens.render import class_colors
from convlens.render._colorscience import (
    ciede2000,
    min_pair_distance,
    simulate_cvd,
    srgb_to_lab,
)
from convlens.render._palette import BEGIN_MARK, END_MARK, palette_typescript

COLORS_TS = Path(__file__).resolve().parents[1] / "web" / "src" / "lib" / "colors.ts"


# Sharma, Wu & Dalal (2005), the published CIEDE2000 test pairs (a selection).
@pytest.mark.parametrize(
    "lab1, lab2, expected",
    [
        ((50, 2.6772, -79.7751), (50, 0, -82.7485), 2.0425),
        ((50, 0, 0), (50, -1, 2), 2.3669),
        ((50, 2.5, 0), (73, 25, -18), 27.1492),
        ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
        ((22.7233, 20.0904, -46.694), (23.0331, 14.973, -42.5619), 2.0373),
    ],
)
def test_ciede2000_matches_the_published_pairs(lab1, lab2, expected):
    assert float(ciede2000(np.array(lab1), np.array(lab2))) == pytest.approx(expected, abs=1e-4)


def test_simulation_collapses_red_and_green_for_dichromats():
    red_green = np.array([[180, 80, 60], [110, 120, 60]])
    assert min_pair_distance(red_green) > 30
    for kind in ("deuteranopia", "protanopia"):
        assert min_pair_distance(red_green, kind) < 12  # what the palette must avoid
    grey = np.array([[128, 128, 128]])
    assert np.allclose(simulate_cvd(grey, "deuteranopia"), grey, atol=1.5)  # greys stay grey
    with pytest.raises(ValueError):
        simulate_cvd(grey, "tetrachromacy")


@pytest.mark.parametrize("vision", [None, "deuteranopia", "protanopia"])
@pytest.mark.parametrize("n", [2, 4, 10])
def test_every_pair_of_classes_stays_apart_for_colour_blind_viewers(vision, n):
    assert min_pair_distance(class_colors(n), vision) >= 15


@pytest.mark.parametrize("vision", [None, "deuteranopia", "protanopia"])
def test_kinds_that_look_alike_get_clearly_different_colours(vision):
    """The demo's confusable kinds (bear, panda and teddy-bear; pigeon and seagull; ...) are the
    pairs a viewer must tell apart on the timeline: at least 30 apart, twice the floor above
    (bear and teddy-bear were two purples 16 apart)."""
    from convlens.data._sketch_kinds import CLASSES  # the demo's kinds, in class order
    from convlens.render._palette import CONFUSABLE_GROUPS

    names = list(CLASSES)
    colors = class_colors(len(names))
    for group in CONFUSABLE_GROUPS:
        picked = colors[[names.index(k) for k in group]]
        assert min_pair_distance(picked, vision) >= 30, group


def test_classes_stay_apart_from_white_for_colour_blind_viewers():
    white = srgb_to_lab(np.array([251.0, 251.0, 251.0]))
    for vision in ("deuteranopia", "protanopia"):
        lab = srgb_to_lab(simulate_cvd(class_colors(10), vision))
        assert ciede2000(lab, white).min() > 15


def test_web_colors_ts_holds_the_generated_palette():
    text = COLORS_TS.read_text(encoding="utf-8")
    start, end = text.index(BEGIN_MARK), text.index(END_MARK) + len(END_MARK)
    assert text[start:end] == palette_typescript(), (
        "web/src/lib/colors.ts is out of date: paste the output of "
        "`python -m convlens.render._palette` between its GENERATED PALETTE marks"
    )
    assert "220, 60, 60" not in text and "46, 160, 92" not in text  # no red-green right/wrong
