"""Glue: read a run, call analyze/render, write results back."""

from . import _views as views
from ._demo import demo
from ._embed import embed_layer, embed_run
from ._explain import epoch_sentence, most_confused_pair
from ._explain_views import upload_text
from ._graph import (
    GraphRun,
    graph_comparison,
    graph_drawing,
    graph_path,
    graph_run,
    load_graph,
)
from ._images import (
    MAX_UPLOAD_BYTES,
    MAX_UPLOAD_PIXELS,
    NotAnImageError,
    UploadTooLargeError,
    decode_image,
    downsized_png,
    to_model_input,
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
from ._inspect import Inspector, Upload
from ._snapshot import read_probe_folder, snapshot
from ._train import OPTIMIZERS, evaluate, train
from ._video import build_video_data, make_video

__all__ = [
    "MAX_UPLOAD_BYTES",
    "MAX_UPLOAD_PIXELS",
    "OPTIMIZERS",
    "GraphRun",
    "ImportanceRun",
    "Inspector",
    "PruningRun",
    "NotAnImageError",
    "Upload",
    "UploadTooLargeError",
    "decode_image",
    "downsized_png",
    "to_model_input",
    "upload_text",
    "views",
    "build_video_data",
    "demo",
    "embed_layer",
    "embed_run",
    "epoch_sentence",
    "evaluate",
    "graph_comparison",
    "graph_drawing",
    "graph_path",
    "graph_run",
    "importance_run",
    "load_graph",
    "load_importance",
    "make_video",
    "most_confused_pair",
    "prune_run",
    "pruning_sentence",
    "read_probe_folder",
    "run_summary",
    "snapshot",
    "train",
]
