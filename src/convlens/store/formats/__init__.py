"""The versions and checks of every file format stored in a run, beside the store that keeps them.

Each format names its version constant here, so that the code that writes a file and the one
reader that understands every version up to it share one number, and a newer file says to
upgrade instead of being misread. No torch, no analysis code: the producers (``analyze``)
import from here, never the other way round.

- ``graph``: ``graph/<NNNN>.safetensors`` (docs/graph-format.md).
- ``importance``: ``importance/<method>-<NNNN>.safetensors``.
- ``story``: ``story/layer-<layer>.safetensors`` and ``story/accuracy.safetensors``.
"""

from ._common import need_array
from ._graph import GRAPH_FORMAT, GRAPH_VERSION, check_graph_info
from ._importance import IMPORTANCE_VERSION, check_importance_info
from ._story import STORY_FORMAT, STORY_VERSION, check_story_info

__all__ = [
    "GRAPH_FORMAT",
    "GRAPH_VERSION",
    "IMPORTANCE_VERSION",
    "STORY_FORMAT",
    "STORY_VERSION",
    "check_graph_info",
    "check_importance_info",
    "check_story_info",
    "need_array",
]
