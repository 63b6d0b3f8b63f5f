"""The network-graph file: ``docs/graph-format.md`` is the contract (the web view reads it).

Arrays are little-endian float32 / int32 / uint8 only, so that a browser reads them with typed
arrays; the description carries ``"format": "convlens-graph"`` and ``"version"``. One reader
(``GraphLayout.from_arrays``) handles every version up to :data:`GRAPH_VERSION`.
"""

from __future__ import annotations

from typing import Any

from ._common import check_versioned

GRAPH_FORMAT = "convlens-graph"
GRAPH_VERSION = 1


def check_graph_info(info: dict[str, Any]) -> int:
    """The version of a graph file's description, after checking it can be read here.

    Raises:
        RunFormatError: Not a graph file, no valid version, or newer than this ConvLens reads.
    """
    return check_versioned(info, GRAPH_FORMAT, GRAPH_VERSION, "graph")
