"""A run as HTML for a notebook cell (``Run._repr_html_``): the last frame and the key figures.

Plain strings and the standard library only: no torch, no IPython.
"""

from __future__ import annotations

import base64
import html
import math
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._reader import Run

LAST_FRAME = "media/last_frame.png"
_MAX_FRAME_BYTES = 8 << 20  # a notebook holds the picture inline: skip anything unreasonable
_ACCURACY_KEYS = ("test_accuracy", "probe_accuracy")


def final_accuracy(run: Run) -> tuple[str, float] | None:
    """The last epoch's test accuracy (else the probe set's), as ``(metric name, value)``."""
    if not run.manifest.epochs:
        return None
    metrics: dict[str, Any] = run.manifest.epochs[-1].metrics
    for key in _ACCURACY_KEYS:
        value = metrics.get(key)
        if isinstance(value, (int, float)) and math.isfinite(value):
            return key, float(value)
    return None


def stored_summary(run: Run) -> str:
    """What the run holds on disk, in words: ``3 epochs of activations, 3 checkpoints, ...``."""
    eps = run.manifest.epochs
    parts = [f"{len(eps)} epoch{'s' if len(eps) != 1 else ''} of activations and outputs"]
    ckpts = sum(1 for e in eps if e.checkpoint)
    if ckpts:
        parts.append(f"{ckpts} checkpoint{'s' if ckpts != 1 else ''}")
    folders = Counter(a.path.split("/", 1)[0] for a in run.manifest.artifacts if "/" in a.path)
    folders.pop("probe", None)
    parts += [f"{folder} ({n})" for folder, n in sorted(folders.items())]
    media = run.media_dir()
    if media.is_dir() and "media" not in folders:
        names = sorted(p.name for p in media.iterdir() if p.is_file())
        if names:
            parts.append(f"media ({', '.join(names[:4])}{', ...' if len(names) > 4 else ''})")
    return ", ".join(parts)


def _frame_img(path: Path) -> str:
    if not path.is_file() or path.stat().st_size > _MAX_FRAME_BYTES:
        return ""
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (
        f'<img src="data:image/png;base64,{data}" alt="last frame of the timeline" '
        'style="max-width:480px;height:auto;display:block;margin-top:6px"/>'
    )


def run_html(run: Run) -> str:
    """The notebook view of ``run``: a table of key figures and the last frame if rendered."""
    esc = html.escape
    m = run.manifest
    model = m.model.get("name") or m.model.get("spec") or "unknown"
    classes = list(m.classes)
    shown = ", ".join(classes[:10]) + (
        f", ... ({len(classes)} in all)" if len(classes) > 10 else ""
    )
    acc = final_accuracy(run)
    acc_text = f"{acc[1]:.1%} ({acc[0].replace('_', ' ')})" if acc else "not recorded"
    last = f" (last: {m.epochs[-1].epoch})" if m.epochs else ""
    rows = [
        ("run", run.run_id),
        ("model", str(model)),
        ("classes", f"{len(classes)}: {shown}" if classes else "none"),
        ("epochs", f"{len(m.epochs)}{last}"),
        ("final accuracy", acc_text),
        ("layers", ", ".join(run.layers) or "none"),
        ("stored", stored_summary(run)),
        ("folder", str(run.path)),
    ]
    body = "".join(
        f'<tr><th style="text-align:left;padding-right:1em">{esc(k)}</th>'
        f'<td style="text-align:left">{esc(v)}</td></tr>'
        for k, v in rows
    )
    return (
        f'<div class="convlens-run"><strong>ConvLens run {esc(run.run_id)}</strong>'
        f"<table>{body}</table>{_frame_img(run.path / LAST_FRAME)}</div>"
    )
