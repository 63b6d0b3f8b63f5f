"""The story of a run for the web: events for the timeline's slider, a sentence per layer."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from convlens.analyze.story import RunStory
from convlens.core import UnavailableError
from convlens.pipelines import RunCatalogue, run_story
from convlens.store import Run

from ._arraycache import epoch_file
from ._common import finite
from ._timeline import array_cache


def story(catalogue: RunCatalogue, run: Run) -> dict[str, Any]:
    """What the run's data shows happened: its events (a class separates, a pair untangles,
    accuracy jumps or stalls), and per layer whether it keeps the kinds apart and which pair
    it mixes most (the stored story when up to date, else one measured now)."""
    if not run.epochs:
        raise UnavailableError(f"run {run.run_id} has no completed epoch yet: wait for one")
    if not run.layers:
        raise UnavailableError(f"run {run.run_id} recorded no layer, so it has no story")
    labels = catalogue.probe(run)["labels"]
    if not (labels >= 0).any():  # a flat folder of pictures: no kinds to measure apart
        return _unlabelled(run)
    told = _told(catalogue, run)
    layers = []
    for name, ls in told.layers.items():
        pair = still_tangled(told, name)
        layers.append(
            {
                "layer": name,
                "separates_kinds": ls.separates_kinds(),
                "mean_purity": finite(ls.mean_purity),
                "sentence": told.layer_sentence(name),
                "tangled": list(pair) if pair else None,
            }
        )
    return {
        "run": run.run_id,
        "epochs": told.epochs,
        "classes": told.class_names,
        "events": [
            {
                "epoch": e.epoch,
                "kind": e.kind,
                "layer": e.layer,
                "classes": list(e.classes),
                "text": e.text,
            }
            for e in told.events
        ],
        "layers": layers,
    }


_TOLD: OrderedDict[tuple[str, tuple[int, ...], tuple[str, ...]], RunStory] = OrderedDict()
_TOLD_LOCK = threading.Lock()


STILL_OVERLAP = 0.1  # pair mixing from which a layer's verdict says two kinds "still overlap"


def still_tangled(story: RunStory, layer: str) -> tuple[str, str] | None:
    """The two kinds ``layer`` mixes most at the last epoch, by the story's own measure, when the
    layer's verdict names them (it separates the kinds, and the two still overlap), else None."""
    ls = story.layers.get(layer)
    pair = ls.most_tangled() if ls is not None else None
    if ls is None or pair is None or pair[2] < STILL_OVERLAP or not ls.separates_kinds():
        return None
    return story.class_names[pair[0]], story.class_names[pair[1]]


def _told(catalogue: RunCatalogue, run: Run) -> RunStory:
    """The run's story, told once per set of epochs; each epoch's measure is kept in the
    server's array cache under that epoch's activations file, so a live run's new epoch
    measures that epoch only."""
    key = (str(run.path.resolve()), tuple(run.epochs), tuple(run.layers))
    with _TOLD_LOCK:
        if key in _TOLD:
            _TOLD.move_to_end(key)
            return _TOLD[key]
    cache = array_cache(catalogue)

    def keep(layer: str, epoch: int, make: Callable[[], Any]) -> Any:
        rel = epoch_file(run, epoch, "activations.safetensors")
        return cache.of_file(run, rel, f"story:{layer}", make)

    told = run_story(run, keep=keep)
    with _TOLD_LOCK:
        _TOLD[key] = told
        while len(_TOLD) > 16:
            _TOLD.popitem(last=False)
    return told


def _unlabelled(run: Run) -> dict[str, Any]:
    return {
        "run": run.run_id,
        "epochs": run.epochs,
        "classes": run.classes,
        "events": [],
        "layers": [
            {
                "layer": name,
                "separates_kinds": False,
                "mean_purity": [None] * len(run.epochs),
                "sentence": (
                    f"The probe pictures have no labels, so ConvLens cannot tell whether {name} "
                    "keeps the kinds apart."
                ),
                "tangled": None,
            }
            for name in run.layers
        ],
    }
