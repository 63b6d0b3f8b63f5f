"""Names a package exports but imports only on first use (so light imports stay light)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    package: str, names: Mapping[str, str], namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A module ``__getattr__`` and ``__dir__`` that import ``names`` on first use (PEP 562).

    Example:
        >>> __getattr__, __dir__ = lazy_exports(__name__, {"GradCAM": "._methods"}, globals())

    Args:
        package: The package's ``__name__`` (relative module paths are resolved against it).
        names: Exported name -> module that defines it (``"._module"`` or absolute).
        namespace: The package's ``globals()``: a loaded name is cached there, so the import
            happens once.
    """

    def __getattr__(name: str) -> Any:  # noqa: N807
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:  # noqa: N807
        return sorted({*namespace, *names})

    return __getattr__, __dir__
