"""A run from a model that is already trained: no training, one recorded epoch, every view.

``snapshot(model_or_spec, data=DIR, out=RUNS_DIR)`` records the model once on a probe set read
from an image folder (class sub-folders, a ``train``/``test`` layout, or a flat folder of
pictures), with the input contract and class names stored in the run, so the web app's explorer,
attributions, class gradients, importance and network views all work on it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError
from torch import nn

from convlens.core import InputContract, UserInputError, input_contract, progress
from convlens.data import normalize, prepare_image
from convlens.modelkit import default_layers, output_option, preserve_model_state, select_output
from convlens.models import build_model, load_pretrained, load_weights, weights_in_channels
from convlens.record import Recorder

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp")
_PRETRAINED = ("torchvision:", "timm:", "onnx:")


@dataclass(frozen=True)
class ProbeImages:
    """Pictures found in a folder: what the model sees, their labels and where they came from."""

    pictures: np.ndarray  # uint8 [N, H, W, C] at the model's input size
    labels: np.ndarray | None  # int64 [N], or None for a flat folder
    sources: list[str]


def _images_in(folder: Path) -> list[Path]:
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".")
    )


def _norm(name: str) -> str:
    return name.strip().lower().replace("_", " ").replace("-", " ")


def _label_folders(
    folders: list[Path], class_names: Sequence[str] | None
) -> tuple[dict[Path, int], list[str]]:
    """Class index of every sub-folder: by name among the model's classes, else folder order."""
    if not class_names:
        names = [f.name for f in folders]
        return {f: i for i, f in enumerate(folders)}, names
    index = {_norm(n): i for i, n in enumerate(class_names)}
    unknown = [f.name for f in folders if _norm(f.name) not in index and not f.name.isdigit()]
    if unknown:
        shown = ", ".join(list(class_names)[:5])
        raise UserInputError(
            f"sub-folder(s) {', '.join(unknown[:5])} name no class of this model: name each "
            f"folder after a class (e.g. {shown}) or its index, or put the pictures in one "
            "flat folder (no labels)"
        )
    labels = {}
    for f in folders:
        labels[f] = int(f.name) if f.name.isdigit() else index[_norm(f.name)]
        if labels[f] >= len(class_names):
            raise UserInputError(f"folder {f.name}: the model has {len(class_names)} classes")
    return labels, list(class_names)


