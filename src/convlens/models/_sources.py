"""Pretrained models from where people get them: torchvision, timm, ONNX files, offline.

``load_pretrained(spec, weights=...)`` gives a :class:`Pretrained`: the model in eval mode, its
class names and its input contract, so a run made from it knows how pictures must be prepared
and what each output means. Nothing is downloaded: torchvision weights come from a file the user
names or from the local torch hub cache (``torch.hub.get_dir()/checkpoints``, where
``torchvision.models.*(weights=...)`` leaves them), and a missing file is named with where to put
it.

Specs: ``torchvision:NAME[:WEIGHTS]`` (``WEIGHTS`` an enum member such as ``IMAGENET1K_V1``,
default ``DEFAULT``), ``timm:NAME``, ``onnx:PATH`` or a path ending in ``.onnx``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import torch
from torch import nn

from convlens.core import InputContract, MissingExtraError, UserInputError, missing_extra

from ._weights import load_weights


@dataclass(frozen=True)
class Pretrained:
    """A trained model ready to look inside.

    Attributes:
        model: The module, in eval mode.
        spec: How to build it again (``torchvision:mobilenet_v2``...).
        class_names: One name per output, or ``None`` when the source does not say.
        contract: How pictures must be prepared, or ``None`` when the source does not say.
        weights: Where the weights came from (a path or a description).
    """

    model: nn.Module
    spec: str
    class_names: tuple[str, ...] | None
    contract: InputContract | None
    weights: str


def imagenet_classes() -> tuple[str, ...]:
    """The 1,000 ImageNet-1k class names, in the order of torchvision's and timm's outputs."""
    text = resources.files("convlens.models").joinpath("data/imagenet_classes.txt").read_text()
    names = tuple(line.strip() for line in text.splitlines() if line.strip())
    assert len(names) == 1000, "the shipped ImageNet class list is damaged"
    return names


def load_pretrained(spec: str, weights: str | os.PathLike[str] | None = None) -> Pretrained:
    """A pretrained model from torchvision, timm or an ONNX file, without downloading.

    Args:
        spec: ``torchvision:NAME[:WEIGHTS]``, ``timm:NAME``, ``onnx:PATH`` or ``PATH.onnx``.
        weights: A state_dict file (safetensors or ``torch.save``) to load instead of the
            source's own weights.

    Raises:
        UserInputError: An unknown spec or model, or weights that cannot be found or do not fit.
        MissingExtraError: The library the spec needs is not installed.
    """
    spec = str(spec).strip()
    kind, _, rest = spec.partition(":")
    if kind == "torchvision":
        return _torchvision(rest, weights)
    if kind == "timm":
        return _timm(rest, weights)
    if kind == "onnx" or spec.endswith(".onnx"):
        return _onnx(rest if kind == "onnx" else spec)
    raise UserInputError(
        f"'{spec}' names no pretrained model: give torchvision:NAME (e.g. "
        "torchvision:mobilenet_v2), timm:NAME or a file ending in .onnx"
    )


# -- torchvision ---------------------------------------------------------------------------


def _import_torchvision() -> Any:
    try:
        import torchvision
    except ImportError:
        raise missing_extra("torchvision", "torchvision") from None
    except Exception as err:  # installed, but built for another torch
        raise MissingExtraError(
            f"torchvision is installed but cannot be imported ({type(err).__name__}: {err}): "
            f"install the torchvision release built for torch {torch.__version__}"
        ) from err
    return torchvision


def _torchvision(rest: str, weights_file: str | os.PathLike[str] | None) -> Pretrained:
    tv = _import_torchvision()
    name, _, member = rest.partition(":")
    known = tv.models.list_models(module=tv.models)
    if name not in known:
        shown = ", ".join(known[:20]) + (", ..." if len(known) > 20 else "")
        raise UserInputError(
            f"torchvision has no classification model '{name}': choose one of {shown}"
        )
    enum = tv.models.get_model_weights(name)
    member = member or "DEFAULT"
    if member not in enum.__members__:
        raise UserInputError(
            f"torchvision's {name} has no weights '{member}': choose one of "
            f"{', '.join(enum.__members__)}"
        )
    w = enum[member]
    model = tv.models.get_model(name, weights=None)
    if weights_file is not None:
        source = str(Path(weights_file).expanduser())
    else:
        source = str(_hub_file(w.url, f"torchvision:{name}:{member}"))
    load_weights(model, source)
    categories = w.meta.get("categories")
    return Pretrained(
        model=model.eval(),
        spec=f"torchvision:{name}",
        class_names=tuple(categories) if categories else None,
        contract=InputContract.from_torchvision(w.transforms(), name=f"torchvision {w}"),
        weights=source,
    )


def _hub_file(url: str, what: str) -> Path:
    path = Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(url)
    if not path.is_file():
        raise UserInputError(
            f"the weights of {what} are not on this machine: ConvLens never downloads. Put "
            f"{os.path.basename(url)} (from {url}) at {path}, or pass the file with --weights"
        )
    return path


# -- timm ----------------------------------------------------------------------------------


def _timm(name: str, weights_file: str | os.PathLike[str] | None) -> Pretrained:
    try:
        import timm
        import timm.data
    except ImportError:
        raise missing_extra("timm", "timm") from None
    if not timm.is_model(name):
        raise UserInputError(f"timm has no model '{name}': see timm.list_models()")
    if weights_file is None:
        raise UserInputError(
            f"timm:{name} needs its weights as a local file (ConvLens never downloads): save "
            f"them once with torch.save(timm.create_model('{name}', pretrained=True)"
            ".state_dict(), 'weights.pth') and pass --weights weights.pth"
        )
    model = timm.create_model(name, pretrained=False)
    source = str(Path(weights_file).expanduser())
    load_weights(model, source)
    config = timm.data.resolve_data_config({}, model=model)
    n_out = getattr(model, "num_classes", None)
    return Pretrained(
        model=model.eval(),
        spec=f"timm:{name}",
        class_names=imagenet_classes() if n_out == 1000 else None,
        contract=InputContract.from_timm(config, name=f"timm {name}"),
        weights=source,
    )


# -- ONNX ----------------------------------------------------------------------------------


def onnx_module(path: str | os.PathLike[str]) -> nn.Module:
    """The modules onnx2torch makes of an ONNX file (with the file's weights).

    Raises:
        UserInputError: No such file, or operators onnx2torch cannot convert.
        MissingExtraError: onnx2torch is not installed.
    """
    file = Path(path).expanduser()
    if not file.is_file():
        raise UserInputError(
            f"ONNX file {file} does not exist: give the path of the .onnx file (a run keeps a "
            "copy of it; one made before ConvLens kept copies needs it where it was)"
        )
    try:
        from onnx2torch import convert
    except ImportError:
        raise missing_extra("onnx2torch", "onnx") from None
    try:
        model: nn.Module = convert(str(file))
    except Exception as err:  # onnx2torch raises many types for operators it cannot convert
        raise UserInputError(
            f"{file} cannot be turned into PyTorch modules ({type(err).__name__}: {err}): "
            "export the model from PyTorch directly if you can"
        ) from err
    return model


def _onnx(path: str) -> Pretrained:
    file = Path(path).expanduser().resolve()
    model = onnx_module(file)
    return Pretrained(
        model=model.eval(), spec=f"onnx:{file}", class_names=None, contract=None, weights=str(file)
    )
