"""Recording overhead: one training epoch with and without the Recorder (target <= 1.05x).

    python bench/bench_record.py [--epochs 3]

Paper CNN on 1,000 generated 64 px sketches, batch 25, Adam; the Recorder watches conv2 and fc1
on 400 probes (200 held out + 200 training images), as `convlens demo` does.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

import torch

from convlens.core import TrainOptions
from convlens.data import images_to_tensor, load_dataset, stratified_probe
from convlens.models import build_model
from convlens.pipelines._train import _train_epoch
from convlens.record import Recorder


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=3)
    args = ap.parse_args()
    os.environ.setdefault("CONVLENS_QUIET", "1")
    ds = load_dataset("sketches", image_size=64, train_per_class=100, test_per_class=30)
    x = images_to_tensor(ds.train.images)
    y = torch.as_tensor(ds.train.labels)
    pi = stratified_probe(ds.test.labels, 200, 0)
    ti = stratified_probe(ds.train.labels, 200, 1)
    px = torch.cat([images_to_tensor(ds.test.images[pi]), x[ti]])
    py = torch.cat([torch.as_tensor(ds.test.labels[pi]), y[ti]])
    opts = TrainOptions(lr=1e-3)
    plain, recorded, rec_only = [], [], []
    for mode in ("plain", "recorded"):
        torch.manual_seed(0)
        model = build_model("paper", in_channels=1, num_classes=10, image_size=64)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        with tempfile.TemporaryDirectory() as tmp:
            rec = (
                Recorder(model, px, py, layers="conv2,fc1", out=tmp) if mode == "recorded" else None
            )
            if rec is not None:
                rec.__enter__()
            for epoch in range(1, args.epochs + 1):
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
                    n_epochs=args.epochs,
                )
                t1 = time.perf_counter()
                if rec is not None:
                    rec.record_epoch({}, optimizer=opt)
                    rec_only.append(time.perf_counter() - t1)
                (plain if rec is None else recorded).append(time.perf_counter() - t0)
            if rec is not None:
                rec.__exit__(None, None, None)
    p, r = statistics.median(plain), statistics.median(recorded)
    print(f"epoch without Recorder: {p:.2f} s (median of {args.epochs})")
    print(
        f"epoch with Recorder:    {r:.2f} s, of which recording {statistics.median(rec_only):.2f} s"
    )
    print(f"ratio: {r / p:.3f} (target <= 1.05)")
    share = statistics.median(rec_only) / p
    print(f"recording alone: {100 * share:.1f} % of a plain epoch (probe forward + files)")


if __name__ == "__main__":
    main()
