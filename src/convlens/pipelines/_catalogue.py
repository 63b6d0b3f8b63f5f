"""``RunCatalogue``: the runs of one folder, looked up safely, and their probe sets (no torch).

Also the questions about one run that the batch jobs and the web views share, as functions:
which epochs kept a checkpoint (:func:`checkpoint_epoch`), how to build its model
(:func:`model_spec`), how its pictures must be prepared (:func:`run_contract`) and its input
shape (:func:`input_shape`), the probe set as model input (:func:`probe_pictures`), a class by
name or index (:func:`class_index`).
"""

from __future__ import annotations

import os
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np

from convlens.core import (
    InputContract,
    NotFoundError,
    UnavailableError,
    UserInputError,
    input_contract,
)
from convlens.store import Run, list_runs

_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")


def name_list(items: list[str], n: int = 12) -> str:
    """``a, b, c (+N more)``: the first ``n`` items of a list for an error message."""
    if not items:
        return "none"
    return ", ".join(items[:n]) + (f" (+{len(items) - n} more)" if len(items) > n else "")


def checkpoints(run: Run) -> list[int]:
    """Epochs that kept a checkpoint."""
    return [e.epoch for e in run.manifest.epochs if e.checkpoint]


def model_spec(run: Run) -> str | None:
    """How to build the run's model: the manifest's ``model.spec`` or the training config.

    A run made from an ONNX file is rebuilt from its own copy (``model.file``, in the run);
    runs made before ConvLens kept one, from the file where it was."""
    spec = run.manifest.model.get("spec") or run.config.get("train", {}).get("model")
    kept = run.manifest.model.get("file")
    if (
        str(spec).startswith("onnx:")
        and isinstance(kept, str)
        and _MODEL_FILE.match(kept)
        and (run.path / kept).is_file()
    ):
        return f"onnx:{run.path.resolve() / kept}"
    return str(spec) if spec else None


_MODEL_FILE = re.compile(r"^model/[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def has_model(run: Run) -> bool:
    """Whether the run's model can be rebuilt (a model spec and a checkpoint)."""
    return model_spec(run) is not None and bool(checkpoints(run))


def checkpoint_epoch(run: Run, epoch: int | None) -> int:
    """``epoch`` checked against the run's checkpoints (default: the last one)."""
    cks = checkpoints(run)
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
            f"{name_list([str(c) for c in cks], 30)}"
        )
    return epoch


ProbeReader = Callable[[], Mapping[str, np.ndarray]]


def _stored_shape(run: Run, probe: ProbeReader | None) -> tuple[int, int, int]:
    """``(channels, height, width)`` from the dataset entry, else from the probe thumbnails."""
    ds = run.manifest.dataset
    c, s = ds.get("channels"), ds.get("image_size")
    if c and s:
        return int(c), int(s), int(s)
    arrays = probe() if probe is not None else run.probe()
    if "thumbnails" in arrays:
        _, h, _, c2 = arrays["thumbnails"].shape
        return int(c2), int(h), int(h)
    raise UnavailableError(
        f"run {run.run_id} does not say its input size: record with "
        "Recorder(dataset={'channels': C, 'image_size': S})"
    )


def run_contract(run: Run, probe: ProbeReader | None = None) -> InputContract:
    """How pictures must be prepared for the run's model: the contract the run recorded
    (``manifest.model["input"]``), or, for runs written before contracts, the ``none`` preset
    (largest centred square, pixels / 255) at the run's input size and channels.

    Args:
        run: The run.
        probe: Reads the probe set (default ``run.probe``), for old runs that only show their
            input size through their thumbnails.
    """
    recorded = run.manifest.model.get("input")
    if recorded:
        return InputContract.from_json(recorded)
    c, h, w = _stored_shape(run, probe)
    return input_contract("none", h, c).with_size((h, w))


def input_shape(run: Run, probe: ProbeReader | None = None) -> tuple[int, int, int]:
    """``(channels, height, width)`` of the run's model input.

    The input contract says it; older runs say it in the dataset entry or through the probe
    thumbnails (``probe`` reads the probe set, default ``run.probe``).
    """
    recorded = run.manifest.model.get("input")
    if recorded:
        contract = InputContract.from_json(recorded)
        return contract.channels, contract.size[0], contract.size[1]
    return _stored_shape(run, probe)


