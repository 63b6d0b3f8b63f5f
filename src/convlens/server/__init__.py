"""The local web app: ``create_app(runs_dir, settings)`` and ``serve`` (``convlens serve``).

Example:
    >>> from convlens.server import create_app
    >>> app = create_app("runs")  # a FastAPI app; the UI is at /, the API under /api
"""

from ._app import Settings, create_app
from ._serve import bind, serve

__all__ = ["Settings", "bind", "create_app", "serve"]
