"""The guided first-visit tour, written from a run's own classes, layers and story.

Each step names one control (``target``: its ``data-testid``), which the web highlights and
keeps the tour's card beside, never over. No step waits on a cold computation: the timeline's
layout and the story are stored by ``convlens demo`` (``load_story`` only reads), and the graph
is laid out there too. What a step's view computes (feature maps, the attribution map and its
check, class gradients, a graph or projection job) the web asks for while the user reads the
step before (``web/src/lib/prefetch.ts``), so each view opens on data already in the page.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from convlens.pipelines import load_story, most_confused_pair
from convlens.store import Run

from ._inspect import Inspector
from ._story import still_tangled


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
    event = tangled = None
    if run.epochs and layer:
        told = load_story(run)  # stored by `convlens demo`; never measured here
        if told is not None:
            mine = [e.text for e in told.events if e.layer == layer]  # "sheep separates"
            texts = mine or [e.text for e in told.events if e.layer is None]  # or accuracy
            event = texts[0] if texts else None
            tangled = still_tangled(told, layer)
    steps = tour_steps(run, layer, conv, confused, event, tangled)
    return {"run": run.run_id, "steps": steps}


def _step(id_: str, title: str, text: str, route: str, target: str | None = None,
          play: bool = False) -> dict[str, Any]:  # fmt: skip
    return {"id": id_, "title": title, "text": text, "route": route, "target": target,
            "play": play}  # fmt: skip


def tour_steps(
    run: Run | None,
    layer: str | None,
    conv: str | None,
    confused: tuple[str, str, int] | None,
    event: str | None = None,
    tangled: tuple[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The steps, in order. ``event`` is one sentence of the run's story ("epoch 4: sheep
    separates from cloud in fc1") and ``tangled`` the two kinds the timeline's layer still mixes
    most (``still_tangled``), both shown with the timeline's step; without a pair, the step says
    what to look for in general words."""
    if run is None:
        return [
            _step(
                "start",
                "No runs yet",
                "Make one with: convlens demo --out runs. Then open this page again.",
                "/",
            )
        ]
    r = run.run_id
    n = len(run.classes)
    kinds = ", ".join(run.classes[:4]) + (" and more" if n > 4 else "")
    first = run.epochs[0] if run.epochs else None
    at_first = f"&epoch={first}" if first is not None else ""
    watch = (
        f" Watch {tangled[0]} and {tangled[1]}: they stay close."
        if tangled
        else " Kinds that look alike may stay close for longer."
    )
    marks = f" The marks on the slider show what changed, such as “{event}”." if event else ""
    steps = [
        _step(
            "runs",
            "What you see here",
            f"A neural network is a stack of simple steps that turns a picture into an answer. "
            f"This one learned to sort pictures into {n} kinds: {kinds}. It learned from "
            "examples, not rules. Each row here is one training run.",
            "/",
            "run-row",
        ),
        _step(
            "timeline",
            "Watch it learn",
            "Each dot is a picture. The player starts at epoch 1, the first pass over the "
            "examples, and plays on. At first the dots of all kinds are mixed. As the network "
            "learns, pictures of one kind move together." + marks + watch,
            f"/timeline?run={r}" + (f"&layer={layer}" if layer else "") + at_first,
            "epoch-player",
            play=True,
        ),
    ]
    if conv:
        cls = confused[0] if confused else None
        steps += [
            _step(
                "explorer",
                "Look inside",
                "Pick a picture. Each small square is what one filter found in it. Some look "
                "for edges, some for blobs. Later layers mix them into bigger shapes.",
                f"/explorer?run={r}&layer={conv}&image=probe:0",
                "fmap-grid",
            ),
            _step(
                "attributions",
                "Why this answer?",
                "The warm spots show the parts of the picture the network used for its "
                "answer. If they sit on the object, it looks in the right place.",
                f"/attributions?run={r}&image=probe:0&method=gradcam",
                "attr-overlay",
            ),
            _step(
                "classgrads",
                "Which filters each kind needs",
                "Each bar is one filter. A tall bar means the score for that kind leans on "
                "that filter. A kind the network mixes up with the first one leans on the "
                "same filters; a kind far from it leans on others.",
                f"/classgrads?run={r}&layer={conv}" + (f"&reference={cls}" if cls else ""),
                "classgrad-chart",
            ),
            _step(
                "graph",
                "The whole network",
                "Here is the whole network at once. Each dot is one unit and each slice is "
                "a layer. Lines show which units feed which. Faint ones matter little.",
                f"/graph?run={r}",
                "graph-canvas",
            ),
        ]
    steps.append(
        _step(
            "projection",
            "How it sees the pictures",
            "Here all pictures are laid out by what one layer sees. A kind that forms its own "
            "group is one the network can tell apart. Kinds that overlap are the ones it "
            "mixes up.",
            f"/projection?run={r}" + (f"&layer={layer}" if layer else ""),
            "projection-canvas",
        )
    )
    return steps
