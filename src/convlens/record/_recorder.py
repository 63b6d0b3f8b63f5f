"""The Recorder: activations of chosen layers on a fixed probe set, once per epoch."""

from __future__ import annotations

import os
import shutil
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from convlens.core import HookSet, InputContract, RecordOptions, UserInputError
from convlens.modelkit import default_layers, preserve_model_state, reused_message, select_output
from convlens.store import RunWriter

from ._checkpoint import model_to_bytes, optimizer_to_bytes
from ._device import ProbeFeeder, keep
from ._distributed import detect, on_writer, unwrap
from ._layers import LayerSpec, resolve_layers
from ._reducers import REDUCERS
from ._runinfo import (
    class_names,
    keep_model_file,
    options_with,
    probe_contract,
    probe_thumbnails,
    run_dataset,
    run_model_info,
)


@dataclass(frozen=True)
class Capture:
    """What one pass over the probe set saw.

    Attributes:
        activations: layer name -> [N, D] float32 (reduced, detached copies).
        logits: [N, C] float32 model outputs.
        loss: [N] per-example cross-entropy, or None without labels.
    """

    activations: dict[str, np.ndarray]
    logits: np.ndarray
    loss: np.ndarray | None

    def accuracy(self, labels: np.ndarray) -> float:
        return float((self.logits.argmax(1) == np.asarray(labels)).mean())


def _model_device(model: nn.Module) -> torch.device:
    for p in model.parameters():
        return p.device
    for b in model.buffers():
        return b.device
    return torch.device("cpu")


