"""Command-line options generated from the option dataclasses (``convlens.core``).

A field's default and help are written once, in its dataclass; choices come from the registry
its metadata names. :func:`add_options` turns a dataclass into a group of argparse options,
:func:`options_from_args` turns the parsed arguments back into the dataclass.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from convlens.core import Registry

T = TypeVar("T")

# registry name (in a field's metadata) -> (module, attribute); imported only when needed
REGISTRIES: dict[str, tuple[str, str]] = {
    "color_by": ("convlens.render", "COLOR_BY"),
    "datasets": ("convlens.data", "DATASETS"),
    "embedders": ("convlens.analyze", "EMBEDDERS"),
    "importance": ("convlens.analyze", "IMPORTANCE"),
    "input_presets": ("convlens.core", "INPUT_PRESETS"),
    "bundlers": ("convlens.analyze", "BUNDLERS"),
    "models": ("convlens.models", "MODELS"),
    "optimizers": ("convlens.pipelines", "OPTIMIZERS"),
    "reducers": ("convlens.record", "REDUCERS"),
}


def registry(name: str) -> Registry[Any]:
    """The registry called ``name`` in :data:`REGISTRIES`."""
    module, attr = REGISTRIES[name]
    return getattr(importlib.import_module(module), attr)  # type: ignore[no-any-return]


def described(reg: Registry[Any]) -> str:
    """``name: help; name: help`` for every entry of ``reg``."""
    return "; ".join(f"{n}: {reg.help(n)}" if reg.help(n) else n for n in reg.names())


def _comma_list(text: str) -> tuple[str, ...]:
    return tuple(s.strip() for s in text.split(",") if s.strip())


def _scalar_type(hint: Any) -> Any:
    """``int`` for ``int | None``; the type argparse converts a value with."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return args[0] if len(args) == 1 else str
    if typing.get_origin(hint) is tuple:
        return _comma_list
    return hint


def _help(f: dataclasses.Field[Any], reg: Registry[Any] | None, override: str | None) -> str:
    text = override or f.metadata.get("help", "")
    if reg is not None:
        text = text.format(names=", ".join(reg.names()), described=described(reg))
    if isinstance(f.default, bool) or "default:" in text or f.default in (None, ()):
        return text.replace("%", "%%")
    return f"{text} (default: {f.default})".replace("%", "%%")


def add_options(
    parser: argparse.ArgumentParser,
    cls: type[Any],
    *,
    only: Iterable[str] | None = None,
    help: Mapping[str, str] | None = None,  # noqa: A002
    title: str | None = None,
) -> None:
    """Add one option per field of the dataclass ``cls`` to ``parser``, in a group.

    The flag is ``--field-name`` (or the field's ``flag``); a boolean that defaults to ``True``
    becomes a ``--no-...`` switch; ``int | None`` takes an int; a tuple takes a comma-separated
    list; a field whose ``registry`` is closed gets that registry's names as choices.

    Args:
        parser: The (sub)command's parser.
        cls: An option dataclass.
        only: Add just these fields (default: all).
        help: Help that replaces a field's own, by field name.
        title: The group's title (default: the class name without ``Options``).
    """
    hints = typing.get_type_hints(cls)
    doc = (cls.__doc__ or "").strip().split("\n")[0]
    name = title or cls.__name__.removesuffix("Options").lower()
    group = parser.add_argument_group(f"{name} options", doc or None)
    wanted = set(only) if only is not None else None
    for f in dataclasses.fields(cls):
        if wanted is not None and f.name not in wanted:
            continue
        reg_name = f.metadata.get("registry")
        reg = registry(reg_name) if reg_name else None
        text = _help(f, reg, (help or {}).get(f.name))
        flag = f.metadata.get("flag") or "--" + f.name.replace("_", "-")
        if isinstance(f.default, bool):
            action = "store_false" if f.default else "store_true"
            group.add_argument(flag, dest=f.name, action=action, help=text)
            continue
        kwargs: dict[str, Any] = {"dest": f.name, "default": f.default, "help": text}
        kind = _scalar_type(hints[f.name])
        if kind is not str:
            kwargs["type"] = kind
        if reg is not None and not f.metadata.get("open_choices"):
            kwargs["choices"] = reg.names()
        group.add_argument(flag, **kwargs)


def options_from_args(cls: Callable[..., T], args: argparse.Namespace) -> T:
    """The dataclass ``cls`` built from the parsed arguments its fields were added as.

    A field that was not added keeps its default.
    """
    given = vars(args)
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    return cls(**{n: given[n] for n in names if n in given})
