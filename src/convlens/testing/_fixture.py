"""Build small, real run directories without training: for tests and the server's examples."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from convlens.record import Recorder

from ._models import TinyConvNet

CLASSES = ("vertical", "horizontal", "blank")


def probe_images(n_per_class: int = 8, seed: int = 0) -> tuple[torch.Tensor, np.ndarray]:
    """8×8 images of three classes (vertical bar, horizontal bar, faint noise): [N,1,8,8], [N]."""
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for c in range(3):
        for _ in range(n_per_class):
            img = rng.normal(0, 0.05, (8, 8)).astype(np.float32)
            pos = int(rng.integers(2, 6))
            if c == 0:
                img[:, pos] += 1.0
            elif c == 1:
                img[pos, :] += 1.0
            xs.append(img)
            ys.append(c)
    return torch.from_numpy(np.stack(xs)[:, None]), np.array(ys, dtype=np.int64)


def make_fixture_run(
    runs_dir: str | os.PathLike[str],
    *,
    epochs: int = 3,
    n_per_class: int = 8,
    run_id: str | None = "fixture",
    seed: int = 0,
    checkpoints: bool = True,
) -> Path:
    """Write a run of :class:`TinyConvNet` whose weights grow each "epoch" (no training).

    Returns the run folder. Deterministic for a seed. ``checkpoints=False`` makes a run whose
    model cannot be rebuilt (for the messages that say how to make one).
    """
    x, y = probe_images(n_per_class, seed)
    model = TinyConvNet(scale=0.2)
    thumbs = (np.clip(x[:, 0].numpy(), 0, 1) * 255).astype(np.uint8)[..., None]
    with Recorder(
        model,
        x,
        y,
        layers=["conv", "fc"],
        out=runs_dir,
        run_id=run_id,
        class_names=list(CLASSES),
        config={"fixture": {"epochs": epochs, "seed": seed}},
        dataset={"name": "bars", "image_size": 8, "channels": 1, "train": 0, "test": len(y)},
        model_info={"name": "tiny", "spec": "convlens.testing:TinyConvNet"},
        thumbnails=thumbs,
        checkpoints=checkpoints,
    ) as rec:
        for epoch in range(1, epochs + 1):
            model.set_weights(0.2 + 0.4 * epoch)
            rec.record_epoch({"train_loss": 1.0 / epoch, "test_accuracy": min(1.0, 0.3 * epoch)})
    if rec.writer is None:  # pragma: no cover
        raise RuntimeError("fixture run was not written")
    return rec.writer.path


def picture_folder(
    root: str | os.PathLike[str], classes: list[str], n: int = 3, *, seed: int = 0
) -> Path:
    """An image folder in the class-per-sub-folder layout: ``n`` random 30×20 colour PNGs
    per class (what ``convlens snapshot --data`` and ``load_dataset`` read)."""
    from PIL import Image

    root = Path(root)
    rng = np.random.default_rng(seed)
    for c in classes:
        (root / c).mkdir(parents=True)
        for i in range(n):
            pic = rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)
            Image.fromarray(pic).save(root / c / f"{i}.png")
    return root
