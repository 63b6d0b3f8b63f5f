"""The guided first-visit tour, written from a run's own classes and layers."""

from __future__ import annotations

from typing import Any

import numpy as np

from convlens.pipelines import most_confused_pair
from convlens.store import Run

from ._inspect import Inspector


def tour(insp: Inspector, run: Run | None) -> dict[str, Any]:
    """The tour's steps for ``run`` (``None``: no runs yet, say how to make one)."""
    if run is None:
        return {"run": None, "steps": tour_steps(None, None, None, None)}
    layer = run.layers[-1] if run.layers else None
    conv = None
    if insp.has_model(run):
        from convlens.analyze import last_conv_layer  # needs the model: torch loads here

        conv = last_conv_layer(insp.loaded_model(run).module)
    labels = insp.probe(run)["labels"] if run.epochs else np.zeros(0, int)
    confused = None
    if run.epochs and len(labels):
        pred = run.outputs(run.epochs[-1])["logits"].argmax(1)
        confused = most_confused_pair(labels, pred, run.classes)
    return {"run": run.run_id, "steps": tour_steps(run, layer, conv, confused)}


def tour_steps(
    run: Run | None, layer: str | None, conv: str | None, confused: tuple[str, str, int] | None
) -> list[dict[str, str]]:
    if run is None:
        return [
            {
                "id": "start",
                "title": "No runs yet",
                "text": "Make one with: convlens demo --out runs. Then open this page again.",
                "route": "/",
            }
        ]
    r = run.run_id
    n = len(run.classes)
    kinds = ", ".join(run.classes[:4]) + (" and more" if n > 4 else "")
    steps = [
        {
            "id": "runs",
            "title": "What you see here",
            "text": (
                f"A neural network is a stack of simple steps that turns a picture into an "
                f"answer. This one learned to sort pictures into {n} kinds: {kinds}. "
                "It learned from examples, not rules."
            ),
            "route": "/",
        },
        {
            "id": "timeline",
            "title": "Watch it learn",
            "text": (
                "Each dot is a picture. Press play. At first the dots are mixed. As the network "
                "learns, pictures of one kind move together."
                + (f" Watch {confused[0]} and {confused[1]}: they stay close." if confused else "")
            ),
            "route": f"/timeline?run={r}" + (f"&layer={layer}" if layer else ""),
        },
    ]
    if conv:
        steps += [
            {
                "id": "explorer",
                "title": "Look inside",
                "text": (
                    "Pick a picture. Each small square is what one filter found in it. Some look "
                    "for edges, some for blobs. Later layers mix them into bigger shapes."
                ),
                "route": f"/explorer?run={r}&layer={conv}&image=probe:0",
            },
            {
                "id": "attributions",
                "title": "Why this answer?",
                "text": (
                    "The warm spots show the parts of the picture the network used for its "
                    "answer. If they sit on the object, it looks in the right place."
                ),
                "route": f"/attributions?run={r}&image=probe:0&method=gradcam",
            },
            {
                "id": "graph",
                "title": "The whole network",
                "text": (
                    "Here is the whole network at once. Each dot is one unit and each slice is "
                    "a layer. Lines show which units feed which. Faint ones matter little."
                ),
                "route": f"/graph?run={r}",
            },
        ]
    steps.append(
        {
            "id": "projection",
            "title": "How it sees the pictures",
            "text": (
                "Here all pictures are laid out by what one layer sees. Tight groups mean the "
                "network can tell those kinds apart."
            ),
            "route": f"/projection?run={r}" + (f"&layer={layer}" if layer else ""),
        }
    )
    return steps
