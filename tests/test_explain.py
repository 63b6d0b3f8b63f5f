"""Plain-language sentences generated from a run's numbers."""

from __future__ import annotations

import numpy as np

from convlens.pipelines import epoch_sentence, most_confused_pair


def test_most_confused_pair_counts_both_directions() -> None:
    names = ["bear", "panda", "car"]
    labels = np.array([0, 0, 1, 1, 2, 2])
    predicted = np.array([1, 0, 0, 1, 2, 0])  # bear<->panda twice, car->bear once
    assert most_confused_pair(labels, predicted, names) == ("bear", "panda", 2)
    assert most_confused_pair(labels, labels, names) is None


def test_sentences_follow_the_numbers() -> None:
    guessing = epoch_sentence(epoch=1, accuracy=0.11, previous=None, n_classes=10, confused=None)
    assert "guesses" in guessing and "11%" in guessing and "10%" in guessing
    better = epoch_sentence(
        epoch=3, accuracy=0.6, previous=0.4, n_classes=10, confused=("bear", "panda", 4)
    )
    assert "60%" in better and "bear and panda" in better and "better" in better
    worse = epoch_sentence(epoch=4, accuracy=0.5, previous=0.6, n_classes=10, confused=None)
    assert "slips back" in worse
    flat = epoch_sentence(epoch=5, accuracy=0.61, previous=0.6, n_classes=10, confused=None)
    assert "holds" in flat
    for s in (guessing, better, worse, flat):
        assert all(len(sentence.split()) <= 16 for sentence in s.split(". "))
