"""Core: errors, the hook set, registries, option dataclasses, the input contract.

Imports nothing else of convlens (and no torch).
"""

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
from ._input import INPUT_PRESETS, RESIZE_POLICIES, InputContract, input_contract
from ._lazy import lazy_exports
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
    "INPUT_PRESETS",
    "RESIZE_POLICIES",
    "InputContract",
    "input_contract",
    "lazy_exports",
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
