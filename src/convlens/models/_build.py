"""``build_model``: a registered model, a factory named by import path, or a torchvision model."""

from __future__ import annotations

import importlib

import torch
from torch import nn

from convlens.core import MissingExtraError, UserInputError, missing_extra
from convlens.modelkit import IMPORT_SPEC, accepted_sizes, call_factory

from ._zoo import MODELS

_FORMS = (
    "a model name ({names}), 'package.module:factory' (an importable module and a function or "
    "class in it), 'torchvision:<name>' such as torchvision:resnet18, 'timm:<name>' or "
    "'onnx:<file>' (or a path ending in .onnx)"
)
_SIZE_ARGS = ("num_classes", "in_channels", "image_size")


def _forms() -> str:
    return _FORMS.format(names=", ".join(MODELS.names()))


def build_model(spec: str, *, in_channels: int, num_classes: int, image_size: int) -> nn.Module:
    """Build a freshly initialised model.

    Args:
        spec: A name in ``MODELS`` (``"paper"``, ``"tinyvgg"``); ``"package.module:factory"``,
            which imports the module and calls the factory (a function or class, dotted
            attributes allowed) with whichever of ``num_classes``, ``in_channels`` and
            ``image_size`` its signature accepts; or ``"torchvision:<name>"`` (needs
            ``pip install 'convlens[torchvision]'``), built with ``weights=None`` and
            ``num_classes``; for ``in_channels`` other than 3 its first convolution is replaced
            by one taking ``in_channels`` (same size, stride and padding), so module names
            stay those of torchvision; ``"timm:<name>"`` (``timm.create_model`` with
            ``num_classes`` and ``in_chans``); or ``"onnx:<file>"`` or a path ending in
            ``.onnx`` (converted by onnx2torch; its sizes are the file's own).
        in_channels: Channels of the input images.
        num_classes: Number of outputs.
        image_size: Side of the square input images.

    Raises:
        UserInputError: The spec has none of these forms, cannot be imported, or does not
            give an ``nn.Module``.
        MissingExtraError: A torchvision, timm or ONNX model without its library installed.
    """
    sizes = {"in_channels": in_channels, "num_classes": num_classes, "image_size": image_size}
    spec = str(spec).strip()
    if spec in MODELS:
        return MODELS.get(spec)(**sizes)
    if spec.startswith("torchvision:"):
        return _torchvision_model(spec.partition(":")[2], in_channels, num_classes)
    if spec.startswith("timm:"):
        return _timm_model(spec.partition(":")[2], in_channels, num_classes)
    if spec.startswith("onnx:") or spec.endswith(".onnx"):
        return _onnx_model(spec.removeprefix("onnx:"))
    if ":" in spec:
        return _imported_model(spec, sizes)
    raise UserInputError(f"unknown model '{spec}': give {_forms()}")


def _imported_model(spec: str, sizes: dict[str, int]) -> nn.Module:
    if not IMPORT_SPEC.match(spec):
        raise UserInputError(
            f"model spec '{spec}' is not of the form package.module:factory: give {_forms()}"
        )
    module_name, attr_path = spec.split(":")
    try:
        obj = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        raise UserInputError(
            f"cannot import module '{module_name}' of model spec '{spec}' ({err}): expected the "
            f"form package.module:factory with the module installed or on PYTHONPATH"
        ) from err
    for part in attr_path.split("."):
        if not hasattr(obj, part):
            raise UserInputError(
                f"module '{module_name}' has no '{attr_path}' (model spec '{spec}'): expected the "
                f"form package.module:factory naming a function or class in that module"
            )
        obj = getattr(obj, part)
    if not callable(obj):
        raise UserInputError(
            f"'{spec}' is not callable: name a function or class that builds the model"
        )
    args = accepted_sizes(obj, sizes)
    try:
        model = call_factory(obj, sizes)
    except Exception as err:  # the user's factory failed: say which call, and what it raised
        given = ", ".join(f"{k}={v}" for k, v in args.items()) or "no arguments"
        raise UserInputError(
            f"'{spec}' could not build the model with {given} ({type(err).__name__}: "
            f"{str(err).splitlines()[0] if str(err) else 'no message'}): fix the factory, or "
            "give a spec that builds the model with these arguments"
        ) from err
    if not isinstance(model, nn.Module):
        raise UserInputError(
            f"'{spec}' returned {type(model).__name__}, not a torch.nn.Module: the factory must "
            f"return the model"
        )
    return model


def _torchvision_model(name: str, in_channels: int, num_classes: int) -> nn.Module:
    try:
        import torchvision
    except ImportError:
        raise missing_extra("torchvision", "torchvision") from None
    except Exception as err:  # installed, but built for another torch (a common mismatch)
        raise MissingExtraError(
            f"torchvision is installed but cannot be imported ({type(err).__name__}: {err}): "
            f"install the torchvision release built for torch {torch.__version__}"
        ) from err
    known = torchvision.models.list_models(module=torchvision.models)
    if name not in known:
        shown = ", ".join(known[:20]) + (", ..." if len(known) > 20 else "")
        raise UserInputError(
            f"torchvision has no classification model '{name}': choose one of {shown}"
        )
    model = torchvision.models.get_model(name, weights=None, num_classes=num_classes)
    if in_channels != 3:
        _replace_first_conv(model, in_channels)
    return model


def _timm_model(name: str, in_channels: int, num_classes: int) -> nn.Module:
    try:
        import timm
    except ImportError:
        raise missing_extra("timm", "timm") from None
    if not timm.is_model(name):
        raise UserInputError(f"timm has no model '{name}': see timm.list_models()")
    model: nn.Module = timm.create_model(
        name, pretrained=False, num_classes=num_classes, in_chans=in_channels
    )
    return model


def _onnx_model(path: str) -> nn.Module:
    from ._sources import onnx_module

    return onnx_module(path)


def _replace_first_conv(model: nn.Module, in_channels: int) -> None:
    """Swap the first ``Conv2d`` for one taking ``in_channels``, keeping its name and shape."""
    for name, module in model.named_modules():
        if isinstance(module, nn.Conv2d):
            parent_name, _, child = name.rpartition(".")
            parent = model.get_submodule(parent_name) if parent_name else model
            new = nn.Conv2d(
                in_channels,
                module.out_channels,
                kernel_size=module.kernel_size,  # type: ignore[arg-type]
                stride=module.stride,  # type: ignore[arg-type]
                padding=module.padding,  # type: ignore[arg-type]
                dilation=module.dilation,  # type: ignore[arg-type]
                groups=1,
                bias=module.bias is not None,
                padding_mode=module.padding_mode,
            )
            setattr(parent, child, new)
            return
    raise UserInputError(
        f"{type(model).__name__} has no Conv2d to adapt to {in_channels} input channels: "
        f"use 3-channel images"
    )
