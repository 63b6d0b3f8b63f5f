"""Embedding a run's recorded layers in 2-D and storing the result with its quality figures."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import numpy as np

from convlens.analyze import EMBEDDERS, embedding_quality, make_embedder
from convlens.core import EmbedOptions
from convlens.store import Run, open_for_update


def _accepted(method: str, **kwargs: Any) -> dict[str, Any]:
    """Keep only the keyword arguments the embedder's constructor accepts."""
    params = inspect.signature(EMBEDDERS.get(method)).parameters
    return {k: v for k, v in kwargs.items() if k in params}


def embed_layer(run: Run, layer: str, options: EmbedOptions) -> tuple[np.ndarray, dict[str, Any]]:
    """Fit the embedding of one layer over all completed epochs: ([E, N, 2], info)."""
    run.check_layer(layer)
    X = run.activation_series(layer).astype(np.float32)
    kwargs = _accepted(
        options.method,
        random_state=options.seed,
        n_neighbors=options.n_neighbors,
        min_dist=options.min_dist,
    )
    est = make_embedder(options.method, **kwargs).fit(list(X))
    Y = np.asarray(est.embedding_, dtype=np.float32)
    # the neighbourhood scores need 2k + 1 points: k = 10, less for a small probe set
    k = min(10, (X.shape[1] - 1) // 2)
    quality = embedding_quality(list(X), Y, n_neighbors=k) if k >= 1 else {}
    info = {
        "method": options.method,
        "params": est.params_,
        "quality": quality,
        "epochs": run.epochs,
    }
    return Y, info


def embedding_path(layer: str) -> str:
    """``embeddings/<layer>.safetensors`` inside the run (as the store names it)."""
    return f"embeddings/{re.sub(r'[^A-Za-z0-9._-]', '_', layer)}.safetensors"


def is_current(run: Run, layer: str, options: EmbedOptions) -> bool:
    """Whether the stored embedding of ``layer`` covers every epoch with the same method.

    An embedding the manifest does not list, or lists with another sha256 (a command killed
    between writing the file and updating the manifest), is not current: it is made again.
    """
    if not run.intact(embedding_path(layer)):
        return False
    got = run.embedding(layer)
    if got is None:
        return False
    _, info = got
    return (
        info.get("epochs") == run.epochs
        and info.get("method") == options.method
        and (info.get("params", {}).get("random_state", options.seed) == options.seed)
    )


def embed_run(
    run_dir: str | Path,
    options: EmbedOptions,
    layers: list[str] | None = None,
    *,
    force: bool = False,
) -> dict[str, dict[str, Any]]:
    """Embed ``layers`` (default: all recorded) of a run; returns layer -> info."""
    run = Run.open(run_dir)
    chosen = layers or run.layers
    for layer in chosen:
        run.check_layer(layer)
    results = {}
    for layer in chosen:
        if not force and is_current(run, layer, options):
            got = run.embedding(layer)
            if got is not None:
                results[layer] = got[1]
                continue
        Y, info = embed_layer(run, layer, options)
        open_for_update(run.path).write_embedding(layer, Y, info)
        results[layer] = info
    return results
