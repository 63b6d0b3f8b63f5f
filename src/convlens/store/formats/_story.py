"""The story files ``story/layer-<layer>.safetensors`` and ``story/accuracy.safetensors``.

A layer's file holds ``purity`` ``[E, C]`` (float32) and the pair mixing. Version 2 keeps only
the pairs that matter (``convlens.analyze.story.PairMixing``), so a file grows with ``C``, not
``C^2``: ``mixing_offsets`` ``[E + 1]`` (int64: epoch ``e``'s pairs are ``offsets[e]`` to
``offsets[e + 1]``), ``mixing_rows`` and ``mixing_cols`` ``[P]`` (int32, row < col, sorted
within an epoch) and ``mixing_values`` ``[P]`` (float32), with ``"mixing_floor"`` in the
description; a pair not kept has mixing below the floor. Version 1 held the whole
``mixing`` ``[E, C, C]`` (float32) and is still read. The accuracy file holds ``accuracy``
``[E]``. Each description carries ``"format": "convlens-story"``,
``"version"``, the epochs and classes, and the events found (a list of JSON objects with
``epoch``, ``kind``, ``layer``, ``classes``, ``before``, ``after``, ``text``). One reader
(``convlens.pipelines.load_story``) handles every version up to :data:`STORY_VERSION`.
"""

from __future__ import annotations

from typing import Any

from ._common import check_versioned

STORY_FORMAT = "convlens-story"
STORY_VERSION = 2


def check_story_info(info: dict[str, Any]) -> int:
    """The version of a story file's description, after checking it can be read here.

    Raises:
        RunFormatError: Not a story file, no valid version, or newer than this ConvLens reads.
    """
    return check_versioned(info, STORY_FORMAT, STORY_VERSION, "story")
