"""Training-timeline view: the aligned embedding of a layer over all epochs, and one point."""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np

from convlens.core import EmbedOptions, NotFoundError, UnavailableError
from convlens.pipelines import RunCatalogue, embed_layer
from convlens.store import Run, open_for_update

from ._arraycache import ArrayCache, epoch_file
from ._common import finite, pct, plural, softmax, to_unit
from ._inspect import Inspector


def array_cache(catalogue: RunCatalogue) -> ArrayCache:
    """The server's cache of arrays read from runs (none kept outside an :class:`Inspector`)."""
    return catalogue.arrays if isinstance(catalogue, Inspector) else ArrayCache(0)


def _unit_coords(catalogue: RunCatalogue, run: Run, layer: str) -> tuple[np.ndarray, str]:
    """The embedding of ``layer`` over every epoch in the shared frame, and its method; read
    once while the stored embedding is unchanged (made and stored when missing or stale)."""
    cache = array_cache(catalogue)
    listed = sorted(f"{a.path}:{a.sha256}" for a in run.manifest.artifacts if "embed" in a.path)
    key = ("timeline-coords", str(run.path.resolve()), layer, str(run.epochs), *listed)
    hit: tuple[np.ndarray, str] | None = cache.peek(key)
    if hit is not None:
        return hit
    got = run.embedding(layer)
    if got is None or got[1].get("epochs") != run.epochs:
        with catalogue.writing(run):
            # the aligned embedding; embed_layer falls back to exact PCA for a probe set too
            # small for its neighbourhoods (a snapshot of a few pictures)
            coords, info = embed_layer(run, layer, EmbedOptions())
            with contextlib.suppress(OSError):  # a read-only run folder is still viewable
                open_for_update(run.path).write_embedding(layer, coords, info)
        return to_unit(np.asarray(coords, np.float32)), str(info.get("method", ""))
    return cache.get(
        key, lambda: (to_unit(np.asarray(got[0], np.float32)), str(got[1].get("method", "")))
    )


def _logits(catalogue: RunCatalogue, run: Run, epoch: int) -> np.ndarray:
    """Epoch ``epoch``'s logits [N, C], read once while its outputs file is unchanged."""
    rel = epoch_file(run, epoch, "outputs.safetensors")
    return array_cache(catalogue).of_file(run, rel, "logits", lambda: run.outputs(epoch)["logits"])


def predictions(catalogue: RunCatalogue, run: Run) -> np.ndarray:
    """Every epoch's predicted class per probe [E, N] (int32); a live run reads only the
    outputs of epochs it has not read before."""
    cache = array_cache(catalogue)

    def argmax(e: int) -> np.ndarray:
        rel = epoch_file(run, e, "outputs.safetensors")
        return cache.of_file(  # the logits are not kept for this: 4 B x classes per probe
            run, rel, "predicted", lambda: run.outputs(e)["logits"].argmax(1).astype(np.int32)
        )

    return np.stack([argmax(e) for e in run.epochs])


def _epoch_range(run: Run, start: int, stop: int | None) -> slice:
    n = len(run.epochs)
    stop = n if stop is None else min(stop, n)
    if not 0 <= start < stop:  # no such epochs (404): a range no document can rule out
        raise NotFoundError(
            f"epochs {start}..{stop} of run {run.run_id} are empty: it has epochs 0..{n - 1} "
            "by index; give start < stop"
        )
    return slice(start, stop)


