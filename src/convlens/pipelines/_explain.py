"""Plain-language sentences about a run, written for people who do not know neural networks."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def most_confused_pair(
    labels: np.ndarray, predicted: np.ndarray, class_names: Sequence[str]
) -> tuple[str, str, int] | None:
    """The two classes mixed up most often (either direction) and how many times."""
    n = len(class_names)
    if len(labels) == 0:
        return None
    conf = np.zeros((n, n), dtype=np.int64)
    np.add.at(conf, (labels, predicted), 1)
    both = conf + conf.T
    np.fill_diagonal(both, 0)
    i, j = np.unravel_index(int(both.argmax()), both.shape)
    if both[i, j] == 0:
        return None
    return class_names[min(i, j)], class_names[max(i, j)], int(both[i, j])


def epoch_sentence(
    *,
    epoch: int,
    accuracy: float,
    previous: float | None,
    n_classes: int,
    confused: tuple[str, str, int] | None,
    what: str = "pictures",
) -> str:
    """One sentence saying what changed at ``epoch`` (accuracy on held-out ``what``)."""
    pct = round(100 * accuracy)
    chance = 100 / max(n_classes, 1)
    mixed = f" It still mixes up {confused[0]} and {confused[1]}." if confused else ""
    if accuracy < 1.5 / max(n_classes, 1):
        return (
            f"The network still guesses: {pct}% of new {what} are right, "
            f"and chance alone gives {chance:.0f}%."
        )
    if previous is None:
        return (
            f"After one pass over the training {what}, it gets {pct}% of new ones right. "
            "Similar pictures begin to gather."
        )
    delta = accuracy - previous
    if delta > 0.03:
        return f"It gets better: {pct}% of new {what} are right now. Groups form.{mixed}"
    if delta < -0.03:
        return f"It slips back to {pct}% for a moment. Learning is not always smooth.{mixed}"
    return f"It holds at about {pct}% right. The groups grow tighter.{mixed}"


def video_title(dataset: str, n_classes: int) -> str:
    """The title line of a training video."""
    return f"How a CNN learns to tell {n_classes} kinds of {dataset} apart"
