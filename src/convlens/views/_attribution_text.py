"""The words of the attribution view: what the map shows, and verdicts worded from the numbers
of the deletion/insertion curves and of the sanity check."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ._common import pct
from ._explorer import WEAK_ANSWER, known_kinds_sentence

MIN_TARGET = 0.05
"""Below this probability of the explained class the curves get no verdict."""
SAME_MAP = 0.5
"""Rank correlation at or above which a scrambled network's map counts as "much the same"."""
CHECK_FRACTION = 0.1
"""The share of pixels the verdict quotes (hidden, or shown alone)."""
FLAT = 0.05
"""Curves that all stay within this much of each other (5 points of probability) are too flat to
judge a map by: no verdict (a weak answer near chance has little room to move)."""

_METHOD_TEXT = {
    "saliency": "which pixels would change the answer most if they changed a little",
    "gradcam": "which parts of the picture the last filter layer used",
    "integrated_gradients": "how much each pixel added, going from a black picture to this one",
    "occlusion": "how much the answer drops when a small patch is covered",
}


def map_text(
    classes: Sequence[str],
    method: str,
    target: int,
    probs: np.ndarray,
    heat: np.ndarray,
    *,
    clip: float | None,
    upload: bool,
) -> str:
    """What the map shows, how sure the network is, and (uploads) which kinds it knows."""
    name = classes[target]
    what = _METHOD_TEXT.get(method, "which pixels mattered")
    s = (
        f"The warm colours show {what}, for the answer {name}. The network gives {name} "
        f"{pct(probs[target])}."
    )
    top = float(np.max(probs))
    if top < WEAK_ANSWER and int(np.argmax(probs)) == target:
        s += " That is a weak answer: the network is not sure."
    elif top < WEAK_ANSWER:
        s += (
            f" Its top answer, {classes[int(np.argmax(probs))]} at {pct(top)}, is a weak "
            "answer: the network is not sure."
        )
    s += f" About {pct(float((heat > 0.5).mean()))} of the picture is hot."
    if clip is not None:
        s += (
            f" The colours are stretched: the top {100 - clip:g}% of pixels show at full "
            "strength, so the faint parts are easy to see."
        )
    if upload:
        s += " " + known_kinds_sentence(classes)
    return s


def check_text(name: str, di: Any) -> tuple[str, str]:
    """A verdict (``good``, ``mixed``, ``poor`` or ``none``) and its sentence, from the curves
    of a :class:`~convlens.analyze.attribution.DeletionInsertion` with its random baseline."""
    dele, ins = di.deletion_curve, di.insertion_curve
    rdel, rins = di.random_deletion_curve, di.random_insertion_curve
    p = float(dele[0])
    if p < MIN_TARGET:
        given = f"only {pct(p)}" if p >= 0.005 else "under 1%"
        return "none", (
            f"The network gives {name} {given}. With so little of an answer to take "
            "away, the curves cannot test the map, so there is no verdict. Pick a class it "
            "gives at least 5%."
        )
    curves = np.concatenate([np.asarray(c, np.float64) for c in (dele, ins, rdel, rins)])
    lo, hi = float(curves.min()), float(curves.max())
    if hi - lo < FLAT:
        return "none", (
            f"Hiding or showing pixels, in any order, keeps {name} between {pct(lo)} and "
            f"{pct(hi)}. The curves are too flat to tell a good map from a poor one, so there "
            "is no verdict. This often means the answer itself is weak."
        )
    steps = len(dele) - 1
    k = max(1, round(CHECK_FRACTION * steps))
    share = pct(k / steps)
    before, after = round(100 * p), round(100 * float(dele[k]))
    if after == before:
        moved = f"leaves {name} at {pct(p)}"
    else:
        verb = "drops" if after < before else "raises"
        moved = f"{verb} {name} from {pct(p)} to {pct(dele[k])}"
    s = (
        f"Hiding the top {share} of pixels the map marks {moved}; hiding {share} at random "
        f"gives {pct(rdel[k])}. Showing only that top {share} gives {pct(ins[k])}, against "
        f"{pct(rins[k])} for random pixels."
    )
    margin = 0.05 * p  # a gain under 5 % of the answer counts as none
    whole = _compare(di.random_deletion - di.deletion, di.insertion - di.random_insertion, margin)
    top = _compare(float(rdel[k] - dele[k]), float(ins[k] - rins[k]), margin)
    verdict, words = _verdict(whole, top, share)
    return verdict, f"{s} {words}"


