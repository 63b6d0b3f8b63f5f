"""``convlens snapshot``: a run from an already-trained model, no training."""

from __future__ import annotations

import argparse
from pathlib import Path

from convlens.core import INPUT_PRESETS


def add_snapshot(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "snapshot",
        help="record an already-trained model once, so every view of the web app can show it",
        description="Look inside an already-trained model without training: run it once on the "
        "pictures in DIR (one sub-folder per class, or a flat folder) and write a run to "
        "OUT/<run_id>/ with the model's weights, class names and input preprocessing, so the "
        "explorer, attributions, class gradients, importance and network views all work.",
    )
    p.add_argument(
        "--model",
        required=True,
        help="torchvision:NAME[:WEIGHTS] (offline: local file or torch hub cache), timm:NAME, a "
        ".onnx file, a built-in model name, or package.module:factory (with --weights)",
    )
    p.add_argument("--weights", type=Path, help="trained weights (.safetensors or state_dict)")
    p.add_argument("--data", type=Path, required=True, help="folder of pictures for the probe set")
    p.add_argument("--classes", type=Path, help="class names, one per line, in output order")
    p.add_argument(
        "--preprocess",
        choices=INPUT_PRESETS.names(),
        help="how pictures become model input (default: the model source's own, e.g. the "
        "torchvision weights' transforms)",
    )
    p.add_argument("--image-size", type=int, help="input side for --preprocess (default: 224)")
    p.add_argument(
        "--layers", help="layers to record, comma separated (default: last conv and scores)"
    )
    p.add_argument(
        "--probe-size", type=int, default=200, help="at most this many pictures (default: 200)"
    )
    p.add_argument(
        "--model-output",
        help="for a model whose forward() returns a tuple/list or a dict: the index (0) or key "
        "(logits) of the class scores in it",
    )
    p.add_argument("--run-id", help="name of the run (default: date-model)")
    p.add_argument("--out", type=Path, required=True, help="folder of runs (RUNS_DIR)")


def snapshot(args: argparse.Namespace) -> int:
    from convlens import pipelines

    path = pipelines.snapshot(
        str(args.model),
        out=args.out,
        data=args.data,
        weights=args.weights,
        classes=args.classes,
        preprocess=args.preprocess,
        image_size=args.image_size,
        layers=args.layers,
        probe_size=args.probe_size,
        run_id=args.run_id,
        output=args.model_output,
    )
    print(f"run written to {path}\nnext: convlens serve {path.parent} --open")
    return 0
