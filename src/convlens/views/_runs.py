"""Runs view: one run as the list shows it, and one run in full, with a plain summary."""

from __future__ import annotations

from typing import Any

import numpy as np

from convlens.pipelines import RunCatalogue
from convlens.store import Run

from ._common import finite, pct


def run_card(catalogue: RunCatalogue, run: Run) -> dict[str, Any]:
    """One run as the runs list shows it (``RunSummary`` in the API); never imports torch."""
    m = run.manifest
    metrics = run.metrics()
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
    }


def run_detail(catalogue: RunCatalogue, run: Run) -> dict[str, Any]:
    """The card plus metrics per epoch, recorded layers, the probe set and a plain summary."""
    out = run_card(catalogue, run)
    m = run.manifest
    out["metrics"] = {k: finite(v) for k, v in run.metrics().items()}
    out["layer_info"] = [
        {"name": k, "shape": list(v.get("shape", [])), "dim": int(v.get("dim", 0))}
        for k, v in m.layers.items()
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
        f"This network learned to sort pictures into {len(classes)} groups. "
        f"It trained for {n} rounds, called epochs."
    )
    if acc is not None:
        s += f" At the end it got {pct(acc)} of new pictures right."
    if summary["status"] == "recording":
        s += " It is still training, so this page updates by itself."
    elif summary["status"] == "interrupted":
        s += " Its training was stopped before the end, so it may hold fewer rounds than planned."
    return s
