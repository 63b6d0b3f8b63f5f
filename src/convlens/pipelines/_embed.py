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


def fewest_points(options: EmbedOptions) -> int:
    """The fewest probe pictures ``options``' method lays out: its neighbourhoods need
    ``n_neighbors + 2``; PCA is exact for any number."""
    return 1 if options.method == "pca" else options.n_neighbors + 2


def options_for(options: EmbedOptions, n_probe: int) -> EmbedOptions:
    """``options``, or exact PCA for a probe set too small for their method's neighbourhoods
    (a snapshot of a few pictures): as the timeline does, every picture is still laid out."""
    if n_probe >= fewest_points(options):
        return options
    return EmbedOptions(method="pca", seed=options.seed)


def _fallback_note(asked: EmbedOptions, n_probe: int) -> str:
    return (
        f"{asked.method} needs at least {fewest_points(asked)} pictures and this run has "
        f"{n_probe}, so PCA placed them instead"
    )


def embed_layer(run: Run, layer: str, options: EmbedOptions) -> tuple[np.ndarray, dict[str, Any]]:
    """Fit the embedding of one layer over all completed epochs: ([E, N, 2], info).

    A probe set too small for ``options``' method is embedded with exact PCA
    (:func:`options_for`); ``info["method"]`` then says ``"pca"``, ``info["asked"]`` the
    method asked for and ``info["note"]`` why."""
    run.check_layer(layer)
    X = run.activation_series(layer).astype(np.float32)
    asked, options = options, options_for(options, X.shape[1])
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
    if options is not asked:
        info.update(asked=asked.method, note=_fallback_note(asked, X.shape[1]))
    return Y, info


def embedding_path(layer: str) -> str:
    """``embeddings/<layer>.safetensors`` inside the run (as the store names it)."""
    return f"embeddings/{re.sub(r'[^A-Za-z0-9._-]', '_', layer)}.safetensors"


def is_current(run: Run, layer: str, options: EmbedOptions) -> bool:
    """Whether the stored embedding of ``layer`` covers every epoch with the same method (the
    method ``options`` give for this run's probe set: PCA where it is too small).

    An embedding the manifest does not list, or lists with another sha256 (a command killed
    between writing the file and updating the manifest), is not current: it is made again.
    """
    if not run.intact(embedding_path(layer)):
        return False
    got = run.embedding(layer)
    if got is None:
        return False
    emb, info = got
    options = options_for(options, emb.shape[1] if emb.ndim == 3 else 0)
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
