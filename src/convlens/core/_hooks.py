"""The one place hooks are registered: a context manager that always removes them."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol


class _Handle(Protocol):
    def remove(self) -> None: ...


class HookSet:
    """Owns hook handles and removes every one of them on exit, also when the body raises.

    Works with any object that has ``remove()`` (torch's ``RemovableHandle``), so this module
    does not import torch.

    Example:
        >>> with HookSet() as hooks:
        ...     hooks.add(module.register_forward_hook(fn))
        ...     model(x)
    """

    def __init__(self) -> None:
        self._handles: list[_Handle] = []

    def add(self, handle: _Handle) -> _Handle:
        """Take ownership of ``handle``."""
        self._handles.append(handle)
        return handle

    def remove_all(self) -> None:
        """Remove every owned hook (idempotent)."""
        while self._handles:
            self._handles.pop().remove()

    def __len__(self) -> int:
        return len(self._handles)

    def __enter__(self) -> HookSet:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.remove_all()
