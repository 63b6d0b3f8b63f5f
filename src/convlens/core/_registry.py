"""A registry names things once: methods, reducers, embedders, models, datasets.

The command line's choices, the server's method lists and the docs read the registry; nothing
keeps a parallel list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from ._errors import UserInputError

T = TypeVar("T")


class Registry(Generic[T]):
    """A name -> object mapping filled by a decorator.

    Example:
        >>> REDUCERS = Registry("reducer")
        >>> @REDUCERS.register("mean")
        ... def mean(x): ...
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}
        self._help: dict[str, str] = {}

    def register(self, name: str, help: str = "") -> Callable[[T], T]:  # noqa: A002
        """Return a decorator that registers its argument under ``name``."""

        def decorate(obj: T) -> T:
            if name in self._items:
                raise ValueError(f"{self.kind} '{name}' is registered twice")
            self._items[name] = obj
            doc = help or (getattr(obj, "__doc__", None) or "").strip().split("\n")[0]
            self._help[name] = doc
            return obj

        return decorate

    def get(self, name: str) -> T:
        """Look up ``name``; an unknown name raises an error that lists the known ones."""
        try:
            return self._items[name]
        except KeyError:
            known = ", ".join(sorted(self._items)) or "(none)"
            raise UserInputError(f"unknown {self.kind} '{name}': choose one of {known}") from None

    def names(self) -> list[str]:
        """The registered names, in registration order."""
        return list(self._items)

    def help(self, name: str) -> str:
        """One line describing ``name``."""
        return self._help.get(name, "")

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)
