"""Core: errors, the hook set, registries, option dataclasses. Imports nothing else of convlens."""

from ._errors import (
    ConvLensError,
    ConvLensWarning,
    MissingExtraError,
    NotFoundError,
    RunFormatError,
    UnavailableError,
    UserInputError,
    missing_extra,
)
from ._hooks import HookSet
from ._options import (
    DataOptions,
    EmbedOptions,
    RecordOptions,
    TrainOptions,
    VideoOptions,
    options_from_json,
    options_to_json,
)
from ._progress import progress
from ._registry import Registry

__all__ = [
    "ConvLensError",
    "ConvLensWarning",
    "DataOptions",
    "EmbedOptions",
    "RecordOptions",
    "TrainOptions",
    "VideoOptions",
    "HookSet",
    "MissingExtraError",
    "NotFoundError",
    "Registry",
    "RunFormatError",
    "UnavailableError",
    "UserInputError",
    "missing_extra",
    "options_from_json",
    "options_to_json",
    "progress",
]
