"""PyTorch Lightning: record a run while ``Trainer.fit`` trains (``convlens[lightning]``).

Example:
    >>> from convlens.lightning import ConvLensCallback
    >>> rec = ConvLensCallback(probe_x, probe_y, layers="net.conv2,net.fc1", out="runs")
    >>> Trainer(max_epochs=10, callbacks=[rec]).fit(module, loader)

The callback drives the same :class:`~convlens.record.Recorder` as a plain loop: after every
training epoch (after its validation) it records the probe set with the trainer's logged metrics.
Under ``strategy="ddp"`` each process records its share of the probe set and only rank 0 writes.
Its state (the run's folder) is saved in the trainer's checkpoints, so ``fit(ckpt_path=...)``
continues the same run.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import torch

from convlens.core import RecordOptions, UserInputError, missing_extra
from convlens.record import Recorder

try:
    from lightning.pytorch import Callback, LightningModule, Trainer
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise missing_extra("lightning", "lightning") from exc

__all__ = ["ConvLensCallback"]


def _scalars(metrics: Mapping[str, Any]) -> dict[str, float]:
    out = {}
    for k, v in metrics.items():
        if isinstance(v, torch.Tensor) and v.numel() == 1:
            out[k] = float(v.detach().cpu())
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            out[k] = float(v)
    return out


class ConvLensCallback(Callback):  # type: ignore[misc]
    """Records chosen layers of the LightningModule on a fixed probe set after every epoch.

    Arguments mean what they mean for :class:`~convlens.record.Recorder` (``layers`` name
    modules of the LightningModule, e.g. ``"net.conv2"``); the metrics of each epoch are the
    trainer's ``callback_metrics`` (what ``self.log`` logged) plus the probe accuracy and loss.

    Args:
        probe_inputs: [N, ...] the fixed probe set (the same on every process).
        probe_labels: [N] class labels, optional.
        out: Runs folder to write ``out/<run_id>/`` into; None keeps captures in memory.
        options, layers, reducer, checkpoints, batch_size, class_names, run_id, config,
            dataset, model_info, thumbnails, probe_indices, probe_sources, probe_split:
            As for :class:`~convlens.record.Recorder`.
        **recorder_args: Any other Recorder keyword (``preprocess``, ``spec``, ``output``,
            ``keep``), passed on as it is.
    """

    def __init__(
        self,
        probe_inputs: torch.Tensor,
        probe_labels: torch.Tensor | np.ndarray | Sequence[int] | None = None,
        *,
        out: str | os.PathLike[str] | None = None,
        options: RecordOptions | None = None,
        layers: Sequence[Any] | str | None = None,
        reducer: str | None = None,
        checkpoints: bool | None = None,
        batch_size: int = 128,
        class_names: Sequence[str] | None = None,
        run_id: str | None = None,
        config: Mapping[str, Any] | None = None,
        dataset: Mapping[str, Any] | None = None,
        model_info: Mapping[str, Any] | None = None,
        thumbnails: np.ndarray | None = None,
        probe_indices: np.ndarray | None = None,
        probe_sources: Sequence[str] | None = None,
        probe_split: np.ndarray | None = None,
        **recorder_args: Any,
    ) -> None:
        super().__init__()
        self.probe_inputs = probe_inputs
        self.probe_labels = probe_labels
        self.out = None if out is None else str(out)
        self._kwargs: dict[str, Any] = {
            "options": options,
            "layers": layers,
            "reducer": reducer,
            "checkpoints": checkpoints,
            "batch_size": batch_size,
            "class_names": class_names,
            "run_id": run_id,
            "config": config,
            "dataset": dataset,
            "model_info": model_info,
            "thumbnails": thumbnails,
            "probe_indices": probe_indices,
            "probe_sources": probe_sources,
            "probe_split": probe_split,
        }
        self._kwargs.update(recorder_args)  # preprocess=, spec=, output=, keep=: as for Recorder
        self.run_path: str | None = None  # the run being written (kept in checkpoints)
        self.recorder: Recorder | None = None

    @property
    def state_key(self) -> str:
        return self._generate_state_key(out=self.out, run_id=self._kwargs["run_id"])  # type: ignore[no-any-return]

    # -- the trainer's checkpoint -------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        return {"run": self.run_path}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.run_path = state_dict.get("run")

    # -- hooks ----------------------------------------------------------------------------------

    def on_train_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        resume = self.run_path
        self.recorder = Recorder(
            pl_module,
            self.probe_inputs,
            self.probe_labels,
            out=None if resume else self.out,
            resume=resume,
            **self._kwargs,
        )
        self.recorder.__enter__()
        if self.recorder.writer is not None:
            self.run_path = str(Path(self.recorder.writer.path))
        if resume and self.recorder.epoch > trainer.current_epoch:
            self._close(None, None, None)
            raise UserInputError(
                f"run {resume} already holds epoch {self.recorder.epoch} but the checkpoint "
                f"resumes after epoch {trainer.current_epoch}: resume from the last "
                "checkpoint (ckpt_path='last'), or start a new run"
            )

    def on_train_epoch_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if self.recorder is None:
            return
        optimizers = trainer.optimizers
        self.recorder.record_epoch(
            _scalars(trainer.callback_metrics),
            epoch=trainer.current_epoch + 1,
            optimizer=optimizers[0] if len(optimizers) == 1 else None,
        )

    def on_train_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self._close(None, None, None)

    def on_exception(
        self, trainer: Trainer, pl_module: LightningModule, exception: BaseException
    ) -> None:
        self._close(type(exception), exception, exception.__traceback__)

    def _close(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        rec, self.recorder = self.recorder, None
        if rec is not None:
            rec.__exit__(exc_type, exc, tb)