def timeline(
    catalogue: RunCatalogue,
    run: Run,
    layer: str | None,
    start: int = 0,
    stop: int | None = None,
) -> dict[str, Any]:
    """Every epoch's 2-D embedding of ``layer`` (default: the last recorded), made and stored
    on first use, with labels, predictions and metrics.

    ``start``/``stop`` (indices into ``epochs``) ask for a chunk: ``coords`` and ``predicted``
    hold those epochs only; ``labels`` and ``split`` come with the chunk that starts at 0."""
    if not run.epochs:
        raise UnavailableError(f"run {run.run_id} has no completed epoch yet: wait for one")
    layer = run.check_layer(layer) if layer else run.layers[-1]
    chunk = _epoch_range(run, start, stop)
    coords, method = _unit_coords(catalogue, run, layer)
    probe = catalogue.probe(run)
    labels = probe["labels"].astype(np.int32)
    split = probe.get("split", np.zeros(len(labels))).astype(np.int32)
    predicted = predictions(catalogue, run)
    metrics = {k: finite(v) for k, v in run.metrics().items()}
    first = chunk.start == 0
    return {
        "layer": layer,
        "epochs": run.epochs,
        "n": len(labels),
        "start": chunk.start,
        "coords": coords[chunk],
        "labels": labels if first else None,
        "predicted": predicted[chunk],
        "split": split if first else None,
        "metrics": metrics,
        "method": method,
        "explanation": timeline_text(run, layer, labels, predicted, split) + few_text(len(labels)),
    }


def few_text(n: int) -> str:
    """The note for a timeline of one or two pictures: their layout is exact, not a fit."""
    if n >= 3:
        return ""
    if n == 1:
        return " There is only one picture, so its dot stays in the middle."
    return " There are only two pictures, so their dots sit on one line, one on each side."


def point(catalogue: RunCatalogue, run: Run, index: int) -> dict[str, Any]:
    """One probe image: its class and the predicted probabilities at every epoch."""
    probe = catalogue.probe(run)
    n = len(probe["labels"])
    if not 0 <= index < n:
        raise NotFoundError(f"run {run.run_id} has probe images 0..{n - 1}, not {index}")
    probs = np.stack([softmax(_logits(catalogue, run, e)[index]) for e in run.epochs])
    label = int(probe["labels"][index])
    sources = run.probe_sources()
    split = int(probe["split"][index]) if "split" in probe else 0
    return {
        "index": index,
        "label": label,
        "label_name": run.classes[label] if label >= 0 else "",
        "split": split,
        "source": sources[index] if index < len(sources) else "",
        "epochs": run.epochs,
        "probabilities": probs.astype(np.float32),
        "explanation": point_text(run, label, probs, split),
    }


def timeline_text(
    run: Run, layer: str, labels: np.ndarray, predicted: np.ndarray, split: np.ndarray
) -> str:
    opening = (
        f"Each dot is one picture. Dots sit close when layer {layer} sees the pictures as alike. "
    )
    play = "Play the epochs to watch the network learn. " if len(run.epochs) > 1 else ""
    held = (split == 0) & (labels >= 0)
    if not (labels >= 0).any():  # a probe set from a flat folder: right and wrong are unknown
        return (
            f"{opening}{play}These pictures came without labels, so nobody can say which "
            "answers are right. Colour the dots by the network's guess to see the kinds."
        )
    if not held.any():
        held = labels >= 0
    first = float((predicted[0][held] == labels[held]).mean())
    last = float((predicted[-1][held] == labels[held]).mean())
    score = (
        f"At first it gets {pct(first)} right, and at the end {pct(last)}. "
        if len(run.epochs) > 1
        else f"It gets {pct(last)} right. "
    )
    return f"{opening}{play}{score}Colour can show the true kind, the guess, or right and wrong."


def point_text(run: Run, label: int, probs: np.ndarray, split: int) -> str:
    where = "a training picture" if split == 1 else "a picture the network never learned from"
    if label < 0:  # a probe set from a flat folder of pictures has no labels
        guess = run.classes[int(probs[-1].argmax())]
        return (
            f"This is {where}, without a label. The network calls it {guess}. The coloured bands "
            "show how sure it was of each answer over time."
        )
    name = run.classes[label]
    right = int((probs.argmax(1) == label).sum())
    return (
        f"This is {where}. It shows a {name}. The network called it right in {right} of "
        f"{plural(len(probs), 'epoch')}. The coloured bands show how sure it was of each answer "
        "over time."
    )
