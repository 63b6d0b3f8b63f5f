"""Progress bars for every long step (tqdm), quiet when asked or when not on a terminal in CI."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import Any, TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")


def progress(
    iterable: Iterable[T] | None = None,
    *,
    desc: str,
    total: int | None = None,
    unit: str = "it",
    leave: bool = True,
    disable: bool | None = None,
) -> Any:
    """Wrap ``iterable`` in a tqdm bar written to stderr.

    Set ``CONVLENS_QUIET=1`` to silence every bar.
    """
    if disable is None:
        disable = os.environ.get("CONVLENS_QUIET", "") not in ("", "0")
    return tqdm(
        iterable,
        desc=desc,
        total=total,
        unit=unit,
        leave=leave,
        disable=disable,
        file=sys.stderr,
        dynamic_ncols=True,
    )
