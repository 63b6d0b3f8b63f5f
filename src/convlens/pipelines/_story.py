"""The story of a run, from its stored activations, stored back in it (``story/``).

``story_run(run_dir)`` measures every recorded layer (k-NN class purity in the layer's own
space, pair mixing) over the held-out probe images, finds the events, and writes
``story/layer-<layer>.safetensors`` and ``story/accuracy.safetensors`` (format:
``convlens.store.formats``, ``STORY_VERSION``). ``run_story(run)`` is what the web's views call:
the stored story when it covers the run's epochs, else one computed in memory (nothing written).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from convlens.analyze.story import (
    Event,
    LayerStory,
    PairMixing,
    RunStory,
    class_separation,
    dense_pairs,
    neighbours_for,
    tell_story,
)
from convlens.analyze.story._mixing import FLOOR, Pairs
from convlens.core import RunFormatError
from convlens.store import Run, open_for_update
from convlens.store.formats import STORY_FORMAT, STORY_VERSION, check_story_info, need_array

NEIGHBOURS = 10
MIXING_FLOOR = FLOOR


def _key(layer: str) -> str:
    return "layer-" + re.sub(r"[^A-Za-z0-9._-]", "_", layer)


def _probe_split(run: Run) -> tuple[np.ndarray, np.ndarray]:
    """Labels of the held-out probe images, and which probe rows they are."""
    probe = run.probe()
    labels = np.asarray(probe["labels"], np.int64)
    split = probe.get("split", np.zeros(len(labels), np.int64))
    test = split == 0
    return labels[test], test


def run_accuracy(run: Run, labels: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``[E]`` test accuracy (or the probe set's, computed from the stored logits)."""
    m = run.metrics()
    if "test_accuracy" in m and np.isfinite(m["test_accuracy"]).any():
        return np.asarray(m["test_accuracy"], np.float64)
    if not (labels >= 0).any():  # unlabelled pictures: no accuracy to tell
        return np.full(len(run.epochs), np.nan)
    return np.array(
        [float((run.outputs(e)["logits"][rows].argmax(1) == labels).mean()) for e in run.epochs]
    )


Measure = tuple[np.ndarray, Pairs]
"""One layer at one epoch: per-class purity ``[C]`` and the pairs with mixing above 0 (sparse:
at most one per vote, so bounded by the measure's voters times ``k``, whatever ``C``)."""
Keep = Callable[[str, int, Callable[[], Measure]], Measure]
"""``keep(layer, epoch, make)``: a measure kept by the caller (the server's array cache, under
the epoch's activations file), else ``make()``."""


def compute_story(
    run: Run, layers: list[str] | None = None, k: int = NEIGHBOURS, *, keep: Keep | None = None
) -> RunStory:
    """Measure ``layers`` (default: every recorded one) of ``run`` and find the events. With
    ``keep``, an epoch measured before is not measured again (a live run's new epoch adds one)."""
    labels, rows = _probe_split(run)
    C = len(run.classes)
    stories = {}
    for layer in layers or run.layers:
        got = []
        for e in run.epochs:

            def make(layer: str = layer, e: int = e) -> Measure:
                acts = run.activations(e, layer)[rows].astype(np.float32)
                purity, mixing = class_separation(acts, labels, C, k)
                return purity, dense_pairs(mixing)

            got.append(keep(layer, e, make) if keep is not None else make())
        purity = np.stack([g[0] for g in got]) if got else np.zeros((0, C))
        mixing = PairMixing.from_epochs(C, [g[1] for g in got])
        stories[layer] = LayerStory(layer, purity, mixing, neighbours_for(labels, k))
    return tell_story(stories, run.epochs, run.classes, run_accuracy(run, labels, rows))


def _info(story: RunStory, layer: str | None, k: int) -> dict[str, Any]:
    return {
        "format": STORY_FORMAT,
        "version": STORY_VERSION,
        "layer": layer,
        "epochs": story.epochs,
        "classes": story.class_names,
        "k": k,
        "mixing_floor": MIXING_FLOOR,
        "events": [e.to_json() for e in story.events if e.layer == layer],
    }


