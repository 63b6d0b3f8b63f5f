"""Time to tell the story of a large run (k-NN class purity of every epoch, in the layer's space).

    python bench/bench_story.py [--points 50000] [--epochs 100] [--dims 2]
    python bench/bench_story.py --classes 1000 --points 50000 --epochs 90 --dims 64

Writes the synthetic run of ``bench_timeline_fps.py`` (``--dims 2``) or random ``--dims``-D
activations with 10 classes, then times ``compute_story`` twice: cold, and with every epoch's
measure kept (as the server keeps it). Prints the peak RSS of the process.

``--classes C``: one layer of ``C`` classes whose centres spread out epoch by epoch (probes
spread evenly over the classes): the time to measure it and find its events, and the size of
its pair mixing in memory and of its story file (version 2, kept pairs) against the whole
``[E, C, C]`` matrix that version 1 stored.
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
from convlens.analyze.story import (
    PairMixing,
    class_separation,
    dense_pairs,
    layer_events,
)
from convlens.pipelines._story import compute_story, layer_arrays
from convlens.store import Run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=50_000)
    ap.add_argument("--epochs", type=int, default=100)
    ap.add_argument("--dims", type=int, default=2)
    ap.add_argument("--classes", type=int, default=0, help="many classes: the mixing's size")
    args = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    if args.classes:
        many_classes(args.classes, args.points, args.epochs, args.dims)
    elif args.dims != 2:
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


def many_classes(C: int, N: int, E: int, D: int) -> None:
    from safetensors.numpy import save

    from convlens.analyze.story import LayerStory

    rng = np.random.default_rng(0)
    labels = np.arange(N) % C
    centres = rng.normal(size=(C, D))
    noise = rng.normal(size=(N, D)).astype(np.float32)
    t = time.perf_counter()
    purity, pairs = [], []
    for e in range(E):
        acts = centres[labels] * (0.05 + 0.5 * e / max(E - 1, 1)) + noise
        p, m = class_separation(acts.astype(np.float16), labels, C)
        purity.append(p)
        pairs.append(dense_pairs(m))
    measured = time.perf_counter() - t
    t = time.perf_counter()
    ls = LayerStory("layer", np.stack(purity), PairMixing.from_epochs(C, pairs), 10)
    events = layer_events(
        ls.purity, ls.mixing, list(range(1, E + 1)), [str(c) for c in range(C)], "layer"
    )
    told = time.perf_counter() - t
    stored = len(save(layer_arrays(ls)))
    dense_disk = 4 * E * C + 4 * E * C * C  # version 1: purity and mixing, float32
    dense_mem = 8 * E * C * C  # the [E, C, C] float64 kept in memory before
    kept = np.diff(ls.mixing.offsets)
    print(
        f"{C:,} classes, {N:,} probes, {E} epochs, {D}-D: measured in {measured:.1f} s "
        f"({measured / E:.2f} s an epoch), kept and told in {told:.2f} s ({len(events)} events)"
    )
    print(
        f"pairs kept an epoch: mean {kept.mean():.0f}, max {kept.max()} "
        f"({kept.max() / C:.1f} per class; all pairs: {C * (C - 1) // 2:,})"
    )
    print(
        f"story file of the layer: {stored / 1e6:.2f} MB "
        f"(version 1 stored {dense_disk / 1e6:.1f} MB,"
        f" {dense_disk / stored:.0f}x); mixing in memory {ls.mixing.nbytes / 1e6:.2f} MB "
        f"(was {dense_mem / 1e6:.1f} MB)"
    )


if __name__ == "__main__":
    main()
