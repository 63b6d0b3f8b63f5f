"""Glue: read a run, call analyze/render, write results back."""

from ._demo import demo
from ._embed import embed_layer, embed_run
from ._explain import epoch_sentence, most_confused_pair
from ._info import run_summary
from ._train import OPTIMIZERS, evaluate, train
from ._video import build_video_data, make_video

__all__ = [
    "OPTIMIZERS",
    "build_video_data",
    "demo",
    "embed_layer",
    "embed_run",
    "epoch_sentence",
    "evaluate",
    "make_video",
    "most_confused_pair",
    "run_summary",
    "train",
]
