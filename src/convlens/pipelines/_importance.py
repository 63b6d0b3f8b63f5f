"""Importance and pruning validation of a run's model, stored back into the run directory.

What lands where (``E`` is the checkpoint's epoch, four digits)::

    importance/<method>-<E>.safetensors   unit and edge importance (ImportanceResult.to_arrays),
                                          how it was made in the metadata
    pruning/<method>-<E>.safetensors      accuracy curves (all classes, and per focused class)
    media/pruning-<method>-<E>.png        accuracy vs fraction removed, three orders
    media/pruning-<method>-<E>-classes.png   the same per class, small multiples

Importance is fitted on the run's *training* images and pruning is measured on its *test*
images, both reloaded from ``config.json`` (runs made by ``convlens train`` / ``demo``). A run
that does not say how to reload its data (a Recorder or snapshot run) takes ``data=(images,
labels)``, or ``probe_fallback=True`` (what ``convlens importance`` does): its labelled probe
set, prepared with the run's input contract, with a note that says so.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from convlens.analyze import IMPORTANCE, ImportanceResult, PruningCurves, pruning_curves
from convlens.core import (
    DataOptions,
    InputContract,
    UnavailableError,
    UserInputError,
    input_contract,
    options_from_json,
)
from convlens.data import images_to_tensor, load_dataset, normalize
from convlens.render import Curve, curve_chart, curve_grid, encode_png
from convlens.store import Run, open_for_update

from ._catalogue import checkpoint_epoch, class_index, input_shape
from ._models import run_model

_BLUE, _ORANGE, _GREY, _GREEN = (0, 114, 178), (230, 159, 0), (120, 120, 120), (0, 158, 115)
_LABELS = {
    "importance": "least important first",
    "reverse": "most important first",
    "random": "random order (mean ± sd)",
}
_FOCUS = "least important for this class first"
_COLORS = {"importance": _BLUE, "reverse": _ORANGE, "random": _GREY}

Data = tuple[torch.Tensor, "torch.Tensor | np.ndarray"]


def importance_path(method: str, epoch: int) -> str:
    """``importance/<method>-<EEEE>.safetensors`` inside the run."""
    return f"importance/{method}-{epoch:04d}.safetensors"


def pruning_path(method: str, epoch: int) -> str:
    """``pruning/<method>-<EEEE>.safetensors`` inside the run."""
    return f"pruning/{method}-{epoch:04d}.safetensors"


@dataclass(frozen=True)
class ImportanceRun:
    """What :func:`importance_run` computed and where it stored it."""

    result: ImportanceResult
    epoch: int
    path: Path
    seconds: float
    data_note: str | None = None


@dataclass(frozen=True)
class PruningRun:
    """What :func:`prune_run` computed and where it stored it.

    Attributes:
        curves: Ranked by overall importance, every order.
        focus: Class index -> curves ranked by that class's importance (least important first).
        epoch: The checkpoint's epoch.
        path: The stored curves.
        plots: ``"all"`` and ``"classes"`` -> PNG files under ``media/``.
        chance: Accuracy of always answering the most common class.
        seconds: Time taken.
    """

    curves: PruningCurves
    focus: dict[int, PruningCurves]
    epoch: int
    path: Path
    plots: dict[str, Path]
    chance: float
    seconds: float


def _model(run: Run, epoch: int | None) -> tuple[nn.Module, int]:
    return run_model(run, epoch)


def _run_data(run: Run, split: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The run's training or test images, regenerated from its config."""
    cfg = run.config
    if "data" not in cfg:
        raise UnavailableError(
            f"run {run.run_id} does not say which data it was trained on (no 'data' in "
            "config.json), so its images cannot be reloaded: runs made by convlens train or "
            "convlens demo can; from Python, pass data=(images, labels) or probe_fallback=True "
            "(the run's labelled probe set)"
        )
    opts = options_from_json(DataOptions, cfg["data"])
    ds = load_dataset(
        opts.data,
        image_size=opts.image_size,
        seed=int(cfg.get("train", {}).get("seed", 0)),
        train_per_class=opts.train_per_class,
        test_per_class=opts.test_per_class,
    )
    if list(ds.class_names) != run.classes:
        raise UnavailableError(
            f"the data '{opts.data}' now has classes {list(ds.class_names)}, but run "
            f"{run.run_id} was trained on {run.classes}: pass data=(images, labels)"
        )
    part = ds.train if split == "train" else ds.test
    return images_to_tensor(part.images), torch.as_tensor(part.labels)


