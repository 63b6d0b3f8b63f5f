"""Recording overhead: training epochs with and without the Recorder (target <= 1.05x).

    python bench/bench_record.py [--model paper|resnet] [--pairs 3]

One model trains throughout; after a warm-up epoch, plain and recorded epochs alternate (plain,
recorded, plain, ...), so drift in the machine's load hits both sides alike (running all plain
epochs first moved the ratio 0.99-1.30 over three runs). The ratio is median recorded / median
plain. ``paper``: the TrainVideo CNN on 1,000 generated 64 px sketches, batch 25, Adam, conv2
and fc1 recorded on 400 probes (200 held out + 200 training images), as `convlens demo` does.
``resnet``: a ResNet-style network (stem + 3 stages of 2 basic blocks, 16/32/64 channels,
batch norm) on the same sketches at 32 px, recording the three stages and the classifier. Also
prints the stored bytes per probe per epoch (activations + outputs).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import torch
from torch import nn

from convlens.core import TrainOptions
from convlens.data import images_to_tensor, load_dataset, stratified_probe
from convlens.models import build_model
from convlens.pipelines._train import _train_epoch
from convlens.record import Recorder
from convlens.store import Run


class _Block(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.skip = (
            nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
            if stride != 1 or cin != cout
            else nn.Identity()
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(y)) + self.skip(x))


class ResNetStyle(nn.Module):
    """A small ResNet (CIFAR-style ResNet-14 at widths 16/32/64)."""

    def __init__(self, in_channels: int, num_classes: int) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU()
        )
        self.stage1 = nn.Sequential(_Block(16, 16, 1), _Block(16, 16, 1))
        self.stage2 = nn.Sequential(_Block(16, 32, 2), _Block(32, 32, 1))
        self.stage3 = nn.Sequential(_Block(32, 64, 2), _Block(64, 64, 1))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stage3(self.stage2(self.stage1(self.stem(x))))
        return self.fc(self.pool(x).flatten(1))


def _setup(name: str) -> tuple[nn.Module, str, int]:
    if name == "paper":
        return build_model("paper", in_channels=1, num_classes=10, image_size=64), "conv2,fc1", 64
    return ResNetStyle(1, 10), "stage1,stage2,stage3,fc", 32


def _bare_pass(model: nn.Module, px: torch.Tensor, batch: int) -> float:
    """Seconds for the forward pass any recording needs: the probes through the model once."""
    was = model.training
    model.eval()
    t0 = time.perf_counter()
    with torch.no_grad():
        for i in range(0, len(px), batch):
            model(px[i : i + batch])
    model.train(was)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", choices=("paper", "resnet"), default="paper")
    ap.add_argument("--pairs", type=int, default=3, help="plain+recorded epoch pairs")
    args = ap.parse_args()
    os.environ.setdefault("CONVLENS_QUIET", "1")
    torch.manual_seed(0)
    model, layers, size = _setup(args.model)
    ds = load_dataset("sketches", image_size=size, train_per_class=100, test_per_class=30)
    x = images_to_tensor(ds.train.images)
    y = torch.as_tensor(ds.train.labels)
    pi = stratified_probe(ds.test.labels, 200, 0)
    ti = stratified_probe(ds.train.labels, 200, 1)
    px = torch.cat([images_to_tensor(ds.test.images[pi]), x[ti]])
    py = torch.cat([torch.as_tensor(ds.test.labels[pi]), y[ti]])
    opts = TrainOptions(lr=1e-3)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    n_epochs = 1 + 2 * args.pairs
    plain, recorded, rec_only, bare = [], [], [], []
    with (
        tempfile.TemporaryDirectory() as tmp,
        Recorder(model, px, py, layers=layers, out=tmp, run_id="bench") as rec,
    ):
        for epoch in range(1, n_epochs + 1):
            record = epoch > 1 and epoch % 2 == 1  # 1: warm-up, then plain/recorded
            t0 = time.perf_counter()
            _train_epoch(
                model,
                opt,
                x,
                y,
                epoch=epoch,
                options=opts,
                augment=True,
                device=torch.device("cpu"),
                n_epochs=n_epochs,
            )
            t1 = time.perf_counter()
            if record:
                rec.record_epoch({}, optimizer=opt)
                rec_only.append(time.perf_counter() - t1)
            if epoch > 1:
                (recorded if record else plain).append(time.perf_counter() - t0)
            if record:  # timed apart, outside the epoch
                bare.append(_bare_pass(model, px, rec.batch_size))
        run = Run.open(Path(tmp) / "bench")
        last = run.epochs[-1]
        d = run.path / "epochs" / f"{last:04d}"
        per_probe = sum(f.stat().st_size for f in d.iterdir()) / len(px)
        acts = (d / "activations.safetensors").stat().st_size / len(px)
        size_mb = sum(f.stat().st_size for f in run.path.rglob("*") if f.is_file()) / 1e6
        n_rec = len(run.epochs)
    p, r = statistics.median(plain), statistics.median(recorded)
    print(f"model {args.model}, layers {layers}, {len(px)} probes, {args.pairs} pairs")
    print(f"epoch without Recorder: {p:.2f} s (median of {len(plain)})")
    print(f"epoch with Recorder:    {r:.2f} s (median of {len(recorded)})")
    ro, b = statistics.median(rec_only), statistics.median(bare)
    print(f"  of which recording:   {ro:.2f} s")
    print(f"    a bare forward pass of the probes (eval, no grad, no hooks): {b:.2f} s")
    print(f"    the Recorder beyond that pass (hooks, gather, write): {ro - b:.3f} s")
    print(f"ratio: {r / p:.3f} (target <= 1.05)")
    print(f"ratio without the probe pass itself: {(r - b) / p:.3f}")
    print(f"stored per probe per epoch: {per_probe:.0f} B ({acts:.0f} B activations, float16)")
    print(f"run size after {n_rec} recorded epochs: {size_mb:.1f} MB")


if __name__ == "__main__":
    main()
