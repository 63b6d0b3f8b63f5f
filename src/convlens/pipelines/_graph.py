"""The network graph of a run's model: laid out, bundled, stored and drawn.

What lands where (``E`` is the checkpoint's epoch, four digits)::

    graph/<E>.safetensors        the graph file (docs/graph-format.md): nodes, edges,
                                 importance, bundled polylines; description in the metadata
    media/graph-<E>.png          the static picture (2-D projection, class colours)
    importance/weight-<E>.safetensors   only when no importance was stored for that checkpoint

Importance already stored for the checkpoint is reused (``convlens importance`` makes it, per
class); without any, ``taylor`` is computed on the run's training images (on at most
:data:`BIG_MODEL_EXAMPLES` of them for a big model, over more than :data:`BIG_MODEL_UNITS`
units), or the cheap ``weight`` method (the same for every class) when they cannot be reloaded.

ImageNet-scale models: the graph keeps importance for at most :data:`MAX_GRAPH_CLASSES`
classes (those the probe set holds most, else the first ones) and is aggregated above
``convlens.analyze.netgraph.MAX_EDGES`` connections (top ``k`` per unit, see ``network_graph``).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from convlens.analyze import (
    BUNDLERS,
    IMPORTANCE,
    BundleOptions,
    GraphLayout,
    ImportanceResult,
    WeightImportance,
    network_graph,
)
from convlens.core import ConvLensError, UnavailableError
from convlens.render import (
    GraphDrawing,
    GraphStyle,
    class_colors,
    draw_graph,
    encode_png,
    graph_panels,
    mix_class_colors,
)
from convlens.store import Run, open_for_update

from ._catalogue import checkpoint_epoch, input_shape
from ._importance import _run_data, importance_path, importance_run, load_importance
from ._models import run_model

_NEUTRAL = (70, 70, 70)
# A deep network's layer axis is drawn at most this many slice widths long (display only; the
# web view squeezes it the same way, web/src/lib/graphView.ts): 54 layers otherwise make a thin
# diagonal line of a picture.
MAX_DRAWN_LENGTH = 4.0
MAX_GRAPH_CLASSES = 12
"""Classes whose importance a graph keeps (colours stop being told apart beyond ~10)."""
BIG_MODEL_UNITS = 5_000
"""Models with more units than this get importance from a few examples only."""
BIG_MODEL_EXAMPLES = 32
"""Training images ``taylor`` sees for a big model's graph."""

GraphProgress = Callable[[str, float], None]
"""``(what is being done, fraction done 0..1)``, called between the steps of :func:`graph_run`."""


def graph_path(epoch: int) -> str:
    """``graph/<EEEE>.safetensors`` inside the run."""
    return f"graph/{epoch:04d}.safetensors"


@dataclass(frozen=True)
class GraphRun:
    """What :func:`graph_run` made and where it stored it.

    Attributes:
        layout: The graph laid out and bundled.
        epoch: The checkpoint's epoch.
        method: The importance method used.
        computed_importance: Whether ``weight`` importance was computed (none was stored).
        path: The graph file.
        picture: The PNG under ``media/``.
        seconds: Time taken.
    """

    layout: GraphLayout
    epoch: int
    method: str
    computed_importance: bool
    path: Path
    picture: Path
    seconds: float


def _n_units(model: torch.nn.Module) -> int:
    return sum(
        int(getattr(m, "out_channels", 0) or getattr(m, "out_features", 0))
        for m in model.modules()
        if isinstance(m, (torch.nn.Linear, torch.nn.Conv2d))
    )


def _graph_classes(run: Run, n_classes: int) -> list[int] | None:
    """At most :data:`MAX_GRAPH_CLASSES`: those the probe set holds most (``None``: all)."""
    if n_classes <= MAX_GRAPH_CLASSES:
        return None
    try:
        labels = run.probe().get("labels")
    except Exception:  # noqa: BLE001 - a run without a readable probe set: the first classes
        labels = None
    counts = Counter(int(v) for v in labels) if labels is not None else Counter()
    held = [c for c, _ in counts.most_common() if 0 <= c < n_classes][:MAX_GRAPH_CLASSES]
    rest = [c for c in range(n_classes) if c not in held]
    return sorted(held + rest[: MAX_GRAPH_CLASSES - len(held)])


def _taylor_data(run: Run, big: bool) -> tuple[torch.Tensor, torch.Tensor] | None:
    if not big:
        return None
    x, y = _run_data(run, "train")
    pick = torch.randperm(len(y), generator=torch.Generator().manual_seed(0))
    return x[pick[:BIG_MODEL_EXAMPLES]], y[pick[:BIG_MODEL_EXAMPLES]]


