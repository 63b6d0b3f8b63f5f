"""The importance file ``importance/<method>-<NNNN>.safetensors``.

Arrays ``units.<i>.per_class`` / ``units.<i>.overall`` per layer and ``edges.<i>.overall`` (and
``edges.<i>.per_class``) per connection, float32; the description names the layers, edges,
classes and method and carries ``"format"``: :data:`IMPORTANCE_VERSION`. One reader
(``ImportanceResult.from_arrays``) handles every version up to it.
"""

from __future__ import annotations

from typing import Any

from convlens.core import RunFormatError

IMPORTANCE_VERSION = 1


def check_importance_info(info: dict[str, Any]) -> int:
    """The version of an importance file's description, after checking it can be read here.

    Raises:
        RunFormatError: Newer than this ConvLens reads, or no valid version.
    """
    try:
        version = int(info.get("format", 0))
    except (TypeError, ValueError) as exc:
        raise RunFormatError(
            f"importance file has no valid format ({info.get('format')!r})"
        ) from exc
    if version > IMPORTANCE_VERSION:
        raise RunFormatError(
            f"importance format {version} is newer than this ConvLens reads "
            f"({IMPORTANCE_VERSION}): upgrade convlens"
        )
    return version
