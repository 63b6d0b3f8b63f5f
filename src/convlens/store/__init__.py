"""The run directory: manifest + safetensors, append-only, atomic. Never imports torch.

``formats`` holds the version and checks of every stored file format beside the manifest's.
"""

from . import formats
from ._atomic import DiskFullError, atomic_path, write_bytes_atomic, write_json_atomic
from ._manifest import SCHEMA_VERSION, Manifest, parse_manifest
from ._run import Run, RunWriter, list_runs, open_for_update

__all__ = [
    "SCHEMA_VERSION",
    "DiskFullError",
    "Manifest",
    "Run",
    "RunWriter",
    "atomic_path",
    "list_runs",
    "open_for_update",
    "parse_manifest",
    "write_bytes_atomic",
    "formats",
    "write_json_atomic",
]
