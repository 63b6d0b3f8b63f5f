"""The run directory: manifest + safetensors, append-only, atomic. Never imports torch.

``formats`` holds the version and checks of every stored file format beside the manifest's.
"""

from . import formats
from ._atomic import (
    DiskFullError,
    atomic_path,
    remove_stale_temporaries,
    stale_temporaries,
    write_bytes_atomic,
    write_json_atomic,
)
from ._manifest import SCHEMA_VERSION, Manifest, parse_manifest
from ._reader import Problem, Run, list_runs
from ._writer import RunWriter, open_for_update

__all__ = [
    "SCHEMA_VERSION",
    "DiskFullError",
    "Manifest",
    "Problem",
    "Run",
    "RunWriter",
    "atomic_path",
    "list_runs",
    "open_for_update",
    "parse_manifest",
    "remove_stale_temporaries",
    "stale_temporaries",
    "write_bytes_atomic",
    "formats",
    "write_json_atomic",
]
