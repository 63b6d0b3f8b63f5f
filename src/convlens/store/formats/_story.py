"""The story files ``story/layer-<layer>.safetensors`` and ``story/accuracy.safetensors``.

A layer's file holds ``purity`` ``[E, C]`` and ``mixing`` ``[E, C, C]`` (float32); the accuracy
file holds ``accuracy`` ``[E]``. Each description carries ``"format": "convlens-story"``,
``"version"``, the epochs and classes, and the events found (a list of JSON objects with
``epoch``, ``kind``, ``layer``, ``classes``, ``before``, ``after``, ``text``). One reader
(``convlens.pipelines.load_story``) handles every version up to :data:`STORY_VERSION`.
"""

from __future__ import annotations

from typing import Any

from convlens.core import RunFormatError

STORY_FORMAT = "convlens-story"
STORY_VERSION = 1


def check_story_info(info: dict[str, Any]) -> int:
    """The version of a story file's description, after checking it can be read here.

    Raises:
        RunFormatError: Not a story file, no valid version, or newer than this ConvLens reads.
    """
    if info.get("format") != STORY_FORMAT:
        raise RunFormatError(f"not a ConvLens story file (format {info.get('format')!r})")
    version = info.get("version")
    if not isinstance(version, int) or version < 1:
        raise RunFormatError(f"story file has no valid version ({version!r})")
    if version > STORY_VERSION:
        raise RunFormatError(
            f"story file version {version} is newer than this ConvLens reads ({STORY_VERSION}): "
            "upgrade convlens"
        )
    return version
