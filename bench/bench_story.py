"""Time to tell the story of a large run (k-NN class purity of every epoch, in the layer's space).

    python bench/bench_story.py [--points 50000] [--epochs 100] [--dims 2]

Writes the synthetic run of ``bench_timeline_fps.py`` (``--dims 2``) or random ``--dims``-D
activations with 10 classes, then times ``compute_story`` twice: cold, and with every epoch's
measure kept (as the server keeps it). Prints the peak RSS of the process.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

from bench_timeline_fps import make_run
from convlens.analyze.story import class_separation
from convlens.pipelines._story import compute_story
from convlens.store import Run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=50_000)
    ap.add_argument("--epochs", type=int, default=100)
    ap.add_argument("--dims", type=int, default=2)
    args = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    if args.dims != 2:
        x = np.random.default_rng(0).normal(size=(args.points, args.dims)).astype(np.float16)
        y = np.arange(args.points) % 10
        class_separation(x[:100], y[:100], 10)  # imports
        t = time.perf_counter()
        class_separation(x, y, 10)
        print(f"{args.points:,} x {args.dims}-D, one epoch: {time.perf_counter() - t:.2f} s")
    else:
        with tempfile.TemporaryDirectory() as tmp:
            run_id, _ = make_run(Path(tmp), args.points, args.epochs)
            run = Run.open(Path(tmp) / run_id)
            kept: dict = {}

            def keep(layer, e, make):  # noqa: ANN001, ANN202
                if (layer, e) not in kept:
                    kept[layer, e] = make()
                return kept[layer, e]

            t = time.perf_counter()
            compute_story(run, keep=keep)
            cold = time.perf_counter() - t
            t = time.perf_counter()
            compute_story(run, keep=keep)
            warm = time.perf_counter() - t
            print(
                f"{args.points:,} probes x {args.epochs} epochs (2-D): {cold:.2f} s, "
                f"again with every epoch kept {warm:.2f} s"
            )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main()