def probe_data(
    run: Run, *, labelled: bool = True, pruning: bool = False
) -> tuple[torch.Tensor, torch.Tensor | None, str]:
    """The run's labelled probe set as model input (with the run's contract), and a note.

    With ``labelled=False`` (a method that needs no labels, such as ``weight``): every probe
    picture, and no labels. ``pruning``: the message for a run without labels says that
    pruning measures accuracy (instead of pointing to ``--method weight``)."""
    probe = run.probe()
    labels = np.asarray(probe.get("labels", np.zeros(0)), np.int64)
    keep = labels >= 0 if labelled else np.ones(len(labels), bool)
    if "thumbnails" not in probe or not keep.any():
        raise UnavailableError(
            f"run {run.run_id} does not say which data it was trained on and has no labelled "
            "probe pictures: "
            + (
                "pruning measures accuracy, so "
                if pruning
                else "use --method weight (it needs no labels), or "
            )
            + "make the run from a folder with one sub-folder per class, or from Python pass "
            "data=(images, labels)"
        )
    stored = run.manifest.model.get("input")
    c, s, _ = input_shape(run)
    contract = InputContract.from_json(stored) if stored else input_contract("none", s, c)
    x = torch.from_numpy(normalize(probe["thumbnails"][keep], contract))
    kind = "labelled probe pictures" if (labels[keep] >= 0).all() else "probe pictures"
    note = (
        f"run {run.run_id} does not say which data it was trained on: importance was measured "
        f"on its {int(keep.sum())} {kind} instead "
        "(from Python, pass data=(images, labels) to use others)"
    )
    return x, torch.as_tensor(labels[keep]) if labelled else None, note


def class_indices(run: Run, classes: Sequence[int | str] | None) -> list[int] | None:
    """Class names or indices checked against the run (an unknown one names the classes)."""
    if classes is None:
        return None
    return [class_index(run, c, 0) for c in classes]


