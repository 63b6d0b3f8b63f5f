"""The network graph of a run's model: laid out, bundled, stored and drawn.

What lands where (``E`` is the checkpoint's epoch, four digits)::

    graph/<E>.safetensors        the graph file (docs/graph-format.md): nodes, edges,
                                 importance, bundled polylines; description in the metadata
    media/graph-<E>.png          the static picture (2-D projection, class colours)
    importance/weight-<E>.safetensors   only when no importance was stored for that checkpoint

Importance already stored for the checkpoint is reused (``convlens importance`` makes it, per
class); without any, the cheap ``weight`` method (the same for every class) is computed here.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
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
from ._importance import importance_path, importance_run, load_importance
from ._models import run_model

_NEUTRAL = (70, 70, 70)


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


def _importance(
    run: Run, model: torch.nn.Module, epoch: int, method: str | None, x: torch.Tensor
) -> tuple[ImportanceResult, bool]:
    """Stored importance of the checkpoint (``method``, or the first stored); else ``taylor``
    computed on the run's training images (class colours), or ``weight`` when they cannot be
    reloaded."""
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
            return importance_run(run.path, epoch=epoch, method="taylor").result, True
        except ConvLensError:  # e.g. a run whose training images cannot be reloaded
            pass
    result = WeightImportance(model).fit(x).result_
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
    return GraphDrawing(
        node_position=layout.node_position,
        node_color=node_color,
        node_importance=g.node_overall,
        sample_position=layout.sample_position,
        sample_offsets=layout.sample_offsets,
        sample_color=sample_color,
        edge_importance=g.edge_importance[layout.edge_index],
        title=title,
        legend=legend,
        slices=tuple((x.name, i * layout.options.layer_distance) for i, x in enumerate(g.layers)),
        slice_width=layout.options.layer_width,
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
) -> GraphRun:
    """Lay out and bundle the graph of a run's model; store the graph file and its picture.

    Args:
        run_dir: The run folder.
        epoch: Checkpoint to use (default: the last one).
        method: Importance method whose stored result to use (default: the first stored, in
            ``IMPORTANCE`` order; without any, ``taylor`` is computed and stored, or
            ``weight`` when the run's images cannot be reloaded).
        options: nn_vis's processing parameters (default :class:`BundleOptions`).
        bundler: A name in ``BUNDLERS`` (``kde``: nn_vis's bundling; ``straight``).
        style: How the picture looks.

    Raises:
        UserInputError: A run without checkpoints (says how to make one), an epoch without a
            checkpoint (lists those there are), an unknown method or bundler, a method whose
            importance is not stored (gives the command that computes it).
    """
    t0 = time.perf_counter()
    run = Run.open(run_dir)
    cls = BUNDLERS.get(bundler)
    model, epoch = run_model(run, epoch)
    x = torch.zeros((1, *input_shape(run)))
    result, computed = _importance(run, model, epoch, method, x)
    graph = network_graph(model, x, result)
    layout = cls(options or BundleOptions()).fit(graph).layout_
    arrays, info = layout.to_arrays()
    colors = class_colors(max(graph.n_classes, 1))[list(graph.classes)]
    arrays["classes.color"] = colors.astype(np.uint8)
    names = [run.classes[c] if c < len(run.classes) else str(c) for c in graph.classes]
    info.update(run=run.run_id, epoch=epoch, class_names=names)
    info["importance"].update(epoch=epoch, computed_here=computed)
    writer = open_for_update(run.path)
    path = writer.write_arrays(graph_path(epoch), arrays, info)
    title = f"{run.run_id} · epoch {epoch} · {result.method} importance"
    picture = draw_graph(graph_drawing(layout, names, title=title), style)
    png = writer.write_media(f"graph-{epoch:04d}.png", encode_png(picture))
    return GraphRun(layout, epoch, result.method, computed, path, png, time.perf_counter() - t0)


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
