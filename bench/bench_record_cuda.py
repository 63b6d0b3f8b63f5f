"""The CUDA recording path: no host sync per batch, and the overhead ratio on a GPU.

    python bench/bench_record_cuda.py [--pairs 3] [--probes 2000]

Where no CUDA device exists it says so and exits 0 (the CPU tests in tests/test_distributed.py
check the same property by counting host copies). On a GPU:

1. syncs: the probe pass runs under ``torch.cuda.set_sync_debug_mode("warn")``, once with one
   batch and once with many; the number of synchronising calls must not grow with the batches
   (the rows come to the host once per epoch; CPU probes arrive from pinned memory);
2. overhead: the ResNet-style model of bench_record.py trains on random 32 px images on the GPU,
   plain and recorded epochs alternating after a warm-up; prints median recorded / median
   plain (target <= 1.05).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).parent))
from bench_record import ResNetStyle  # noqa: E402
from convlens.record import Recorder  # noqa: E402


def _syncs(rec: Recorder) -> int:
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("warn")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            rec.capture()
    finally:
        torch.cuda.set_sync_debug_mode("default")
    return sum("synchroniz" in str(w.message) for w in caught)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=3)
    ap.add_argument("--probes", type=int, default=2000)
    ap.add_argument("--train", type=int, default=20000)
    args = ap.parse_args()
    if not torch.cuda.is_available():
        print("no CUDA device: nothing to check here (the CPU path is tested in the suite)")
        return 0
    dev = torch.device("cuda")
    g = torch.Generator().manual_seed(0)
    model = ResNetStyle(3, 10).to(dev)
    probe_x = torch.randn(args.probes, 3, 32, 32, generator=g)  # on the host: pinned copies
    probe_y = torch.randint(0, 10, (args.probes,), generator=g)
    x = torch.randn(args.train, 3, 32, 32, generator=g).to(dev)
    y = torch.randint(0, 10, (args.train,), generator=g).to(dev)
    layers = "stage1,stage2,stage3,fc"

    one = _syncs(Recorder(model, probe_x, probe_y, layers=layers, batch_size=args.probes))
    many = _syncs(Recorder(model, probe_x, probe_y, layers=layers, batch_size=50))
    n_batches = -(-args.probes // 50)
    print(f"synchronising calls: {one} with 1 batch, {many} with {n_batches} batches")
    ok = many <= one

    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def epoch() -> None:
        model.train()
        for s in range(0, len(x), 256):
            loss = F.cross_entropy(model(x[s : s + 256]), y[s : s + 256])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()

    plain, recorded = [], []
    with (
        tempfile.TemporaryDirectory() as tmp,
        Recorder(model, probe_x, probe_y, layers=layers, out=tmp, batch_size=256) as rec,
    ):
        for i in range(1 + 2 * args.pairs):
            torch.cuda.synchronize()
            t0 = time.perf_counter()
            epoch()
            if i > 0 and i % 2 == 0:
                rec.record_epoch({}, optimizer=opt)
            torch.cuda.synchronize()
            if i > 0:
                (recorded if i % 2 == 0 else plain).append(time.perf_counter() - t0)
    p, r = statistics.median(plain), statistics.median(recorded)
    print(f"{torch.cuda.get_device_name()}: epoch {p:.3f} s plain, {r:.3f} s recorded")
    print(f"ratio: {r / p:.3f} (target <= 1.05)")
    print("sync check:", "ok" if ok else "FAILED: syncs grow with the number of batches")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
