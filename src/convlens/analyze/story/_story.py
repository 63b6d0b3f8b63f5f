"""``LayerStory`` and ``RunStory``: the measures of a run, its events, and their sentences."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ._events import SEPARATED, Event, accuracy_events, layer_events
from ._mixing import PairMixing, dense_pairs
from ._separation import MIN_NEIGHBOURS, class_separation, neighbours_for

KINDS_APART = 0.5  # mean purity from which a layer counts as separating the kinds


@dataclass(frozen=True)
class LayerStory:
    """How the classes sit in one layer's space, epoch by epoch.

    Attributes:
        layer: The layer's name.
        purity: ``[E, C]`` share of a picture's nearest neighbours of its own class.
        mixing: How tangled each pair of classes is (0..1), per epoch, kept sparse (the pairs
            that matter: see ``PairMixing``). A whole ``[E, C, C]`` array given here is made
            sparse.
        k: Neighbours counted (0: a class had too few pictures to measure anything).
    """

    layer: str
    purity: np.ndarray
    mixing: PairMixing
    k: int

    def __post_init__(self) -> None:
        if not isinstance(self.mixing, PairMixing):
            object.__setattr__(self, "mixing", PairMixing.from_dense(np.asarray(self.mixing)))

    @property
    def mean_purity(self) -> np.ndarray:
        """``[E]`` purity averaged over the classes present."""
        present = np.isfinite(self.purity)
        total = np.where(present, self.purity, 0.0).sum(axis=1)
        count = present.sum(axis=1)
        return np.divide(total, count, out=np.full(len(total), np.nan), where=count > 0)

    @property
    def measurable(self) -> bool:
        """Whether every class had pictures enough to measure purity (``k`` of at least 1)."""
        return self.k >= MIN_NEIGHBOURS

    def separates_kinds(self, epoch_index: int = -1) -> bool:
        """Whether this layer, at that epoch (default: the last), keeps the kinds apart."""
        return bool(self.mean_purity[epoch_index] >= KINDS_APART)

    def most_tangled(self, epoch_index: int = -1) -> tuple[int, int, float] | None:
        """The most tangled pair ``(i, j, mixing)`` at that epoch, or ``None``."""
        return self.mixing.most_tangled(epoch_index)


@dataclass(frozen=True)
class RunStory:
    """The story of a run: the layers' measures, accuracy, and the events found in them."""

    epochs: list[int]
    class_names: list[str]
    accuracy: np.ndarray
    layers: dict[str, LayerStory]
    events: list[Event] = field(default_factory=list)

    def events_at(self, epoch: int) -> list[Event]:
        """The events of one epoch, accuracy first, then by layer."""
        return [e for e in self.events if e.epoch == epoch]

    def headline(self, epoch: int, max_events: int = 2) -> str:
        """At most ``max_events`` events of ``epoch`` as one short sentence ("" if none)."""
        parts = []
        for ev in self.events_at(epoch)[:max_events]:
            parts.append(ev.text.split(": ", 1)[-1])
        if not parts:
            return ""
        text = "; ".join(parts)
        return text[0].upper() + text[1:] + "."

    def layer_sentence(self, layer: str, name: str | None = None) -> str:
        """Whether ``layer`` separates the kinds at the last epoch, in plain words.

        Args:
            layer: The layer.
            name: How to call it (default: its name).
        """
        ls = self.layers[layer]
        who = name or layer
        chance = 1 / max(len(self.class_names), 1)
        p = float(ls.mean_purity[-1])
        if not ls.measurable:
            return (
                f"ConvLens cannot tell whether {who} keeps the kinds apart: there are too few "
                f"probe pictures. It needs at least {MIN_NEIGHBOURS + 1} pictures of each kind."
            )
        if not np.isfinite(p):  # no labelled picture (a flat folder): nothing to measure
            return (
                f"The probe pictures have no labels, so ConvLens cannot tell whether {who} "
                "keeps the kinds apart."
            )
        near = f"{round(100 * p)}% of a picture's nearest neighbours here are of its own kind"
        base = f"(by chance: {round(100 * chance)}%)"
        if not ls.separates_kinds():
            return (
                f"{who} does not separate the kinds yet: {near} {base}. It finds parts "
                "(edges, strokes) that later layers combine."
            )
        apart = [
            self.class_names[c]
            for c in range(len(self.class_names))
            if np.isfinite(ls.purity[-1, c]) and ls.purity[-1, c] >= SEPARATED
        ]
        tangled = ls.most_tangled()
        mixed = ""
        if tangled is not None and tangled[2] >= 0.1:
            mixed = (
                f" {_cap(self.class_names[tangled[0]])} and {self.class_names[tangled[1]]} still "
                "overlap here."
            )
        verb = "stand" if len(apart) > 1 else "stands"
        stand = f" {_cap(_join(apart))} {verb} apart." if apart else ""
        return f"{who} separates the kinds: {near} {base}.{stand}{mixed}"

    def to_json(self) -> dict[str, object]:
        """Plain JSON for the web: events, and per layer the mean purity and its verdict."""
        return {
            "epochs": self.epochs,
            "classes": self.class_names,
            "accuracy": [None if not np.isfinite(a) else float(a) for a in self.accuracy],
            "events": [e.to_json() for e in self.events],
            "layers": {
                name: {
                    "mean_purity": [float(v) for v in ls.mean_purity],
                    "separates_kinds": ls.separates_kinds(),
                    "sentence": self.layer_sentence(name),
                }
                for name, ls in self.layers.items()
            },
        }


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _join(names: Sequence[str]) -> str:
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def layer_story(
    activations: np.ndarray, labels: np.ndarray, n_classes: int, layer: str, k: int = 10
) -> LayerStory:
    """Measure one layer over its epochs: ``activations`` ``[E, N, D]``, ``labels`` ``[N]``."""
    A = np.asarray(activations)
    if A.ndim < 2:
        raise ValueError(f"activations of {layer} must be [E, N, D], got shape {A.shape}")
    got = [class_separation(A[e], labels, n_classes, k) for e in range(len(A))]
    purity = np.stack([g[0] for g in got]) if got else np.zeros((0, n_classes))
    mixing = PairMixing.from_epochs(n_classes, [dense_pairs(g[1]) for g in got])
    return LayerStory(layer, purity, mixing, neighbours_for(labels, k))


def tell_story(
    layers: Mapping[str, LayerStory],
    epochs: Sequence[int],
    class_names: Sequence[str],
    accuracy: np.ndarray,
) -> RunStory:
    """The events of every layer and of accuracy, in epoch order, into one ``RunStory``."""
    events = accuracy_events(epochs, accuracy)
    for name, ls in layers.items():
        events += layer_events(ls.purity, ls.mixing, epochs, class_names, name)
    order = {None: -1, **{name: len(layers) - i for i, name in enumerate(layers)}}  # deepest first
    events.sort(key=lambda ev: (ev.epoch, order.get(ev.layer, 0)))
    return RunStory(
        epochs=[int(e) for e in epochs],
        class_names=[str(c) for c in class_names],
        accuracy=np.asarray(accuracy, np.float64),
        layers=dict(layers),
        events=events,
    )