def _importance(
    run: Run,
    model: torch.nn.Module,
    epoch: int,
    method: str | None,
    x: torch.Tensor,
    classes: list[int] | None = None,
) -> tuple[ImportanceResult, bool]:
    """Stored importance of the checkpoint (``method``, or the first stored); else ``taylor``
    computed on the run's training images (class colours; a few dozen for a big model), or
    ``weight`` when they cannot be reloaded."""
    wanted = [method] if method else IMPORTANCE.names()
    for name in wanted:
        IMPORTANCE.get(name)
        try:
            return load_importance(run.path, method=name, epoch=epoch), False
        except UnavailableError:
            if method and method != "weight":
                raise
    if not method:  # class colours need per-class importance: taylor is quick, try it first
        try:
            data = _taylor_data(run, _n_units(model) > BIG_MODEL_UNITS)
            got = importance_run(run.path, epoch=epoch, method="taylor", data=data, classes=classes)
            return got.result, True
        except ConvLensError:  # e.g. a run whose training images cannot be reloaded
            pass
    result = WeightImportance(model, classes=classes).fit(x).result_
    arrays, info = result.to_arrays()
    info.update(epoch=epoch, class_names=run.classes, examples=0)
    open_for_update(run.path).write_arrays(importance_path("weight", epoch), arrays, info)
    return result, True


def graph_drawing(
    layout: GraphLayout, class_names: Sequence[str] | None = None, *, title: str = ""
) -> GraphDrawing:
    """What :func:`convlens.render.draw_graph` needs: class colours, importance as opacity.

    Nodes and every point of every edge are coloured by their class importance (the colour of
    the class that dominates, blended where several do); opacity follows overall importance.
    """
    g = layout.graph
    colors = class_colors(max(g.n_classes, 1))[list(g.classes)]
    names = list(class_names) if class_names is not None else [str(c) for c in g.classes]
    imp = g.node_importance
    if imp.size and np.allclose(imp, imp[:, :1], atol=1e-6):  # the same for every class
        node_color = np.tile(np.array(_NEUTRAL, np.uint8), (g.n_nodes, 1))
        sample_color = np.tile(np.array(_NEUTRAL, np.uint8), (layout.n_samples, 1))
        legend: tuple[tuple[str, tuple[int, int, int]], ...] = (
            (f"{g.method or 'uniform'} importance: the same for every class", _NEUTRAL),
        )
    else:
        node_color = mix_class_colors(imp, colors)
        sample_color = mix_class_colors(layout.sample_class(), colors)
        legend = tuple(
            (names[i] if i < len(names) else str(c), (int(r), int(gg), int(b)))
            for i, (c, (r, gg, b)) in enumerate(zip(g.classes, colors, strict=True))
        )
    span = (len(g.layers) - 1) * layout.options.layer_distance
    most = MAX_DRAWN_LENGTH * layout.options.layer_width
    squeeze = most / span if span > most else 1.0

    def drawn(points: np.ndarray) -> np.ndarray:
        out = np.array(points, np.float32, copy=True)
        out[:, 2] *= squeeze
        return out

    return GraphDrawing(
        node_position=drawn(layout.node_position),
        node_color=node_color,
        node_importance=g.node_overall,
        sample_position=drawn(layout.sample_position),
        sample_offsets=layout.sample_offsets,
        sample_color=sample_color,
        edge_importance=g.edge_importance[layout.edge_index],
        title=title,
        legend=legend,
        slices=tuple(
            (x.name, i * layout.options.layer_distance * squeeze) for i, x in enumerate(g.layers)
        ),
        slice_width=layout.options.layer_width,
        edge_kind=g.edge_kind[layout.edge_index],
    )


def graph_comparison(
    layouts: Sequence[GraphLayout],
    titles: Sequence[str],
    *,
    class_names: Sequence[str] | None = None,
    title: str = "",
    style: GraphStyle | None = None,
) -> np.ndarray:
    """Graphs of versions of one network side by side, in one frame and scale.

    Made for nn_vis's comparison of an untrained, a trained and an L1-regularised network
    (the regularised one draws narrowest); any number of layouts works.

    Returns:
        ``uint8 [H, W, 3]`` (``encode_png`` makes the file).
    """
    if len(layouts) != len(titles):
        raise ValueError(
            f"give one title per layout ({len(layouts)} layouts, {len(titles)} titles)"
        )
    style = style or GraphStyle(width=640, height=560)
    drawings = [
        graph_drawing(x, class_names, title=t) for x, t in zip(layouts, titles, strict=True)
    ]
    return graph_panels(drawings, style, title=title)


