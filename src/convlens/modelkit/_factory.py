"""Calling a user's model factory with the run's sizes, the one way every caller does it."""

from __future__ import annotations

import inspect
import re
from typing import Any

_UNEXPECTED = re.compile(r"unexpected keyword argument '(\w+)'")
IMPORT_SPEC = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")
"""A model spec of the form ``package.module:factory`` (dotted on both sides)."""


def accepted_sizes(factory: object, sizes: dict[str, int]) -> dict[str, int]:
    """The subset of ``sizes`` that ``factory``'s signature accepts (all of them for ``**kw``)."""
    try:
        params = inspect.signature(factory).parameters  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return {}
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return dict(sizes)
    usable = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return {k: v for k, v in sizes.items() if k in params and params[k].kind in usable}


def call_factory(factory: Any, sizes: dict[str, int]) -> Any:
    """``factory(**sizes it accepts)``; a size the factory turns out not to take is dropped and
    the call made again. A factory with ``**kwargs`` passes them on (torchvision's
    ``resnet18(**kwargs)`` to ``ResNet``, which takes ``num_classes`` but not ``in_channels``),
    so its signature alone cannot tell."""
    args = accepted_sizes(factory, sizes)
    while True:
        try:
            return factory(**args)
        except TypeError as err:
            m = _UNEXPECTED.search(str(err))
            if m is None or m.group(1) not in args:
                raise
            del args[m.group(1)]
