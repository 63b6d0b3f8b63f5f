"""Runs view: one run as the list shows it, and one run in full, with a plain summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from convlens.core import NotFoundError
from convlens.pipelines import LayerShape, RunCatalogue, plain_layer_names
from convlens.store import Run

from ._common import finite, pct, plural


def run_card(catalogue: RunCatalogue, run: Run) -> dict[str, Any]:
    """One run as the runs list shows it (``RunSummary`` in the API); never imports torch."""
    m = run.manifest
    metrics = run.metrics()
    media = _media_names(run)
    acc = metrics.get("test_accuracy")
    last = None if acc is None or not len(acc) or not np.isfinite(acc[-1]) else float(acc[-1])
    return {
        "id": run.run_id,
        "status": run.status,
        "created": m.created,
        "dataset": str(m.dataset.get("name", "")),
        "model": str(m.model.get("name") or m.model.get("class") or ""),
        "classes": run.classes,
        "layers": run.layers,
        "epochs": run.epochs,
        "checkpoints": catalogue.checkpoints(run),
        "test_accuracy": last,
        "has_model": catalogue.has_model(run),
        "video": next((n for n in VIDEOS if n in media), None),
        "poster": POSTER if POSTER in media else None,
        "accuracy": {
            k: finite(metrics[f"{k}_accuracy"])
            for k in ("train", "test")
            if f"{k}_accuracy" in metrics
        },
    }


VIDEOS = ("video.mp4", "video.webm", "video.gif")  # what ``convlens video`` writes, preferred first
POSTER = "last_frame.png"
MEDIA_TYPES = {".mp4": "video/mp4", ".webm": "video/webm", ".gif": "image/gif", ".png": "image/png"}


def _media_names(run: Run) -> set[str]:
    folder = run.media_dir()
    if not folder.is_dir():
        return set()
    return {p.name for p in folder.iterdir() if p.suffix in MEDIA_TYPES and p.is_file()}


def media_file(run: Run, name: str) -> tuple[Path, str]:
    """The file ``name`` directly in the run's ``media/`` folder and its media type.

    Only a plain video or picture file inside that folder answers: a name with a path in it
    (``../manifest.json``), a hidden file, or a link that leads out of the folder is refused.
    """
    folder = run.media_dir()
    suffix = Path(name).suffix.lower()
    plain = name == Path(name).name and not name.startswith(".") and "\\" not in name
    path = folder / name
    inside = plain and path.is_file() and path.resolve().parent == folder.resolve()
    if not inside or suffix not in MEDIA_TYPES:
        have = (
            ", ".join(sorted(_media_names(run))[:20])
            or "none yet (make a video with convlens video RUN)"
        )
        raise NotFoundError(f"run {run.run_id} has no media file '{name[:80]}': it has {have}")
    return path, MEDIA_TYPES[suffix]


def run_detail(catalogue: RunCatalogue, run: Run) -> dict[str, Any]:
    """The card plus metrics per epoch, recorded layers, the probe set and a plain summary."""
    out = run_card(catalogue, run)
    m = run.manifest
    out["metrics"] = {k: finite(v) for k, v in run.metrics().items()}
    shapes = {k: [int(n) for n in v.get("shape", [])] for k, v in m.layers.items()}
    plain = plain_layer_names([LayerShape(k, None, s) for k, s in shapes.items()], len(m.classes))
    out["layer_info"] = [
        {"name": k, "shape": shapes[k], "dim": int(v.get("dim", 0)), "plain": p}
        for (k, v), p in zip(m.layers.items(), plain, strict=True)
    ]
    out["probe"] = {
        "n": int(m.probe.get("n", 0)),
        "n_test": int(m.probe.get("test", m.probe.get("n", 0))),
        "n_train": int(m.probe.get("train", 0)),
    }
    out["explanation"] = run_text(out)
    return out


def run_text(summary: dict[str, Any]) -> str:
    n = len(summary["epochs"])
    acc = summary.get("test_accuracy")
    classes = summary["classes"]
    s = (
        f"This network learned to sort pictures into {plural(len(classes), 'group')}. "
        f"It trained for {plural(n, 'round')}, called epochs."
    )
    if acc is not None:
        s += f" At the end it got {pct(acc)} of new pictures right."
    if summary["status"] == "recording":
        s += " It is still training, so this page updates by itself."
    elif summary["status"] == "interrupted":
        s += " Its training was stopped before the end, so it may hold fewer rounds than planned."
    return s