def story_run(run_dir: str | Path, layers: list[str] | None = None) -> RunStory:
    """Compute the story of a run and store it in the run (``story/``); returns it."""
    run = Run.open(run_dir)
    story = compute_story(run, layers)
    writer = open_for_update(run.path)
    writer.write_arrays(
        "story/accuracy.safetensors",
        {"accuracy": np.asarray(story.accuracy, np.float32)},
        _info(story, None, NEIGHBOURS),
    )
    for name, ls in story.layers.items():
        writer.write_arrays(
            f"story/{_key(name)}.safetensors", layer_arrays(ls), _info(story, name, ls.k)
        )
    return story


def layer_arrays(ls: LayerStory) -> dict[str, np.ndarray]:
    """What a layer's story file holds (version 2): purity, and the kept pairs' mixing."""
    return {
        "purity": np.asarray(ls.purity, np.float32),
        "mixing_offsets": ls.mixing.offsets.astype(np.int64),
        "mixing_rows": ls.mixing.rows.astype(np.int32),
        "mixing_cols": ls.mixing.cols.astype(np.int32),
        "mixing_values": ls.mixing.values.astype(np.float32),
    }


def _read_mixing(arr: dict[str, np.ndarray], version: int, E: int, C: int) -> PairMixing:
    """A layer file's pair mixing: version 1 holds the whole ``[E, C, C]``, version 2 the kept
    pairs (``mixing_offsets`` ``[E + 1]``, ``mixing_rows`` / ``_cols`` / ``_values`` ``[P]``)."""
    if version == 1:
        dense = need_array(arr, "mixing", (E, C, C), what="story")
        return PairMixing.from_dense(dense.astype(np.float64))
    offsets = need_array(arr, "mixing_offsets", (E + 1,), what="story").astype(np.int64)
    P = int(offsets[-1]) if E + 1 else 0
    rows = need_array(arr, "mixing_rows", (P,), what="story").astype(np.int32)
    cols = need_array(arr, "mixing_cols", (P,), what="story").astype(np.int32)
    values = need_array(arr, "mixing_values", (P,), what="story").astype(np.float64)
    bad = (np.diff(offsets) < 0).any() or offsets[0] != 0
    bad = bad or (rows < 0).any() or (rows >= cols).any() or (cols >= C).any()
    if bad:
        raise RunFormatError(
            "the stored story's pair mixing is damaged: `convlens video RUN` measures it again"
        )
    return PairMixing(C, offsets, rows, cols, values)


def load_story(run: Run) -> RunStory | None:
    """The story stored in ``run``, or ``None`` when there is none or it misses an epoch or a
    layer (the run went on training since)."""
    got = run.arrays("story/accuracy.safetensors")
    if got is None:
        return None
    arrays, info = got
    check_story_info(info)
    if info.get("epochs") != run.epochs:
        return None
    E, C = len(run.epochs), len(run.classes)
    accuracy = need_array(arrays, "accuracy", (E,), what="story")
    events = [Event.from_json(e) for e in info.get("events", [])]
    layers: dict[str, LayerStory] = {}
    for name in run.layers:
        got = run.arrays(f"story/{_key(name)}.safetensors")
        if got is None:
            return None
        arr, li = got
        version = check_story_info(li)
        purity = need_array(arr, "purity", (E, C), what="story")
        mixing = _read_mixing(arr, version, E, C)
        layers[name] = LayerStory(name, purity.astype(np.float64), mixing, li["k"])
        events += [Event.from_json(e) for e in li.get("events", [])]
    order = {None: -1, **{name: len(layers) - i for i, name in enumerate(layers)}}
    events.sort(key=lambda ev: (ev.epoch, order.get(ev.layer, 0)))
    return RunStory(run.epochs, run.classes, accuracy.astype(np.float64), layers, events)


def run_story(run: Run | str | Path, *, keep: Keep | None = None) -> RunStory:
    """The story of a run for the web's views: stored if up to date, else computed now.

    A stored story counted with another ``k`` than the probe set allows (see
    ``neighbours_for``) is measured again. ``story.to_json()`` gives the events (timeline
    markers: ``events[i].epoch`` and ``.text``) and, per layer, ``sentence`` (whether it
    separates the kinds) for the layer's explanation.
    """
    r = run if isinstance(run, Run) else Run.open(run)
    stored = load_story(r)
    if stored is not None:
        k = neighbours_for(_probe_split(r)[0], NEIGHBOURS)
        if all(ls.k == k for ls in stored.layers.values()):
            return stored
    # none stored, or stored with more neighbours than a class has pictures (earlier versions
    # measured a 3-picture class with k = 8, so its purity could not pass 25 %): measure now
    return compute_story(r, keep=keep)
