"""ConvLens: see how a convolutional neural network learns and decides.

The public surface is small and pinned by ``tests/test_api_surface.py``::

    from convlens import Recorder, Run
    with Recorder(model, probe_x, probe_y, layers="conv2,fc1", out="runs") as rec:
        for epoch in range(10):
            train_one_epoch(model)
            rec.record_epoch({"train_loss": loss})

Names load lazily, so ``import convlens.store`` (browsing a run) never imports torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"  # the one version: pyproject.toml reads it ([tool.hatch.version])

_EXPORTS = {
    "Capture": "convlens.record",
    "Recorder": "convlens.record",
    "resolve_layers": "convlens.record",
    "Run": "convlens.store",
    "RunWriter": "convlens.store",
    "list_runs": "convlens.store",
    "ConvLensError": "convlens.core",
    "RunFormatError": "convlens.core",
    "UserInputError": "convlens.core",
    "show": "convlens._show",
}

__all__ = [
    "Capture",
    "ConvLensError",
    "Recorder",
    "Run",
    "RunFormatError",
    "RunWriter",
    "UserInputError",
    "__version__",
    "list_runs",
    "resolve_layers",
    "show",
]

if TYPE_CHECKING:
    from convlens._show import show
    from convlens.core import ConvLensError, RunFormatError, UserInputError
    from convlens.record import Capture, Recorder, resolve_layers
    from convlens.store import Run, RunWriter, list_runs


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'convlens' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
