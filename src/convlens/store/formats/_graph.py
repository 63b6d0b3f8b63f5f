"""The network-graph file: ``docs/graph-format.md`` is the contract (the web view reads it).

Arrays are little-endian float32 / int32 / uint8 only, so that a browser reads them with typed
arrays; the description carries ``"format": "convlens-graph"`` and ``"version"``. One reader
(``GraphLayout.from_arrays``) handles every version up to :data:`GRAPH_VERSION`.
"""

from __future__ import annotations

from typing import Any

from convlens.core import RunFormatError

GRAPH_FORMAT = "convlens-graph"
GRAPH_VERSION = 1


def check_graph_info(info: dict[str, Any]) -> int:
    """The version of a graph file's description, after checking it can be read here.

    Raises:
        RunFormatError: Not a graph file, no valid version, or newer than this ConvLens reads.
    """
    if info.get("format") != GRAPH_FORMAT:
        raise RunFormatError(f"not a ConvLens graph file (format {info.get('format')!r})")
    version = info.get("version")
    if not isinstance(version, int) or version < 1:
        raise RunFormatError(f"graph file has no valid version ({version!r})")
    if version > GRAPH_VERSION:
        raise RunFormatError(
            f"graph file version {version} is newer than this ConvLens reads ({GRAPH_VERSION}): "
            "upgrade convlens"
        )
    return version