def read_probe_folder(
    root: str | os.PathLike[str],
    contract: InputContract,
    *,
    class_names: Sequence[str] | None = None,
    limit: int = 200,
) -> tuple[ProbeImages, list[str] | None]:
    """Pictures from ``root``, prepared by ``contract``, at most ``limit`` spread over classes.

    Layouts: ``root/<class>/*`` (labelled by folder name), ``root/test/<class>/*`` (the held-out
    half of a train/test folder), or ``root/*`` (a flat folder, no labels).

    Returns:
        The probe pictures and the class names (``None`` for a flat folder without them).

    Raises:
        UserInputError: No folder, no pictures, folder names that are not classes.
    """
    root = Path(root).expanduser()
    if not root.is_dir():
        raise UserInputError(f"image folder {root} does not exist")
    base = root / "test" if (root / "test").is_dir() else root
    folders = sorted(d for d in base.iterdir() if d.is_dir() and not d.name.startswith("."))
    folders = [d for d in folders if _images_in(d)]
    if folders:
        labels_of, names = _label_folders(folders, class_names)
        per = [_images_in(d) for d in folders]
        take = max(1, limit // len(folders))
        files = [(p, labels_of[d]) for d, ps in zip(folders, per, strict=True) for p in ps[:take]]
    else:
        files = [(p, -1) for p in _images_in(root)][:limit]
        names = list(class_names) if class_names else None
    if not files:
        raise UserInputError(
            f"no pictures ({', '.join(IMAGE_SUFFIXES)}) in {root}: put them in the folder, or in "
            "one sub-folder per class"
        )
    pictures = []
    for path, _ in progress(files, desc="reading pictures", unit="img"):
        try:
            with Image.open(path) as im:
                arr = np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
        except (UnidentifiedImageError, OSError) as err:
            raise UserInputError(f"{path} is not a picture ConvLens can read ({err})") from err
        pictures.append(prepare_image(arr, contract)[1])
    labels = np.asarray([y for _, y in files], np.int64)
    return (
        ProbeImages(
            pictures=np.stack(pictures),
            labels=labels if folders else None,
            sources=[str(p) for p, _ in files],
        ),
        names,
    )


def _read_class_file(path: str | os.PathLike[str]) -> list[str]:
    file = Path(path).expanduser()
    if not file.is_file():
        raise UserInputError(f"class-name file {file} does not exist: one name per line")
    return [line.strip() for line in file.read_text().splitlines() if line.strip()]


def _in_channels(model: nn.Module) -> int:
    """Channels the model's first convolution takes (1 or 3; 3 when it cannot be told)."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            return m.in_channels if m.in_channels in (1, 3) else 3
    return 3


def _n_outputs(model: nn.Module, contract: InputContract, output: str | None) -> int:
    x = torch.zeros(1, contract.channels, *contract.size)
    try:
        with preserve_model_state(model, train=False, grad=False):
            out = model(x)
    except (RuntimeError, ValueError, TypeError) as err:
        raise UserInputError(
            f"the model cannot take {contract.channels}×{contract.size[0]}×{contract.size[1]} "
            f"input ({err}): give the preprocessing that fits it (--preprocess)"
        ) from err
    out = select_output(out, output)  # a tuple or dict without a choice: says how to choose
    if not isinstance(out, torch.Tensor) or out.dim() != 2:
        raise UserInputError(
            f"the model returns {type(out).__name__}, not a [batch, classes] tensor of class "
            "scores: wrap it so forward() returns the logits"
        )
    return int(out.shape[1])


@output_option("snapshot(..., output={choice!r})")
def snapshot(
    model: nn.Module | str,
    *,
    out: str | os.PathLike[str],
    data: str | os.PathLike[str],
    weights: str | os.PathLike[str] | None = None,
    classes: Sequence[str] | str | os.PathLike[str] | None = None,
    preprocess: InputContract | str | None = None,
    image_size: int | None = None,
    layers: Sequence[str] | str | None = None,
    spec: str | None = None,
    probe_size: int = 200,
    run_id: str | None = None,
    output: int | str | None = None,
) -> Path:
    """Record an already-trained model once and write a run every view can show.

    Args:
        model: An ``nn.Module`` (pass ``spec`` so the web app can rebuild it), or a spec:
            ``torchvision:NAME[:WEIGHTS]``, ``timm:NAME``, a ``.onnx`` file, or
            ``package.module:factory`` (with ``weights``).
        out: Runs folder; the run is written to ``out/<run_id>/``.
        data: Image folder for the probe set (class sub-folders or flat).
        weights: A state_dict file to load.
        classes: Class names (a list or a file, one per line); default: the model's own.
        preprocess: An ``InputContract`` or a preset name (``imagenet``, ``none``...);
            default: the model source's own.
        image_size: Input side for a preset (default 224).
        layers: Layers to record (default: the last convolution and the class scores).
        spec: How to rebuild an ``nn.Module`` given directly (``package.module:factory``).
        probe_size: At most this many pictures.
        run_id: Name of the run folder.
        output: For a model returning a tuple/list or dict: the index or key of the class
            scores in it (``--model-output``).

    Raises:
        UserInputError: Anything that does not fit, with what to do; no run folder is left.
    """
    for flag, value in (("--probe-size", probe_size), ("--image-size", image_size)):
        if value is not None and value < 1:
            raise UserInputError(f"{flag} must be 1 or more, got {value}")
    names: list[str] | None = None
    contract: InputContract | None = None
    info: dict[str, object] = {"source": "snapshot"}
    if isinstance(model, str):
        if model.startswith(_PRETRAINED) or model.endswith(".onnx"):
            pre = load_pretrained(model, weights)
            module, spec = pre.model, pre.spec
            names = list(pre.class_names) if pre.class_names else None
            contract, info["weights"] = pre.contract, pre.weights
        else:
            module, spec = _built(model, weights, classes, preprocess, image_size)
            info["weights"] = str(weights)
    elif isinstance(model, nn.Module):
        module = model
        if weights is not None:
            load_weights(module, weights)
    else:
        raise UserInputError(f"model must be an nn.Module or a spec, got {type(model).__name__}")
    if isinstance(preprocess, InputContract):
        contract = preprocess
    elif preprocess is not None:
        contract = input_contract(preprocess, image_size or 224, _in_channels(module))
    if contract is None:
        raise UserInputError(
            "how must pictures be prepared for this model? give --preprocess imagenet (ImageNet "
            "models), --preprocess none (pixels / 255) or an InputContract"
        )
    if classes is not None:
        names = (
            list(classes)
            if isinstance(classes, Sequence) and not isinstance(classes, str)
            else _read_class_file(classes)
        )
    output = None if output is None else str(output)
    n_out = _n_outputs(module, contract, output)
    if names is not None and len(names) != n_out:
        raise UserInputError(
            f"{len(names)} class names for a model with {n_out} outputs: give one name per "
            "output, in output order"
        )
    probe, names = read_probe_folder(data, contract, class_names=names, limit=probe_size)
    if names is None:
        names = [str(i) for i in range(n_out)]
    if len(names) != n_out:
        raise UserInputError(
            f"the folder has {len(names)} class folders but the model has {n_out} outputs: name "
            "the classes (--classes FILE) so folders can be matched to outputs"
        )
    x = torch.from_numpy(normalize(probe.pictures, contract))
    info["input"] = contract.to_json()
    if spec:
        info["spec"] = spec
    chosen = layers if layers is not None else default_layers(module, x[:1])
    rec = Recorder(
        module,
        x,
        probe.labels,
        layers=chosen,
        out=out,
        output=output,
        run_id=run_id,
        class_names=names,
        model_info=info,
        dataset={"name": str(Path(data).expanduser()), "kind": "snapshot"},
        config={"snapshot": {"model": spec, "preprocess": contract.name, "probe_size": probe_size}},
        thumbnails=probe.pictures,
        probe_sources=probe.sources,
    )
    path: Path | None = None
    try:
        with rec:
            assert rec.writer is not None
            path = Path(rec.writer.path)
            rec.record_epoch({})
    except BaseException:
        if path is not None:  # a snapshot is one epoch: nothing worth keeping half-written
            shutil.rmtree(path, ignore_errors=True)
        raise
    assert path is not None
    return path


def _built(
    spec: str,
    weights: str | os.PathLike[str] | None,
    classes: Sequence[str] | str | os.PathLike[str] | None,
    preprocess: InputContract | str | None,
    image_size: int | None,
) -> tuple[nn.Module, str]:
    if weights is None:
        raise UserInputError(
            f"a snapshot of '{spec}' needs its trained weights: pass --weights FILE"
        )
    if classes is None:
        raise UserInputError(f"'{spec}' does not say its classes: pass --classes FILE")
    n = (
        len(classes)
        if isinstance(classes, Sequence) and not isinstance(classes, str)
        else len(_read_class_file(classes))
    )
    if isinstance(preprocess, InputContract):
        channels, size = preprocess.channels, preprocess.size[0]
    else:  # a preset: the channels the weights' first convolution takes
        channels, size = weights_in_channels(weights) or 3, image_size or 224
    module = build_model(spec, in_channels=channels, num_classes=n, image_size=size)
    load_weights(module, weights)
    return module, spec