def _compare(gain_del: float, gain_ins: float, margin: float) -> tuple[int, int]:
    """Each curve against random: 1 the map's pixels count more, -1 less, 0 about the same."""

    def sign(g: float) -> int:
        return 1 if g > margin else -1 if g < -margin else 0

    return sign(gain_del), sign(gain_ins)


def _verdict(whole: tuple[int, int], top: tuple[int, int], share: str) -> tuple[str, str]:
    """The verdict over the whole curves, worded so that the numbers at ``share`` (said just
    before it) never contradict it: where the two disagree, the sentence says so."""
    top_beats, top_loses = max(top) > 0, min(top) < 0
    if min(whole) > 0:
        if top == (-1, -1):
            which = f"its very top {share} matters less than a random {share}"
        elif top[0] < 0:
            which = f"hiding its top {share} hurts the answer less than hiding a random {share}"
        elif top[1] < 0:
            which = f"its top {share} alone brings back less than a random {share}"
        elif not top_beats:
            which = f"its top {share} does no better than a random {share}"
        else:
            return "good", (
                f"Over the whole curves, and at the top {share}, the pixels it marks count more "
                "than random ones. The map points at what matters."
            )
        return "mixed", (
            f"Over the whole curves the map does better than random. But {which}. Trust its "
            "broad areas, not its brightest spot."
        )
    if max(whole) <= 0:
        if top_beats and not top_loses:
            return "mixed", (
                f"Its top {share} counts more than a random {share}. But over the whole curves "
                "the map does no better than random. Trust its brightest spot, not its broad "
                "areas."
            )
        return "poor", (
            "Over the whole curves, the map does no better than random pixels here. Take it "
            "with care."
        )
    # one curve beats random over its whole length, the other does not
    said = [
        "the answer needs the pixels it marks: hiding them hurts more than hiding random ones",
        "showing the pixels it marks brings the answer back faster than random ones",
    ]
    unsaid = [
        "hiding them hurts no more than hiding random ones",
        "showing them alone brings it back no faster than random ones",
    ]
    good = 0 if whole[0] > 0 else 1
    s = f"Over the whole curves, {said[good]}"
    s += f", though not at the top {share}." if top[good] <= 0 else "."
    s += f" But {unsaid[1 - good]}"
    s += f", except for its top {share}." if top[1 - good] > 0 else "."
    return "mixed", s + " Trust it in part."


def _num(v: float) -> str:
    text = f"{v:.2f}"
    return "0.00" if text == "-0.00" else text  # -0.004 reads as "0.00", not "minus zero"


def sanity_text(
    layers: Sequence[str], counts: Sequence[int], spearman: np.ndarray
) -> tuple[str, str]:
    """A verdict (``passes`` or ``fails``) and its sentence for the scrambled-weights check."""
    n = counts[-1]
    first, last = float(spearman[0]), float(spearman[-1])
    intro = (
        "We scrambled the network's weights, from the output down, and made the map again. "
        "A rank match of 1 means the same map, 0 means unrelated, and -1 the same spots with "
        "hot and cold swapped."
    )
    # the size of the match counts (Adebayo et al. plot its absolute value): a map turned
    # inside out still follows the picture, not what the network learned
    if abs(last) >= SAME_MAP:
        return "fails", (
            f"{intro} With all {n} layers scrambled, the map still matches the first one "
            f"({_num(last)}). A map that barely changes does not explain this model: it shows "
            "the picture more than what the network learned."
        )
    if abs(first) < SAME_MAP:
        return "passes", (
            f"{intro} Scrambling only the top layer ({layers[0]}) already changes the map "
            f"({_num(first)}); with all {n} layers scrambled it is {_num(last)}. The map "
            "depends on what this network learned: a good sign."
        )
    return "passes", (
        f"{intro} The map changes as more layers are scrambled: {_num(first)} after the top "
        f"layer, {_num(last)} with all {n}. It depends on what this network learned."
    )