def probe_pictures(thumbnails: np.ndarray, contract: InputContract) -> tuple[np.ndarray, bool]:
    """The probe pictures as the model sees them (``uint8 [N, H, W, C]``), and whether they are
    exactly what it saw when the run was recorded.

    Thumbnails at the contract's input size and channels are what the model saw (``snapshot``,
    ``convlens train`` and the Recorder store them so): they are used as they are. Others
    (larger or smaller thumbnails) are cut again by the contract: close to the recorded input,
    not identical (the original pictures are not in the run).
    """
    h, w = contract.size
    if thumbnails.shape[1:] == (h, w, contract.channels):
        return np.ascontiguousarray(thumbnails, dtype=np.uint8), True
    from convlens.data import fit_picture  # the data room loads torch: not for listing runs

    return np.stack([fit_picture(t, contract) for t in thumbnails]), False


def class_index(run: Run, target: int | str | None, default: int) -> int:
    """A class given by index or name (default ``default``), checked against the run."""
    if target is None or target == "":
        return default
    names = run.classes
    if isinstance(target, str) and not target.lstrip("-").isdigit():
        if target in names:
            return names.index(target)
        raise NotFoundError(f"no class '{target[:60]}': classes are {name_list(names, 50)}")
    i = int(target)
    if not 0 <= i < len(names):
        raise NotFoundError(
            f"class {i} does not exist: classes are 0..{len(names) - 1} ({name_list(names, 20)})"
        )
    return i


class RunCatalogue:
    """The runs under ``runs_dir``: listed, opened by name (nothing outside the folder), and
    their probe sets read once. Never imports torch.

    Args:
        runs_dir: The folder holding run folders (``convlens serve RUNS_DIR``).
    """

    def __init__(self, runs_dir: str | os.PathLike[str]) -> None:
        self.runs_dir = Path(runs_dir).expanduser()
        if self.runs_dir.exists() and not self.runs_dir.is_dir():
            raise UserInputError(f"{self.runs_dir} is a file: give the folder that holds runs")
        self._lock = threading.Lock()  # guards the probe cache and the write locks
        self._probes: OrderedDict[tuple[str, int], dict[str, np.ndarray]] = OrderedDict()
        self._writing: dict[str, threading.Lock] = {}

    checkpoints = staticmethod(checkpoints)
    model_spec = staticmethod(model_spec)
    has_model = staticmethod(has_model)
    class_index = staticmethod(class_index)

    def runs(self) -> list[Run]:
        """Every readable run, newest first."""
        return list_runs(self.runs_dir) if self.runs_dir.is_dir() else []

    def run(self, run_id: str) -> Run:
        """Open run ``run_id``: a folder directly under ``runs_dir`` of that name, else the run
        there whose manifest has that id (a folder renamed after the run was made: the list
        of runs shows it by its id). Nothing outside ``runs_dir``.

        Raises:
            NotFoundError: No such run; the message lists the runs there are.
        """
        path = self.runs_dir / run_id
        ok = bool(_RUN_ID.match(run_id)) and ".." not in run_id
        inside = ok and path.resolve().parent == self.runs_dir.resolve()
        if inside and (path / "manifest.json").is_file():
            return Run.open(path)
        runs = self.runs()
        named = [r for r in runs if r.run_id == run_id] if ok else []
        if named:  # newest first, as listed
            return named[0]
        raise NotFoundError(
            f"no run '{run_id[:80]}' in {self.runs_dir}: runs are "
            f"{name_list([r.run_id for r in runs])}"
        )

    def epoch(self, run: Run, epoch: int | None) -> int:
        """``epoch`` checked against the run's checkpoints (default: the last one)."""
        return checkpoint_epoch(run, epoch)

    def input_shape(self, run: Run) -> tuple[int, int, int]:
        """``(channels, height, width)`` of the run's model input."""
        return input_shape(run, lambda: self.probe(run))

    def contract(self, run: Run) -> InputContract:
        """How pictures must be prepared for the run's model (see :func:`run_contract`)."""
        return run_contract(run, lambda: self.probe(run))

    def writing(self, run: Run) -> threading.Lock:
        """The lock that serialises writing results (embedding, graph) into ``run``'s folder."""
        key = str(run.path.resolve())
        with self._lock:
            return self._writing.setdefault(key, threading.Lock())

    def probe(self, run: Run) -> dict[str, np.ndarray]:
        """The run's probe set (labels, thumbnails, ...), read once and kept for two runs."""
        path = run.path / "probe" / "probe.safetensors"
        try:
            key = (str(path.resolve()), path.stat().st_mtime_ns)
        except OSError:
            return run.probe()  # raises the store's own message
        with self._lock:
            if key in self._probes:
                self._probes.move_to_end(key)
                return self._probes[key]
        arrays = run.probe()  # read outside the lock: other runs' requests go on meanwhile
        with self._lock:
            self._probes[key] = arrays
            while len(self._probes) > 2:
                self._probes.popitem(last=False)
        return arrays

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
