"""Plain-language sentences about a run, written for people who do not know neural networks."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._layer_names import LayerShape, ordinal, plain_layer_names

__all__ = [
    "closing_lines",
    "epoch_sentence",
    "layer_titles",
    "most_confused_pair",
    "opening_lines",
    "ordinal",
    "story_subtitle",
    "video_title",
]


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


def layer_titles(
    layers: Sequence[str], shapes: Sequence[Sequence[int]], n_classes: int
) -> list[str]:
    """Plain panel titles: ``"2nd filter layer (conv2)"``, ``"1st combining layer (fc1)"``,
    ``"answer layer (fc2)"``: the plain names of ``_layer_names`` (the web's too), from the
    recorded shapes."""
    plain = plain_layer_names(
        [LayerShape(name, None, shape) for name, shape in zip(layers, shapes, strict=True)],
        n_classes,
    )
    return [
        f"{p.removeprefix('the ')} ({name})" if p else name
        for name, p in zip(layers, plain, strict=True)
    ]


def story_subtitle(sentence: str, headline: str) -> str:
    """The subtitle of an epoch: what the data shows happened (``headline``) when anything did,
    then what ``sentence`` adds (how often it is right, unless the headline says so; what it
    still mixes up); else the plain ``sentence``."""
    if not headline:
        return sentence
    parts = [p.strip().rstrip(".") for p in sentence.split(". ") if p.strip()]
    if "ccuracy" in headline:
        rest = [p for p in parts if p.startswith("It still mixes up")]
    else:
        rest = parts[:1]
    return " ".join([headline, *(f"{p}." for p in rest)])


def opening_lines(n_classes: int, dataset: str, titles: Sequence[str]) -> list[str]:
    """The opening card: what you will see, what a dot is."""
    where = " and ".join(titles)
    return [
        f"A small network learns to tell {n_classes} kinds of {dataset} apart. You will watch "
        f"it learn, one snapshot after each pass over the training pictures (an epoch).",
        "Each dot is one picture the network never trained on. Each panel shows one layer: "
        f"the {where}. Pictures the layer finds alike sit close together.",
        "The colour says what the picture really shows. When kinds form their own groups, the "
        "network has learned to tell them apart.",
    ]


def closing_lines(
    accuracy: float, confused: tuple[str, str, int] | None, layer_sentences: Sequence[str]
) -> list[str]:
    """The closing card: what the network learned, what it still confuses."""
    lines = [f"In the end it gets {round(100 * accuracy)}% of new pictures right."]
    lines += list(layer_sentences)
    if confused:
        lines.append(f"It still confuses {confused[0]} and {confused[1]} most often.")
    return lines
