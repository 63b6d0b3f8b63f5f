"""The story's pair mixing kept sparse (``PairMixing``) gives the answers the whole ``[C, C]``
matrix gave: the same events (before and after values included), the same most tangled pair at
every epoch, so the same verdicts; and a 1,000-class story file stays small (linear in C)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
from safetensors.numpy import save

from convlens.analyze.story import (
    Event,
    LayerStory,
    PairMixing,
    RunStory,
    class_separation,
    dense_pairs,
    layer_events,
    layer_story,
)
from convlens.analyze.story._events import SEPARATED, TANGLED, UNTANGLED
from convlens.analyze.story._mixing import FLOOR, PAIRS_PER_CLASS
from convlens.pipelines._story import layer_arrays
from convlens.views._story import STILL_OVERLAP, still_tangled
from test_story import NAMES, constructed

# -- the dense computation as it was (STORY_VERSION 1), kept here as the reference -------------


def dense_layer_events(
    purity: np.ndarray,
    mixing: np.ndarray,
    epochs: Sequence[int],
    class_names: Sequence[str],
    layer: str,
) -> list[Event]:
    P = np.nan_to_num(np.asarray(purity, np.float64), nan=0.0)
    M = np.asarray(mixing, np.float64)
    out: list[Event] = []
    C = P.shape[1]
    worst_mix = np.zeros((C, C))
    for i in range(len(epochs)):
        e = int(epochs[i])
        if i:
            for c in range(C):
                if P[i - 1, c] < SEPARATED <= P[i, c]:
                    other = int(np.argmax(M[i - 1, c]))
                    apart = f" from {class_names[other]}" if M[i - 1, c, other] > 0 else ""
                    out.append(
                        Event(
                            e,
                            "separates",
                            layer,
                            (class_names[c],)
                            if not apart
                            else (class_names[c], class_names[other]),
                            float(P[i - 1, c]),
                            float(P[i, c]),
                            f"epoch {e}: {class_names[c]} separates{apart} in {layer}",
                        )
                    )
            for a in range(C):
                for b in range(a + 1, C):
                    was = worst_mix[a, b]
                    if was >= TANGLED and M[i - 1, a, b] >= UNTANGLED > M[i, a, b]:
                        out.append(
                            Event(
                                e,
                                "untangles",
                                layer,
                                (class_names[a], class_names[b]),
                                float(M[i - 1, a, b]),
                                float(M[i, a, b]),
                                f"epoch {e}: {class_names[a]} and {class_names[b]} untangle "
                                f"in {layer}",
                            )
                        )
        worst_mix = np.maximum(worst_mix, M[i])
    return out


def dense_most_tangled(M: np.ndarray) -> tuple[int, int, float] | None:
    if M.size == 0 or float(M.max()) <= 0:
        return None
    i, j = np.unravel_index(int(np.argmax(M)), M.shape)
    return int(min(i, j)), int(max(i, j)), float(M[i, j])


def dense_still_tangled(separates: bool, M: np.ndarray, names: list[str]):  # noqa: ANN201
    """views/_story.py's verdict on the whole matrix (last epoch; ``separates``: the layer's
    purity verdict, which mixing does not change)."""
    pair = dense_most_tangled(M[-1])
    if pair is None or pair[2] < STILL_OVERLAP or not separates:
        return None
    return names[pair[0]], names[pair[1]]


def assert_same_answers(purity: np.ndarray, dense: np.ndarray, names: list[str]) -> list[Event]:
    """Events, every epoch's most tangled pair and the verdict: sparse == dense."""
    epochs = list(range(1, len(dense) + 1))
    want = dense_layer_events(purity, dense, epochs, names, "fc")
    ls = LayerStory("fc", purity, PairMixing.from_dense(dense), 10)
    assert layer_events(purity, ls.mixing, epochs, names, "fc") == want
    for e in range(len(dense)):
        assert ls.most_tangled(e) == dense_most_tangled(dense[e])
    story = RunStory(epochs, names, np.full(len(epochs), 0.5), {"fc": ls})
    assert still_tangled(story, "fc") == dense_still_tangled(ls.separates_kinds(), dense, names)
    # what a file holds: values rounded to float32, as version 1 stored the whole matrix
    m = ls.mixing
    back = PairMixing(m.n_classes, m.offsets, m.rows, m.cols, m.values.astype(np.float32) * 1.0)
    rounded = dense.astype(np.float32).astype(np.float64)
    for e in range(len(dense)):
        assert back.most_tangled(e) == dense_most_tangled(rounded[e])
    return want


def test_the_constructed_case_tells_the_same_story() -> None:
    acts, labels = constructed()
    got = [class_separation(a, labels, 4, 10) for a in acts]
    purity, dense = np.stack([g[0] for g in got]), np.stack([g[1] for g in got])
    events = assert_same_answers(purity, dense, NAMES)
    assert {e.kind for e in events} == {"separates", "untangles"}
    assert layer_story(acts, labels, 4, "fc").most_tangled() == dense_most_tangled(dense[-1])


