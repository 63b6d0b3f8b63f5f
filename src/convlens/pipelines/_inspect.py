"""``Inspector``: the runs of one folder, their models rebuilt from checkpoints, and uploads.

The web app's views are plain methods over an ``Inspector`` (see ``_views.py``); the server only
parses requests and encodes answers. One lock serialises model work: a cached model must never
carry two requests' hooks at once.
"""

from __future__ import annotations

import os
import re
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from convlens.analyze import layer_outputs, leaf_layers
from convlens.core import NotFoundError, UnavailableError, UserInputError
from convlens.data import images_to_tensor
from convlens.models import build_model, load_weights
from convlens.store import Run, list_runs

from ._images import decode_image, to_model_input

_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
_UPLOAD_ID = re.compile(r"^[0-9a-f]{16}$")


@dataclass(frozen=True)
class Upload:
    """An image uploaded to the server, kept in memory."""

    id: str
    image: np.ndarray  # uint8 [H, W, 1 | 3], at most KEEP_SIDE pixels a side
    width: int  # as uploaded
    height: int


def _names(items: list[str], n: int = 12) -> str:
    if not items:
        return "none"
    return ", ".join(items[:n]) + (f" (+{len(items) - n} more)" if len(items) > n else "")


class Inspector:
    """Reads the runs under ``runs_dir`` and answers questions about them.

    Args:
        runs_dir: The folder holding run folders (``convlens serve RUNS_DIR``).
        max_models: Models kept built in memory (least recently used goes first).
        max_uploads: Uploaded images kept in memory.
    """

    def __init__(
        self, runs_dir: str | os.PathLike[str], *, max_models: int = 4, max_uploads: int = 64
    ) -> None:
        self.runs_dir = Path(runs_dir).expanduser()
        if self.runs_dir.exists() and not self.runs_dir.is_dir():
            raise UserInputError(f"{self.runs_dir} is a file: give the folder that holds runs")
        self.max_models = max_models
        self.max_uploads = max_uploads
        self.lock = threading.RLock()
        self._models: OrderedDict[tuple[str, int, float], nn.Module] = OrderedDict()
        self._uploads: OrderedDict[str, Upload] = OrderedDict()
        self._forwards: OrderedDict[tuple, tuple[dict[str, torch.Tensor], torch.Tensor]] = (
            OrderedDict()
        )
        self._leaves: dict[tuple, list[str]] = {}
        self._probes: OrderedDict[tuple, dict[str, np.ndarray]] = OrderedDict()

    # -- runs ------------------------------------------------------------------------------

    def runs(self) -> list[Run]:
        """Every readable run, newest first."""
        return list_runs(self.runs_dir) if self.runs_dir.is_dir() else []

    def run(self, run_id: str) -> Run:
        """Open run ``run_id`` (a folder name directly under ``runs_dir``, nothing else).

        Raises:
            NotFoundError: No such run; the message lists the runs there are.
        """
        path = self.runs_dir / run_id
        ok = bool(_RUN_ID.match(run_id)) and ".." not in run_id
        inside = ok and path.resolve().parent == self.runs_dir.resolve()
        if inside and (path / "manifest.json").is_file():
            return Run.open(path)
        names = [r.run_id for r in self.runs()]
        raise NotFoundError(f"no run '{run_id[:80]}' in {self.runs_dir}: runs are {_names(names)}")

    @staticmethod
    def checkpoints(run: Run) -> list[int]:
        """Epochs that kept a checkpoint."""
        return [e.epoch for e in run.manifest.epochs if e.checkpoint]

    @staticmethod
    def model_spec(run: Run) -> str | None:
        """How to build the run's model: the manifest's ``model.spec`` or the training config."""
        spec = run.manifest.model.get("spec") or run.config.get("train", {}).get("model")
        return str(spec) if spec else None

    def has_model(self, run: Run) -> bool:
        return self.model_spec(run) is not None and bool(self.checkpoints(run))

    def epoch(self, run: Run, epoch: int | None) -> int:
        """``epoch`` checked against the run's checkpoints (default: the last one)."""
        cks = self.checkpoints(run)
        if not cks:
            raise UnavailableError(
                f"run {run.run_id} kept no checkpoints, so its model cannot be rebuilt: train "
                "with checkpoints on (the default of convlens train)"
            )
        if epoch is None:
            return cks[-1]
        if epoch not in cks:
            raise NotFoundError(
                f"run {run.run_id} has no checkpoint for epoch {epoch}: epochs with one are "
                f"{_names([str(c) for c in cks], 30)}"
            )
        return epoch

    def input_shape(self, run: Run) -> tuple[int, int, int]:
        """``(channels, size, size)`` of the run's model input."""
        ds = run.manifest.dataset
        c, s = ds.get("channels"), ds.get("image_size")
        if not c or not s:
            probe = self.probe(run)
            if "thumbnails" in probe:
                _, h, _, c2 = probe["thumbnails"].shape
                return int(c2), int(h), int(h)
            raise UnavailableError(
                f"run {run.run_id} does not say its input size: record with "
                "Recorder(dataset={'channels': C, 'image_size': S})"
            )
        return int(c), int(s), int(s)

    def model(self, run: Run, epoch: int | None = None) -> tuple[nn.Module, int]:
        """The run's model with the weights of ``epoch`` (in eval mode), and that epoch."""
        epoch = self.epoch(run, epoch)
        spec = self.model_spec(run)
        if spec is None:
            raise UnavailableError(
                f"run {run.run_id} does not say how to build its model, so views that run the "
                "model are off: record with Recorder(model_info={'spec': "
                "'package.module:factory'})"
            )
        ckpt = run.checkpoint_path(epoch)
        key = (str(run.path.resolve()), epoch, ckpt.stat().st_mtime)
        with self.lock:
            if key in self._models:
                self._models.move_to_end(key)
                return self._models[key], epoch
            c, s, _ = self.input_shape(run)
            with torch.random.fork_rng(devices=[]):
                model = build_model(spec, in_channels=c, num_classes=len(run.classes), image_size=s)
            load_weights(model, ckpt)
            model.eval()
            self._models[key] = model
            while len(self._models) > self.max_models:
                self._models.popitem(last=False)
            return model, epoch

    # -- images ----------------------------------------------------------------------------

    def add_upload(self, data: bytes) -> Upload:
        """Decode and keep an uploaded image (see :func:`decode_image` for the limits)."""
        image = decode_image(data)
        up = Upload(secrets.token_hex(8), image, int(image.shape[1]), int(image.shape[0]))
        with self.lock:
            self._uploads[up.id] = up
            while len(self._uploads) > self.max_uploads:
                self._uploads.popitem(last=False)
        return up

    def upload(self, upload_id: str) -> Upload:
        with self.lock:
            up = self._uploads.get(upload_id) if _UPLOAD_ID.match(upload_id) else None
        if up is None:
            raise NotFoundError(
                f"no upload '{upload_id[:40]}': the server keeps the last {self.max_uploads} "
                "uploads in memory (and forgets them when it restarts), so upload the image again"
            )
        return up

    def probe(self, run: Run) -> dict[str, np.ndarray]:
        """The run's probe set (labels, thumbnails, ...), read once and kept for two runs."""
        path = run.path / "probe" / "probe.safetensors"
        try:
            key = (str(path.resolve()), path.stat().st_mtime_ns)
        except OSError:
            return run.probe()  # raises the store's own message
        with self.lock:
            if key not in self._probes:
                self._probes[key] = run.probe()
                while len(self._probes) > 2:
                    self._probes.popitem(last=False)
            self._probes.move_to_end(key)
            return self._probes[key]

    def probe_count(self, run: Run) -> int:
        return int(run.manifest.probe.get("n") or len(self.probe(run)["labels"]))

    def probe_image(self, run: Run, index: int) -> np.ndarray:
        """Probe image ``index`` as stored (``uint8 [h, w, c]``)."""
        probe = self.probe(run)
        if "thumbnails" not in probe:
            raise UnavailableError(
                f"run {run.run_id} kept no probe images: upload an image instead"
            )
        n = len(probe["thumbnails"])
        if not 0 <= index < n:
            raise NotFoundError(f"run {run.run_id} has probe images 0..{n - 1}, not {index}")
        return probe["thumbnails"][index]

    def image(self, run: Run, ref: str) -> np.ndarray:
        """The image a reference names (``probe:12`` or ``upload:<id>``) as model input.

        Returns ``uint8 [S, S, C]`` at the run's input size and channels.
        """
        kind, _, value = ref.partition(":")
        if kind == "probe" and value.isdigit():
            img = self.probe_image(run, int(value))
        elif kind == "upload" and value:
            img = self.upload(value).image
        else:
            raise UserInputError(
                f"image '{ref[:60]}' is not a reference: use probe:N (a probe image of the run) "
                "or upload:ID (from POST /api/uploads)"
            )
        c, s, _ = self.input_shape(run)
        return to_model_input(img, c, s)

    def tensor(self, run: Run, ref: str) -> tuple[torch.Tensor, np.ndarray]:
        """``([1, C, S, S] float tensor in [0, 1], uint8 [S, S, C] image)`` for a reference."""
        img = self.image(run, ref)
        return images_to_tensor(img[None]), img

    def probe_tensor(self, run: Run) -> torch.Tensor:
        """All probe images as model input ``[N, C, S, S]``."""
        probe = self.probe(run)
        if "thumbnails" not in probe:
            raise UnavailableError(
                f"run {run.run_id} kept no probe images, so this view has nothing to show"
            )
        c, s, _ = self.input_shape(run)
        thumbs = probe["thumbnails"]
        if thumbs.shape[1:] != (s, s, c):
            thumbs = np.stack([to_model_input(t, c, s) for t in thumbs])
        return images_to_tensor(thumbs)

    def forward(
        self, run: Run, epoch: int | None, ref: str, layer: str
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``layer``'s output and the logits for one image, both ``[1, ...]``.

        The first request for an image runs one forward pass that keeps every leaf layer's
        output, so the other layers of the same image are answered without running the model.
        """
        model, epoch = self.model(run, epoch)
        mkey = (str(run.path.resolve()), epoch)
        key = (*mkey, ref)
        with self.lock:
            if key in self._forwards:
                self._forwards.move_to_end(key)
                outs, logits = self._forwards[key]
                if layer in outs:
                    return outs[layer], logits
            x, _ = self.tensor(run, ref)
            if mkey not in self._leaves:
                self._leaves[mkey] = [i.name for i in leaf_layers(model, x) if i.calls == 1]
            names = self._leaves[mkey]
            outs, logits = layer_outputs(model, x, names if layer in names else [layer])
            if layer in names:
                self._forwards[key] = (outs, logits)
                while len(self._forwards) > 4:
                    self._forwards.popitem(last=False)
            return outs[layer], logits

    def class_index(self, run: Run, target: int | str | None, default: int) -> int:
        """A class given by index or name (default ``default``), checked against the run."""
        if target is None or target == "":
            return default
        names = run.classes
        if isinstance(target, str) and not target.lstrip("-").isdigit():
            if target in names:
                return names.index(target)
            raise NotFoundError(f"no class '{target[:60]}': classes are {_names(names, 50)}")
        i = int(target)
        if not 0 <= i < len(names):
            raise NotFoundError(
                f"class {i} does not exist: classes are 0..{len(names) - 1} ({_names(names, 20)})"
            )
        return i