def graph_run(
    run_dir: str | Path,
    *,
    epoch: int | None = None,
    method: str | None = None,
    options: BundleOptions | None = None,
    bundler: str = "kde",
    style: GraphStyle | None = None,
    on_progress: GraphProgress | None = None,
) -> GraphRun:
    """Lay out and bundle the graph of a run's model; store the graph file and its picture.

    Args:
        run_dir: The run folder.
        epoch: Checkpoint to use (default: the last one).
        method: Importance method whose stored result to use (default: the first stored, in
            ``IMPORTANCE`` order; without any, ``taylor`` is computed and stored, or
            ``weight`` when the run's images cannot be reloaded).
        options: nn_vis's processing parameters (default :class:`BundleOptions`; a graph of
            more than ``BIG_GRAPH_NODES`` nodes gets the coarser ``BIG_GRAPH_OPTIONS``).
        bundler: A name in ``BUNDLERS`` (``kde``: nn_vis's bundling; ``straight``).
        style: How the picture looks.
        on_progress: Called with ``(step, fraction done)`` between the steps (importance,
            graph, layout, file, picture); the steps also show ``core.progress`` bars.

    Raises:
        UserInputError: A run without checkpoints (says how to make one), an epoch without a
            checkpoint (lists those there are), an unknown method or bundler, a method whose
            importance is not stored (gives the command that computes it).
    """
    t0 = time.perf_counter()

    def step(what: str, done: float) -> None:
        if on_progress is not None:
            on_progress(what, done)

    run = Run.open(run_dir)
    cls = BUNDLERS.get(bundler)
    step("loading the model", 0.0)
    model, epoch = run_model(run, epoch)
    x = torch.zeros((1, *input_shape(run)))
    step("importance", 0.05)
    n_out = len(run.classes) if run.classes else 0
    wanted = _graph_classes(run, n_out)
    result, computed = _importance(run, model, epoch, method, x, wanted)
    step("building the graph", 0.3)
    shown = None if wanted is None else [c for c in wanted if c in result.classes] or None
    graph = network_graph(model, x, result, classes=shown)
    if wanted is not None:
        graph = replace(
            graph,
            notes=(
                *graph.notes,
                f"importance is shown for {len(graph.classes)} of {graph.n_classes} classes "
                "(those the probe set holds most)",
            ),
        )
    step("laying out and bundling", 0.4)
    layout = cls(options).fit(graph).layout_
    step("writing the graph file", 0.9)
    arrays, info = layout.to_arrays()
    colors = class_colors(max(graph.n_classes, 1))[list(graph.classes)]
    arrays["classes.color"] = colors.astype(np.uint8)
    names = [run.classes[c] if c < len(run.classes) else str(c) for c in graph.classes]
    info.update(run=run.run_id, epoch=epoch, class_names=names)
    info["importance"].update(epoch=epoch, computed_here=computed)
    step("drawing the picture", 0.95)
    picture = _picture(layout, names, _title(run, epoch, result.method), style)
    writer = open_for_update(run.path)
    # the picture first: the graph file says the graph is made, so whoever finds it (the web
    # app's graph.png) finds the picture too
    png = writer.write_media(graph_picture_name(epoch), picture)
    path = writer.write_arrays(graph_path(epoch), arrays, info)
    step("done", 1.0)
    return GraphRun(layout, epoch, result.method, computed, path, png, time.perf_counter() - t0)


def _title(run: Run, epoch: int, method: str | None) -> str:
    return f"{run.run_id} · epoch {epoch} · {method} importance"


def _picture(
    layout: GraphLayout, names: Sequence[str], title: str, style: GraphStyle | None
) -> bytes:
    return encode_png(draw_graph(graph_drawing(layout, names, title=title), style))


def graph_picture_name(epoch: int) -> str:
    """The graph picture's name under the run's ``media/``."""
    return f"graph-{epoch:04d}.png"


def redraw_graph(run_dir: str | Path, *, epoch: int, style: GraphStyle | None = None) -> Path:
    """Draw the picture of the stored graph of checkpoint ``epoch`` again, from the graph file
    alone (it holds the layout, importance and class names), and list it in the run: for a
    run whose picture is missing (made before the picture was written first, or a job killed
    between the two). Returns the picture's path.

    Raises:
        UnavailableError: No graph is stored for that epoch (gives the command that makes it).
    """
    layout, info = load_graph(run_dir, epoch=epoch)
    run = Run.open(run_dir)
    names = info.get("class_names")
    if not isinstance(names, list) or len(names) != len(layout.graph.classes):
        names = [run.classes[c] if c < len(run.classes) else str(c) for c in layout.graph.classes]
    png = _picture(layout, [str(n) for n in names], _title(run, epoch, layout.graph.method), style)
    return open_for_update(run.path).write_media(graph_picture_name(epoch), png)


def load_graph(
    run_dir: str | Path, *, epoch: int | None = None
) -> tuple[GraphLayout, dict[str, Any]]:
    """The stored graph of a run's checkpoint (default: the last) and its description.

    Raises:
        UnavailableError: Not made yet; the message gives the command that makes it.
    """
    run = Run.open(run_dir)
    epoch = checkpoint_epoch(run, epoch)
    got = run.arrays(graph_path(epoch))
    if got is None:
        raise UnavailableError(
            f"run {run.run_id} has no graph for epoch {epoch} yet: run convlens graph {run.path} "
            f"--checkpoint {epoch}"
        )
    arrays, info = got
    return GraphLayout.from_arrays(arrays, info), info