class Recorder:
    """Records chosen layers of any ``nn.Module`` on a fixed probe set after every epoch.

    Hooks exist only while :meth:`capture` runs and are removed also when the forward pass
    raises; the model's train/eval flags and grad mode are restored; recorded tensors are
    detached copies. Used as a context manager with ``out``, it writes a run directory.

    What to record comes from ``options`` (a :class:`~convlens.core.RecordOptions`); the
    keywords ``layers``, ``reducer``, ``checkpoints`` and ``output`` fill in the same options
    (a keyword wins over ``options``).

    So that every view of the web app works on the run, it also records how to rebuild the
    model (``spec``; inferred when the model's class is importable and needs no arguments) and
    how pictures become input (``preprocess``); the input size, channels and thumbnails come
    from the probes. A run whose first epoch never completed is removed on failure.

    Example:
        >>> with Recorder(model, probe_x, probe_y, layers="conv2,fc1", out="runs") as rec:
        ...     for epoch in range(10):
        ...         train_one_epoch(model)
        ...         rec.record_epoch(metrics={"train_loss": loss})
        >>> Recorder(model, probe_x, options=RecordOptions(layers=("fc1",), reducer="max"))

    Args:
        model: The network; it is never changed.
        probe_inputs: [N, ...] float tensor, the fixed probe set.
        probe_labels: [N] int class labels (for per-probe loss and accuracy), optional.
        options: What to record: layers (none: ``default_layers(model, probe)``), reducer,
            checkpoints, output.
        layers: Names, globs, type names or module classes (see ``resolve_layers``).
        reducer: Name of a registered reducer (one of ``REDUCERS``).
        checkpoints: Keep a safetensors state_dict per epoch.
        output: For a model returning a tuple/list or dict: the index or key of the class
            scores in it.
        preprocess: How pictures were made into the probe tensors: an ``InputContract`` (e.g.
            ``InputContract.from_torchvision(weights.transforms())``) or a preset name
            (``imagenet``, ``none``, ``pad``, ``stretch``). Default: ``none`` when the probes
            are pixels in ``[0, 1]``.
        spec: How the web app rebuilds the model: ``package.module:factory`` (called with
            whichever of ``num_classes``, ``in_channels``, ``image_size`` it takes) or
            ``torchvision:NAME``. Same as ``model_info={"spec": ...}``.
        keep: Captures kept in :attr:`history` (the last ``keep``; older ones are dropped).
        batch_size: Probe examples per forward pass.
        out: Runs folder to write ``out/<run_id>/`` into; None keeps captures in memory only.
        resume: An existing run directory to append epochs to (instead of ``out``).
        class_names: Names of the classes, in label order.
        run_id, config, dataset, model_info: Written into the run's manifest and config.
        thumbnails, probe_indices, probe_sources: Shown by the viewers (thumbnails default to
            the probes de-normalised with the contract).
        probe_split: [N] 0 for a held-out (test) probe, 1 for a training-set probe.
    """

    def __init__(
        self,
        model: nn.Module,
        probe_inputs: torch.Tensor,
        probe_labels: torch.Tensor | np.ndarray | Sequence[int] | None = None,
        *,
        options: RecordOptions | None = None,
        layers: Sequence[LayerSpec] | str | None = None,
        reducer: str | None = None,
        checkpoints: bool | None = None,
        output: int | str | None = None,
        preprocess: InputContract | str | None = None,
        spec: str | None = None,
        keep: int = 1,
        batch_size: int = 128,
        out: str | os.PathLike[str] | None = None,
        resume: str | os.PathLike[str] | None = None,
        class_names: Sequence[str] | None = None,
        run_id: str | None = None,
        config: Mapping[str, Any] | None = None,
        dataset: Mapping[str, Any] | None = None,
        model_info: Mapping[str, Any] | None = None,
        thumbnails: np.ndarray | None = None,
        probe_indices: np.ndarray | None = None,
        probe_sources: Sequence[str] | None = None,
        probe_split: np.ndarray | None = None,
    ) -> None:
        if not isinstance(model, nn.Module):
            raise UserInputError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        model = unwrap(model)  # a DistributedDataParallel wrapper: record the module inside
        if not isinstance(probe_inputs, torch.Tensor) or probe_inputs.dim() < 2:
            raise UserInputError("probe_inputs must be a tensor [N, ...] with N probe examples")
        if len(probe_inputs) == 0:
            raise UserInputError("the probe set is empty: give at least one probe example")
        if batch_size < 1:
            raise UserInputError(f"batch_size must be positive, got {batch_size}")
        if keep < 0:
            raise UserInputError(f"keep must be 0 or more captures, got {keep}")
        if out is not None and resume is not None:
            raise UserInputError("give either out (a new run) or resume (an existing run)")
        self.model = model
        self.probe_inputs = probe_inputs.detach()
        self.probe_labels = (
            None if probe_labels is None else torch.as_tensor(np.asarray(probe_labels)).long()
        )
        if self.probe_labels is not None and len(self.probe_labels) != len(probe_inputs):
            raise UserInputError(
                f"{len(self.probe_labels)} probe labels for {len(probe_inputs)} probe inputs"
            )
        self.options = options_with(options, layers, reducer, checkpoints, output)
        self.layers = resolve_layers(
            model, self.options.layers or default_layers(model, self._example())
        )
        self.reducer_name = self.options.reducer
        self.reducer = REDUCERS.get(self.reducer_name)
        self.batch_size = batch_size
        self.checkpoints = self.options.checkpoints
        self._out = out
        self._resume = resume
        self._class_names = list(class_names) if class_names is not None else None
        self._run_args = {
            "run_id": run_id,
            "config": dict(config or {}),
            "dataset": dict(dataset or {}),
            "model_info": dict(model_info or {}),
        }
        if spec is not None:
            self._run_args["model_info"]["spec"] = str(spec)
        self._preprocess = preprocess
        self._probe_extra = (thumbnails, probe_indices, probe_sources, probe_split)
        self.layer_shapes, self.layer_dims, self.n_outputs = self._check_layers()
        self.writer: RunWriter | None = None
        self._created = False
        self.history: deque[Capture] = deque(maxlen=keep)
        self.last_metrics: dict[str, float] = {}
        self.epoch = 0
        # under torch.distributed: this rank's share of the probe set (rank 0 writes)
        self._share = detect(self.probe_inputs, self.probe_labels)
        self._feeder = ProbeFeeder(self.probe_inputs)

    # -- the one forward pass with hooks ------------------------------------------------------

    def _example(self) -> torch.Tensor:
        return self.probe_inputs[:1].to(_model_device(self.model))

    def _logits(self, out: Any) -> torch.Tensor:
        """The class scores in the model's output (``options.output`` picks them from a tuple)."""
        scores = select_output(out, self.options.output)
        if not isinstance(scores, torch.Tensor):
            raise UserInputError(
                f"the chosen model output is {type(scores).__name__}, not a tensor of class "
                "scores: choose another part of the output (output=...)"
            )
        return scores

    def _check_layers(self) -> tuple[dict[str, list[int]], dict[str, int], int]:
        """One dry pass on one example: find reused modules and non-tensor outputs early.

        Returns each layer's output shape (without the batch), its width once reduced, and
        the number of class scores.
        """
        calls: dict[str, list[Any]] = {n: [] for n in self.layers}
        modules = dict(self.model.named_modules())
        with preserve_model_state(self.model, train=False, grad=False), HookSet() as hooks:
            for name in self.layers:

                def hook(_m: nn.Module, _i: Any, out: Any, name: str = name) -> None:
                    calls[name].append(out)

                hooks.add(modules[name].register_forward_hook(hook))
            scores = self._logits(self.model(self._example()))
        shapes, dims = {}, {}
        for name, outs in calls.items():
            if len(outs) == 0:
                raise UserInputError(
                    f"layer '{name}' is never called in the forward pass: record a module that "
                    "the model's forward() uses"
                )
            if len(outs) > 1:
                raise UserInputError(reused_message(name, len(outs)))
            if not isinstance(outs[0], torch.Tensor):
                raise UserInputError(
                    f"layer '{name}' returns {type(outs[0]).__name__}, not a tensor: record a "
                    "submodule that returns a tensor (e.g. the layer inside an LSTM/attention "
                    "block) or wrap it in a module that returns the tensor you want"
                )
            shapes[name] = list(outs[0].shape[1:])
            dims[name] = int(self.reducer(outs[0].detach()).reshape(1, -1).shape[1])
        return shapes, dims, int(scores.reshape(len(scores), -1).shape[1])

    def capture(self) -> Capture:
        """Run the probe set through the model once, in eval mode without gradients.

        Recorded rows stay on the model's device until the pass ends (no host sync per batch).
        Under torch.distributed each rank runs its share and every rank gets the whole capture.
        """
        modules = dict(self.model.named_modules())
        chunks: dict[str, list[torch.Tensor]] = {n: [] for n in self.layers}
        logits: list[torch.Tensor] = []
        device = _model_device(self.model)
        share = self._share
        start, stop = (0, len(self.probe_inputs)) if share is None else (share.start, share.stop)
        with preserve_model_state(self.model, train=False, grad=False), HookSet() as hooks:
            for name in self.layers:

                def hook(_m: nn.Module, _i: Any, out: Any, name: str = name) -> None:
                    chunks[name].append(keep(out, self.reducer(out.detach())))

                hooks.add(modules[name].register_forward_hook(hook))
            for xb in self._feeder.batches(start, stop, self.batch_size, device):
                out = self._logits(self.model(xb))
                logits.append(out.detach().float().flatten(1))
        acts_t = {n: torch.cat(c) for n, c in chunks.items()}
        lg = torch.cat(logits)
        if share is not None:
            acts_t, lg = share.gather(acts_t, lg)
        acts = {n: a.cpu().numpy() for n, a in acts_t.items()}  # once per epoch
        lg = lg.cpu()
        loss = None
        if self.probe_labels is not None:
            loss = F.cross_entropy(lg, self.probe_labels, reduction="none").numpy()
        return Capture(activations=acts, logits=lg.numpy(), loss=loss)

    # -- writing a run --------------------------------------------------------------------------

    def __enter__(self) -> Recorder:
        def open_run() -> int:  # rank 0 only under torch.distributed; the others learn the epoch
            if self._resume is not None:
                self.writer = RunWriter.resume(self._resume)
                self.epoch = self.writer.epochs[-1] if self.writer.epochs else 0
            elif self._out is not None:
                self.writer = self._create_run()
            return self.epoch

        self.epoch = on_writer(self._share, open_run)
        return self

    def _create_run(self) -> RunWriter:
        """Write the run's manifest and probe set; nothing is left behind if that fails."""
        given = self._run_args["model_info"]
        contract = (
            InputContract.from_json(given["input"])
            if given.get("input") is not None and self._preprocess is None
            else probe_contract(self._preprocess, self.probe_inputs)
        )
        thumbs, indices, sources, split = self._probe_extra
        writer = RunWriter.create(
            self._out,  # type: ignore[arg-type]
            run_id=self._run_args["run_id"],
            config=self._run_args["config"],
            dataset=run_dataset(self._run_args["dataset"], self.probe_inputs),
            model=run_model_info(
                self.model,
                self.probe_inputs,
                given,
                self.options.output,
                self.n_outputs,
                # unasked, the contract is the none preset: what a run without one is read as
                contract if self._preprocess is not None or given.get("input") else None,
            ),
            classes=class_names(self._class_names, self.n_outputs),
            layers={
                n: {"shape": s, "dim": self.layer_dims[n], "reducer": self.reducer_name}
                for n, s in self.layer_shapes.items()
            },
            versions={"torch": torch.__version__, "numpy": np.__version__},
        )
        self._created = True
        n = len(self.probe_inputs)
        try:
            keep_model_file(writer, given)
            writer.write_probe(
                labels=(
                    self.probe_labels.numpy()
                    if self.probe_labels is not None
                    else np.full(n, -1, dtype=np.int64)
                ),
                indices=np.arange(n) if indices is None else np.asarray(indices),
                thumbnails=probe_thumbnails(contract, self.probe_inputs)
                if thumbs is None
                else thumbs,
                sources=list(sources) if sources is not None else None,
                split=split,
            )
        except BaseException:
            shutil.rmtree(writer.path, ignore_errors=True)
            raise
        return writer

    def record_epoch(
        self,
        metrics: Mapping[str, float] | None = None,
        *,
        epoch: int | None = None,
        optimizer: torch.optim.Optimizer | None = None,
    ) -> Capture:
        """Capture the probe set and, with a run, append it as the next epoch.

        Args:
            metrics: Extra per-epoch numbers (train loss, test accuracy ...).
            epoch: The epoch number (default: one more than the last).
            optimizer: Also checkpoint its state, so training can resume exactly.
        """
        cap = self.capture()
        self.epoch = self.epoch + 1 if epoch is None else int(epoch)
        m = dict(metrics or {})
        if self.probe_labels is not None and cap.loss is not None:
            labels = self.probe_labels.numpy()
            m.setdefault("probe_accuracy", cap.accuracy(labels))
            m.setdefault("probe_loss", float(cap.loss.mean()))
            split = self._probe_extra[3]
            if split is not None and (np.asarray(split) == 1).any():
                # the training-set probes were just run in eval mode: their accuracy is free
                train = np.asarray(split) == 1
                correct = cap.logits.argmax(1) == labels
                m.setdefault("train_accuracy", float(correct[train].mean()))
        self.history.append(cap)
        self.last_metrics = m
        on_writer(self._share, lambda: self._write(cap, m, optimizer))  # rank 0 writes
        return cap

    def _write(
        self, cap: Capture, m: dict[str, float], optimizer: torch.optim.Optimizer | None
    ) -> None:
        if self.writer is None:
            return
        outputs = {"logits": cap.logits}
        if cap.loss is not None:
            outputs["loss"] = cap.loss
        self.writer.write_epoch(
            self.epoch,
            activations=cap.activations,
            outputs=outputs,
            metrics=m,
            checkpoint=model_to_bytes(self.model) if self.checkpoints else None,
            optimizer=(
                optimizer_to_bytes(optimizer)
                if self.checkpoints and optimizer is not None
                else None
            ),
        )

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.writer is None:
            return
        if exc_type is not None and self._created and not self.writer.epochs:
            # a run whose first epoch never completed holds nothing worth keeping
            shutil.rmtree(self.writer.path, ignore_errors=True)
            return
        self.writer.finish("complete" if exc_type is None else "interrupted")