def _estimator_params(method: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
    cls = IMPORTANCE.get(method)
    accepted = [p for p in inspect.signature(cls.__init__).parameters][2:]
    bad = [k for k in (params or {}) if k not in accepted or k in ("layers", "classes")]
    if bad:
        raise UserInputError(
            f"importance method '{method}' has no parameter {', '.join(bad)}: it takes "
            f"{', '.join(p for p in accepted if p not in ('layers', 'classes'))}"
        )
    return dict(params or {})


def importance_run(
    run_dir: str | Path,
    *,
    epoch: int | None = None,
    method: str = "bn_gamma",
    data: Data | None = None,
    classes: Sequence[int | str] | None = None,
    layers: Sequence[str] | None = None,
    params: Mapping[str, Any] | None = None,
    probe_fallback: bool = False,
) -> ImportanceRun:
    """Compute the importance of every unit of a run's model and store it in the run.

    Args:
        run_dir: The run folder.
        epoch: Checkpoint to use (default: the last one).
        method: A name in ``IMPORTANCE`` (``bn_gamma``, ``taylor``, ``weight``).
        data: ``(images [N, C, H, W], labels [N])`` to fit on (default: the run's training set).
        classes: Class names or indices to compute (default: all).
        layers: Linear/Conv2d layers to measure (default: all).
        params: The estimator's own parameters, e.g. ``{"epochs": 5}`` for ``bn_gamma``.
        probe_fallback: A run that does not say how to reload its training data is measured
            on its labelled probe set (``ImportanceRun.data_note`` says so).

    Raises:
        UserInputError: A run without checkpoints (says how to make one), an epoch without a
            checkpoint (lists those there are), an unknown method, class or parameter.
    """
    t0 = time.perf_counter()
    run = Run.open(run_dir)
    cls = IMPORTANCE.get(method)
    kwargs = _estimator_params(method, params)
    model, epoch = _model(run, epoch)
    wanted = class_indices(run, classes)
    note = None
    if data is not None:
        x, y = data
    elif "data" in run.config or not probe_fallback:
        x, y = _run_data(run, "train")
    else:
        x, y, note = probe_data(run, labelled=cls.needs_labels)
    est = cls(model, layers=layers, classes=wanted, **kwargs).fit(x, y)
    result = est.result_
    arrays, info = result.to_arrays()
    info.update(epoch=epoch, class_names=run.classes, examples=len(x))
    path = open_for_update(run.path).write_arrays(importance_path(method, epoch), arrays, info)
    return ImportanceRun(result, epoch, path, time.perf_counter() - t0, note)


def load_importance(
    run_dir: str | Path, *, method: str = "bn_gamma", epoch: int | None = None
) -> ImportanceResult:
    """The stored importance of a run's checkpoint (default: the last one).

    Raises:
        UnavailableError: Not computed yet; the message gives the command that computes it.
    """
    run = Run.open(run_dir)
    IMPORTANCE.get(method)
    epoch = checkpoint_epoch(run, epoch)
    got = run.arrays(importance_path(method, epoch))
    if got is None:
        raise UnavailableError(
            f"run {run.run_id} has no '{method}' importance for epoch {epoch} yet: run "
            f"convlens importance {run.path} --method {method} --checkpoint {epoch}"
        )
    return ImportanceResult.from_arrays(*got)


def prune_run(
    run_dir: str | Path,
    *,
    epoch: int | None = None,
    method: str = "bn_gamma",
    data: Data | None = None,
    steps: int = 10,
    seeds: int = 5,
    focus: Sequence[int | str] | None = None,
    batch_size: int = 256,
    probe_fallback: bool = False,
) -> PruningRun:
    """Validate stored importance by pruning; store the curves and their plots in the run.

    Args:
        run_dir: The run folder.
        epoch: Checkpoint (default: the last one); its importance must be stored already.
        method: The importance method whose ranking to test.
        data: ``(images, labels)`` held out from fitting (default: the run's test set).
        steps: Steps from 0 to 100 % of the units of each layer.
        seeds: Random orders to average.
        focus: Classes (names or indices) also pruned by their own importance.
        batch_size: Images per forward pass.
        probe_fallback: A run without reloadable test data is measured on its probe set.

    Raises:
        UnavailableError: No stored importance (the message gives the command), no checkpoint.
    """
    t0 = time.perf_counter()
    run = Run.open(run_dir)
    result = load_importance(run.path, method=method, epoch=epoch)
    model, epoch = _model(run, epoch)
    focused = class_indices(run, focus) or []
    for c in focused:
        result.row(c)
    if data is not None:
        x, y = data
    elif "data" in run.config or not probe_fallback:
        x, y = _run_data(run, "test")
    else:
        x, y, _ = probe_data(run, pruning=True)
    kw = {"steps": steps, "batch_size": batch_size}
    curves = pruning_curves(model, x, y, result, seeds=seeds, **kw)
    by_class = {
        c: pruning_curves(model, x, y, result, orders=("importance",), target=c, **kw)
        for c in focused
    }
    labels = np.asarray(y)
    chance = float(np.bincount(labels).max() / len(labels))
    arrays, info = curves.to_arrays("all.")
    focus_info = {}
    for c, fc in by_class.items():
        more, focus_info[str(c)] = fc.to_arrays(f"class{c}.")
        arrays.update(more)
    meta = {"epoch": epoch, "all": info, "focus": focus_info, "chance": chance}
    meta.update(class_names=run.classes, examples=len(labels))
    writer = open_for_update(run.path)
    path = writer.write_arrays(pruning_path(method, epoch), arrays, meta)
    stem = f"pruning-{method}-{epoch:04d}"
    plots = {
        "all": writer.write_media(f"{stem}.png", encode_png(_plot_all(curves, chance, method))),
        "classes": writer.write_media(
            f"{stem}-classes.png", encode_png(_plot_classes(curves, by_class, run.classes, method))
        ),
    }
    return PruningRun(curves, by_class, epoch, path, plots, chance, time.perf_counter() - t0)


def _order_curves(curves: PruningCurves, column: int | None = None) -> list[Curve]:
    out = []
    for order in ("importance", "random", "reverse"):
        if order not in curves.accuracy:
            continue
        if column is None:
            y, sd = curves.accuracy[order], curves.accuracy_std[order]
        else:
            y = curves.class_accuracy[order][:, column]
            sd = curves.class_accuracy_std[order][:, column]
        spread = sd if order == "random" else None
        out.append(Curve(_LABELS[order], y, spread, _COLORS[order]))
    return out


def _plot_all(curves: PruningCurves, chance: float, method: str) -> np.ndarray:
    return curve_chart(
        curves.fractions,
        _order_curves(curves),
        title=f"Test accuracy as units are removed ({method} importance, no retraining)",
        x_label="units removed from every layer",
        reference=chance,
    )


def _plot_classes(
    curves: PruningCurves, focus: dict[int, PruningCurves], names: list[str], method: str
) -> np.ndarray:
    panels = []
    legend = _order_curves(curves)
    for c, name in enumerate(names):
        lines = _order_curves(curves, c)
        if c in focus:
            y = focus[c].class_accuracy["importance"][:, c]
            lines.insert(0, Curve(_FOCUS, y, None, _GREEN, dashed=True))
        panels.append((name, lines))
    if focus:
        legend.insert(0, Curve(_FOCUS, curves.fractions, None, _GREEN, dashed=True))
    return curve_grid(
        curves.fractions,
        panels,
        title=f"Accuracy of each class as units are removed ({method} importance)",
        x_label="units removed",
        legend=legend,
    )


def pruning_sentence(run: PruningRun, fraction: float = 0.5) -> str:
    """A few plain sentences comparing the orders at ``fraction`` of the units switched off."""
    c = run.curves
    pct = f"{fraction:.0%}"
    parts = [f"Switch off {pct} of the units of every layer."]
    if "importance" in c.accuracy:
        parts.append(
            f"Least important ones first: {c.at(fraction, 'importance'):.0%} of test images "
            "are still right."
        )
    if "random" in c.accuracy:
        i = int(np.argmin(np.abs(c.fractions - fraction)))
        sd = c.accuracy_std["random"][i]
        parts.append(f"Random ones: {c.at(fraction, 'random'):.0%} (± {sd:.0%}).")
    if "reverse" in c.accuracy:
        parts.append(f"Most important ones first: {c.at(fraction, 'reverse'):.0%}.")
    parts.append(f"Always guessing the most common class gets {run.chance:.0%}.")
    return " ".join(parts)