def _drifting(rng: np.random.Generator, C: int, E: int) -> tuple[np.ndarray, np.ndarray]:
    """Classes whose centres spread and gather again, epoch to epoch (pairs tangle, untangle)."""
    n = int(rng.integers(3, 12))
    labels = np.repeat(np.arange(C), n)
    base = rng.normal(0, 1, (C, 3))
    acts = []
    for _ in range(E):
        spread = rng.uniform(0, 4, (C, 1))
        acts.append((base * spread)[labels] + rng.normal(0, 1, (len(labels), 3)))
    return np.stack(acts), labels


@pytest.mark.parametrize("seed", range(12))
def test_measured_random_runs_tell_the_same_story(seed: int) -> None:
    rng = np.random.default_rng(seed)
    C = int(rng.choice([2, 3, 5, 8, 20, 60]))
    acts, labels = _drifting(rng, C, E=6)
    k = int(rng.integers(1, 11))
    got = [class_separation(a, labels, C, k) for a in acts]
    purity, dense = np.stack([g[0] for g in got]), np.stack([g[1] for g in got])
    assert_same_answers(purity, dense, [f"c{i}" for i in range(C)])


def test_random_matrices_with_ties_and_values_on_the_thresholds_tell_the_same_story() -> None:
    """Values on a 0.01 grid (0.08, 0.1, 0.15 hit exactly, many ties, many zeros); purity on a
    0.1 grid with NaN (a class with no picture); up to 60 classes, where more pairs pass the
    floor than the cap of 8 per class keeps (and, unlike a measure's, more than 8 per class
    reach 0.08)."""
    rng = np.random.default_rng(7)
    kinds: set[str] = set()
    capped = 0
    for _ in range(300):
        C, E = int(rng.integers(2, 61)), int(rng.integers(1, 7))
        grid = rng.integers(0, 30, (E, C, C)) * (rng.random((E, C, C)) < 0.4) / 100
        dense = np.triu(grid, 1)
        dense = dense + dense.transpose(0, 2, 1)
        purity = rng.integers(0, 11, (E, C)) / 10
        purity[rng.random((E, C)) < 0.1] = np.nan
        kinds |= {e.kind for e in assert_same_answers(purity, dense, [f"c{i}" for i in range(C)])}
        capped += int((np.triu(dense, 1) >= FLOOR).sum(axis=(1, 2)).max() > PAIRS_PER_CLASS * C)
    assert kinds == {"separates", "untangles"}  # both kinds of event were compared
    assert capped > 10  # and the cap was reached


def test_a_1000_class_story_file_grows_with_the_classes_not_their_square() -> None:
    """Spread-out classes with 2 voters each: about 20,000 pairs above the floor an epoch, the
    most the measure gives; the cap keeps 8 per class, each class's partner, and the ones read."""
    sizes = {}
    for C in (250, 500, 1000):
        rng = np.random.default_rng(C)
        labels = np.repeat(np.arange(C), 2)
        acts = rng.normal(0, 1, (2, len(labels), 8))
        ls = layer_story(acts, labels, C, "fc")
        assert np.diff(ls.mixing.offsets).max() <= (PAIRS_PER_CLASS + 1 + 6.25) * C
        assert (ls.mixing.values >= FLOOR).mean() > 0.9  # not just a few pairs by luck
        sizes[C] = len(save(layer_arrays(ls)))
    per_class = [sizes[C] / C for C in sizes]
    assert max(per_class) < 1.2 * min(per_class), sizes  # linear in C
    assert sizes[1000] < 250_000, sizes  # two epochs: 8 MB dense (2 x 1000 x 1000 x float32)


def test_a_damaged_story_file_gives_a_clear_error() -> None:
    from convlens.core import RunFormatError
    from convlens.pipelines._story import _read_mixing

    arrays = layer_arrays(LayerStory("fc", np.zeros((1, 3)), np.ones((1, 3, 3)) * 0.5, 5))
    arrays["mixing_rows"] = arrays["mixing_cols"].copy()  # row == col
    with pytest.raises(RunFormatError, match="convlens video"):
        _read_mixing(arrays, 2, 1, 3)
    del arrays["mixing_values"]
    with pytest.raises(RunFormatError, match="mixing_values"):
        _read_mixing(arrays, 2, 1, 3)


def test_dense_pairs_are_the_upper_triangle_above_zero() -> None:
    M = np.array([[0, 0.5, 0], [0.5, 0, 0.25], [0, 0.25, 0]])
    rows, cols, values = dense_pairs(M)
    assert rows.tolist() == [0, 1] and cols.tolist() == [1, 2] and values.tolist() == [0.5, 0.25]
    assert np.array_equal(PairMixing.from_dense(M[None]).dense()[0], M)
