"""Training with recording: dataset -> model -> epochs -> run directory."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from convlens.core import (
    DataOptions,
    InputContract,
    RecordOptions,
    Registry,
    TrainOptions,
    UserInputError,
    input_contract,
    options_from_json,
    options_to_json,
    progress,
)
from convlens.data import Dataset, augment_batch, load_dataset, normalize, stratified_probe
from convlens.modelkit import output_option, preserve_model_state, select_output
from convlens.models import build_model, default_layers, describe_model, load_weights
from convlens.record import Recorder, load_optimizer_state
from convlens.store import Run, RunWriter

from ._catalogue import model_spec

OPTIMIZERS: Registry[Callable[..., torch.optim.Optimizer]] = Registry("optimizer")
OPTIMIZERS.register("adam", help="Adam (the TrainVideo paper's choice)")(torch.optim.Adam)
OPTIMIZERS.register("adamw", help="AdamW, decoupled weight decay")(torch.optim.AdamW)
OPTIMIZERS.register("sgd", help="SGD with momentum 0.9")(
    lambda params, lr, weight_decay: torch.optim.SGD(
        params, lr=lr, momentum=0.9, weight_decay=weight_decay
    )
)

EpochCallback = Callable[[int, dict[str, float]], None]


def _device(name: str) -> torch.device:
    try:
        dev = torch.device(name)
    except RuntimeError as exc:
        raise UserInputError(f"unknown --device '{name}': use cpu, cuda or cuda:N") from exc
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise UserInputError("--device cuda asked for, but no CUDA GPU is available: use cpu")
    return dev


def training_contract(data: DataOptions, ds: Dataset) -> InputContract:
    """The input contract of a training run: ``data.preprocess`` at the dataset's size.

    The dataset's pictures are already square at the input size (a folder's are cut by the
    contract's resize policy when loaded), so only the colours are normalised in training; the
    recorded contract cuts an upload the same way the folder's pictures were cut.
    """
    contract = input_contract(data.preprocess, ds.image_size, ds.channels)
    if contract.channels != ds.channels:
        raise UserInputError(
            f"--preprocess {data.preprocess} is for colour pictures, but {ds.name} is grey: use "
            "--preprocess none (or pad, stretch)"
        )
    return replace(contract, resize_to=None)


def _as_input(images: np.ndarray, contract: InputContract) -> torch.Tensor:
    return torch.from_numpy(normalize(images, contract))


def evaluate(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    batch_size: int = 256,
    device: torch.device | None = None,
    output: str | None = None,
) -> tuple[float, float]:
    """Accuracy and mean cross-entropy of ``model`` on (x, y) in eval mode (mode restored)."""
    device = device or torch.device("cpu")
    correct, loss = 0, 0.0
    with preserve_model_state(model, train=False, grad=False):
        for s in range(0, len(x), batch_size):
            xb, yb = x[s : s + batch_size].to(device), y[s : s + batch_size].to(device)
            out = select_output(model(xb), output)
            loss += float(F.cross_entropy(out, yb, reduction="sum"))
            correct += int((out.argmax(1) == yb).sum())
    n = max(len(x), 1)
    return correct / n, loss / n


def _train_epoch(
    model: nn.Module,
    opt: torch.optim.Optimizer,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    epoch: int,
    options: TrainOptions,
    augment: bool,
    device: torch.device,
    n_epochs: int,
    flip: bool = False,
    output: str | None = None,
) -> float:
    """One epoch; every random draw comes from (seed, epoch) so a resumed run matches."""
    gen = torch.Generator().manual_seed(options.seed * 100_003 + epoch)
    order = torch.randperm(len(x), generator=gen)
    model.train()
    total, n = 0.0, 0
    with torch.random.fork_rng(devices=[]):  # dropout draws; the caller's RNG is left alone
        torch.manual_seed(options.seed * 100_003 + epoch)
        bar = progress(
            range(0, len(x), options.batch_size),
            desc=f"epoch {epoch}/{n_epochs}",
            unit="batch",
            leave=False,
        )
        for s in bar:
            idx = order[s : s + options.batch_size]
            xb = x[idx]
            if augment:
                xb = augment_batch(xb, gen, flip=flip)
            xb, yb = xb.to(device), y[idx].to(device)
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(select_output(model(xb), output), yb)
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
            n += len(idx)
    return total / max(n, 1)


def _probe(ds: Dataset, data: DataOptions, seed: int, contract: InputContract) -> dict[str, Any]:
    """The fixed probe set: a class-stratified test subset plus a small training subset."""
    ti = stratified_probe(ds.test.labels, data.probe_size, seed)
    tri = (
        stratified_probe(ds.train.labels, data.train_probe_size, seed + 1)
        if data.train_probe_size
        else np.zeros(0, np.int64)
    )
    images = np.concatenate([ds.test.images[ti], ds.train.images[tri]])
    return {
        "x": _as_input(images, contract),
        "y": np.concatenate([ds.test.labels[ti], ds.train.labels[tri]]),
        "thumbnails": images,
        "indices": np.concatenate([ti, tri]),
        "split": np.concatenate([np.zeros(len(ti), np.int64), np.ones(len(tri), np.int64)]),
        "sources": [ds.test.sources[i] for i in ti] + [ds.train.sources[i] for i in tri],
    }


def _restore_probe(run_dir: str | Path, pr: dict[str, Any]) -> None:
    """Write the probe set of a resumed run again if it is missing or damaged.

    The probe set is drawn from the run's options (data and seed), so it comes out byte for
    byte as first written. This is what makes a run killed before its first epoch completed
    resumable (a run killed while its probe set was being written has none yet).
    """
    writer = RunWriter.resume(run_dir)
    if writer.needs_probe:
        writer.write_probe(
            labels=np.asarray(pr["y"], dtype=np.int64),
            indices=pr["indices"],
            thumbnails=pr["thumbnails"],
            sources=pr["sources"],
            split=pr["split"],
        )


def _finish_after_last_epoch(run_dir: str | Path) -> Path | None:
    """A run killed after its last epoch and before it was marked complete: check, then mark it.

    Returns ``None`` when the check dropped damaged epochs or the probe set is missing: then
    the caller trains again from what is intact.
    """
    before = Run.open(run_dir).epochs
    writer = RunWriter.resume(run_dir)
    if writer.needs_probe or writer.epochs != before:
        return None
    writer.finish()
    return writer.path


@output_option("RecordOptions(output={choice!r})")
def train(
    data: DataOptions,
    options: TrainOptions,
    record: RecordOptions,
    *,
    out: str | Path | None = None,
    resume: str | Path | None = None,
    run_id: str | None = None,
    on_epoch: EpochCallback | None = None,
) -> Path:
    """Train a CNN and record it after every epoch; returns the run directory.

    With ``resume``, the options are read from the run and training continues after its last
    complete epoch (``options.epochs`` is the new total).
    """
    if (out is None) == (resume is None):
        raise UserInputError("give --out RUNS_DIR for a new run, or --resume RUN to continue one")
    start_epoch = 0
    if resume is not None:
        run = Run.open(resume)
        cfg = run.config
        target_epochs = options.epochs
        data = options_from_json(DataOptions, cfg.get("data", {}))
        options = replace(
            options_from_json(TrainOptions, cfg.get("train", {})), epochs=max(target_epochs, 1)
        )
        record = options_from_json(RecordOptions, cfg.get("record", {}))
        start_epoch = run.epochs[-1] if run.epochs else 0
        if start_epoch >= options.epochs and run.manifest.status != "complete":
            finished = _finish_after_last_epoch(resume)
            if finished is not None:
                return finished
            start_epoch = (Run.open(resume).epochs or [0])[-1]
        if start_epoch >= options.epochs:
            raise UserInputError(
                f"run {run.run_id} already has {start_epoch} epochs: pass --epochs N with N > "
                f"{start_epoch} to train further"
            )
    device = _device(options.device)
    t0 = time.perf_counter()
    ds = load_dataset(
        data.data,
        image_size=data.image_size,
        seed=options.seed,
        train_per_class=data.train_per_class,
        test_per_class=data.test_per_class,
        resize=input_contract(data.preprocess, 8).resize,
    )
    contract = training_contract(data, ds)
    n_classes = len(ds.class_names)
    with torch.random.fork_rng(devices=[]):  # seeded init without touching the caller's RNG
        torch.manual_seed(options.seed)
        model = build_model(  # a resumed ONNX run: from the copy the run keeps
            (resume and model_spec(Run.open(resume))) or options.model,
            in_channels=ds.channels,
            num_classes=n_classes,
            image_size=ds.image_size,
        )
    if options.weights:
        load_weights(model, options.weights)
    x_train = _as_input(ds.train.images, contract)
    y_train = torch.as_tensor(ds.train.labels)
    x_test = _as_input(ds.test.images, contract)
    y_test = torch.as_tensor(ds.test.labels)
    pr = _probe(ds, data, options.seed, contract)
    if resume is not None:
        _restore_probe(resume, pr)
    summary = describe_model(model, (1, ds.channels, ds.image_size, ds.image_size))
    layers = list(record.layers) or default_layers(model, pr["x"][:1])
    model.to(device)
    opt = OPTIMIZERS.get(options.optimizer)(
        model.parameters(), lr=options.lr, weight_decay=options.weight_decay
    )
    if resume is not None:
        rr = Run.open(resume)
        if start_epoch:
            load_weights(model, rr.checkpoint_path(start_epoch))
            opt_path = rr.optimizer_path(start_epoch)
            if opt_path is not None:
                load_optimizer_state(opt, opt_path.read_bytes())
    config = options_to_json(data, options, record)
    # train accuracy comes from the training probes (eval mode) when there are some
    train_eval = (
        stratified_probe(ds.train.labels, min(len(y_train), 500), options.seed + 2)
        if data.train_probe_size == 0
        else None
    )
    setup_s = time.perf_counter() - t0
    recorder = Recorder(
        model,
        pr["x"],
        pr["y"],
        options=replace(record, layers=tuple(layers)),
        preprocess=contract,
        out=out,
        resume=resume,
        run_id=run_id,
        class_names=list(ds.class_names),
        config=config,
        dataset={
            "name": ds.name,
            "spec": data.data,
            "image_size": ds.image_size,
            "channels": ds.channels,
            "train": len(y_train),
            "test": len(y_test),
        },
        model_info={"name": options.model, "spec": options.model, "summary": summary},
        thumbnails=pr["thumbnails"],
        probe_indices=pr["indices"],
        probe_sources=pr["sources"],
        probe_split=pr["split"],
    )
    try:
        writer = _train_recorded(
            recorder,
            model,
            opt,
            start_epoch=start_epoch,
            setup_s=setup_s,
            x_train=x_train,
            y_train=y_train,
            x_test=x_test,
            y_test=y_test,
            train_eval=train_eval,
            data=data,
            options=options,
            device=device,
            on_epoch=on_epoch,
            flip=ds.hflip,
        )
    except BaseException:
        w = recorder.writer
        if out is not None and w is not None and not w.epochs:
            shutil.rmtree(w.path, ignore_errors=True)  # nothing complete to keep
        raise
    return writer.path


def _train_recorded(
    recorder: Recorder,
    model: nn.Module,
    opt: torch.optim.Optimizer,
    *,
    start_epoch: int,
    setup_s: float,
    x_train: torch.Tensor,
    y_train: torch.Tensor,
    x_test: torch.Tensor,
    y_test: torch.Tensor,
    train_eval: np.ndarray | None,
    data: DataOptions,
    options: TrainOptions,
    device: torch.device,
    on_epoch: EpochCallback | None,
    flip: bool,
) -> RunWriter:
    with recorder:
        writer = recorder.writer
        if writer is None:  # pragma: no cover - out or resume was checked above
            raise UserInputError("no run to write to")
        if start_epoch == 0:
            writer.set_extra("setup_seconds", round(setup_s, 3))
        for epoch in range(start_epoch + 1, options.epochs + 1):
            t_train = time.perf_counter()
            train_loss = _train_epoch(
                model,
                opt,
                x_train,
                y_train,
                epoch=epoch,
                options=options,
                augment=data.augment,
                device=device,
                n_epochs=options.epochs,
                flip=flip,
                output=recorder.options.output,
            )
            t_eval = time.perf_counter()
            test_acc, test_loss = evaluate(
                model, x_test, y_test, device=device, output=recorder.options.output
            )
            train_acc = None
            if train_eval is not None:
                train_acc, _ = evaluate(
                    model,
                    x_train[train_eval],
                    y_train[train_eval],
                    device=device,
                    output=recorder.options.output,
                )
            t_rec = time.perf_counter()
            metrics = {
                "train_loss": train_loss,
                "test_accuracy": test_acc,
                "test_loss": test_loss,
                "train_seconds": t_eval - t_train,
                "eval_seconds": t_rec - t_eval,
            }
            if train_acc is not None:
                metrics["train_accuracy"] = train_acc
            recorder.record_epoch(metrics, epoch=epoch, optimizer=opt)
            metrics = dict(recorder.last_metrics)
            metrics["record_seconds"] = time.perf_counter() - t_rec
            if on_epoch is not None:
                on_epoch(epoch, metrics)
    return writer
