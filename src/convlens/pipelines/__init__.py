"""Batch jobs: read a run, call analyze/render, write results back.

``train``, ``embed_run``, ``make_video``, ``importance_run`` / ``prune_run``, ``graph_run``,
``demo``, ``run_summary`` (the text of ``convlens info``) and ``story_run`` / ``run_story`` /
``load_story`` (the events found in a run's data, stored under ``story/``). ``RunCatalogue``
(the runs of a folder, no torch; ``run_contract``: how a run's pictures are prepared) and
``ModelCache`` (models rebuilt from checkpoints) serve these jobs and the web's views
(``convlens.views``).

Names load on first use, so ``RunCatalogue`` or ``embed_layer`` do not import torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from convlens.core import lazy_exports

if TYPE_CHECKING:
    from ._catalogue import RunCatalogue, probe_pictures, run_contract
    from ._demo import demo
    from ._embed import embed_layer, embed_run
    from ._explain import epoch_sentence, most_confused_pair
    from ._graph import (
        GraphRun,
        graph_comparison,
        graph_drawing,
        graph_path,
        graph_picture_name,
        graph_run,
        load_graph,
        redraw_graph,
    )
    from ._importance import (
        ImportanceRun,
        PruningRun,
        importance_run,
        load_importance,
        prune_run,
        pruning_sentence,
    )
    from ._info import run_summary
    from ._layer_names import LayerShape, plain_layer_names
    from ._models import LoadedModel, ModelCache, run_model
    from ._snapshot import read_probe_folder, snapshot
    from ._story import load_story, run_story, story_run
    from ._train import OPTIMIZERS, evaluate, train
    from ._video import build_video_data, make_video

_LAZY = {
    "RunCatalogue": "._catalogue",
    "probe_pictures": "._catalogue",
    "run_contract": "._catalogue",
    "demo": "._demo",
    "embed_layer": "._embed",
    "embed_run": "._embed",
    "epoch_sentence": "._explain",
    "most_confused_pair": "._explain",
    "GraphRun": "._graph",
    "graph_comparison": "._graph",
    "graph_drawing": "._graph",
    "graph_path": "._graph",
    "graph_picture_name": "._graph",
    "redraw_graph": "._graph",
    "graph_run": "._graph",
    "load_graph": "._graph",
    "ImportanceRun": "._importance",
    "PruningRun": "._importance",
    "importance_run": "._importance",
    "load_importance": "._importance",
    "prune_run": "._importance",
    "pruning_sentence": "._importance",
    "run_summary": "._info",
    "LayerShape": "._layer_names",
    "plain_layer_names": "._layer_names",
    "LoadedModel": "._models",
    "ModelCache": "._models",
    "run_model": "._models",
    "read_probe_folder": "._snapshot",
    "snapshot": "._snapshot",
    "load_story": "._story",
    "run_story": "._story",
    "story_run": "._story",
    "OPTIMIZERS": "._train",
    "evaluate": "._train",
    "train": "._train",
    "build_video_data": "._video",
    "make_video": "._video",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())


__all__ = [
    "OPTIMIZERS",
    "GraphRun",
    "ImportanceRun",
    "LayerShape",
    "LoadedModel",
    "ModelCache",
    "PruningRun",
    "RunCatalogue",
    "build_video_data",
    "demo",
    "embed_layer",
    "embed_run",
    "epoch_sentence",
    "evaluate",
    "graph_comparison",
    "graph_drawing",
    "graph_path",
    "graph_picture_name",
    "graph_run",
    "importance_run",
    "load_graph",
    "load_importance",
    "load_story",
    "make_video",
    "most_confused_pair",
    "plain_layer_names",
    "probe_pictures",
    "prune_run",
    "pruning_sentence",
    "read_probe_folder",
    "redraw_graph",
    "run_contract",
    "run_model",
    "run_story",
    "run_summary",
    "snapshot",
    "story_run",
    "train",
]
