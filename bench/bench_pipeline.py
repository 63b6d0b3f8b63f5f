"""The TrainVideo-sized workload, split into training, recording, embedding and rendering.

    python bench/bench_pipeline.py [--epochs 2]

3,600 training / 80 test sketches at 128 px, the paper's CNN and settings (batch 25, Adam 1e-4),
fc1 recorded on the 80 test images + 200 training images. Target: everything but training
<= 10 % of training time.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from convlens.core import DataOptions, EmbedOptions, RecordOptions, TrainOptions, VideoOptions
from convlens.pipelines import build_video_data, embed_run, train
from convlens.render import FrameRenderer, FrameStyle, write_mp4
from convlens.store import Run


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=2)
    args = ap.parse_args()
    os.environ.setdefault("CONVLENS_QUIET", "1")
    data = DataOptions(
        data="sketches",
        image_size=128,
        train_per_class=360,
        test_per_class=8,
        probe_size=80,
        train_probe_size=200,
    )
    opts = TrainOptions(model="paper", epochs=args.epochs, batch_size=25, lr=1e-4)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        run_dir = train(
            data,
            opts,
            RecordOptions(layers=("fc1",)),
            out=tmp,
            on_epoch=lambda e, m: rows.append(m),
        )
        total_train = time.perf_counter() - t0
        t1 = time.perf_counter()
        embed_run(run_dir, EmbedOptions())
        t_embed = time.perf_counter() - t1
        run = Run.open(run_dir)
        vd = build_video_data(run, ["fc1"], VideoOptions())
        renderer = FrameRenderer(vd, FrameStyle())
        t2 = time.perf_counter()
        write_mp4(renderer.frames(), os.path.join(tmp, "v.mp4"), total=len(renderer.frame_times()))
        t_render = time.perf_counter() - t2
        setup = run.manifest.extra.get("setup_seconds", 0.0)
    train_s = sum(r["train_seconds"] for r in rows) / len(rows)
    eval_s = sum(r["eval_seconds"] for r in rows) / len(rows)
    rec_s = sum(r["record_seconds"] for r in rows) / len(rows)
    embed_s = t_embed / len(rows)
    render_s = t_render / len(rows)
    other = eval_s + rec_s + embed_s + render_s
    print(
        f"setup (generate/cache data, build model): {setup:.1f} s once; whole train call "
        f"{total_train:.1f} s"
    )
    print(
        f"per epoch (s): training {train_s:.1f} | evaluation {eval_s:.2f} | recording "
        f"{rec_s:.2f} | embedding {embed_s:.2f} | rendering {render_s:.2f}"
    )
    print(
        f"everything but training: {other:.2f} s = {100 * other / train_s:.1f} % of training "
        "(target <= 10 %)"
    )


if __name__ == "__main__":
    main()
