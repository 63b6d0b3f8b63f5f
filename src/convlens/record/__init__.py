"""Training-time recording: the Recorder, layer selection, reducers, safetensors checkpoints."""

from ._checkpoint import load_optimizer_state, model_to_bytes, optimizer_to_bytes
from ._layers import resolve_layers
from ._recorder import Capture, Recorder
from ._reducers import REDUCERS

__all__ = [
    "REDUCERS",
    "Capture",
    "Recorder",
    "load_optimizer_state",
    "model_to_bytes",
    "optimizer_to_bytes",
    "resolve_layers",
]
