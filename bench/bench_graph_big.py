"""The network graph at ImageNet scale: torchvision's MobileNetV2 and ResNet-50 on 2 cores.

    /work/tvenv/bin/python bench/bench_graph_big.py [--models mobilenet_v2 resnet50]
        [--importance taylor|weight] [--examples 32] [--classes 10]

Needs torchvision (the second environment; random weights, nothing is downloaded). For each
model, the steps ``convlens.pipelines.graph_run`` takes for a big model: importance (``taylor``
on ``--examples`` random 224 px images for ``--classes`` classes, or ``weight``), the graph
(``network_graph``, aggregated above 100,000 edges), the layout and bundling
(``KDEBundler()``: nn_vis's defaults at the coarser level of detail of a graph over 5,000
nodes, ``BIG_GRAPH_OPTIONS``), and the graph file (safetensors, as
``graph_run`` writes it). Prints nodes, edges, seconds per step and the file's size.
"""

from __future__ import annotations

import argparse
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "2")
os.environ.setdefault("CONVLENS_QUIET", "1")

import time  # noqa: E402

import torch  # noqa: E402
from safetensors.numpy import save  # noqa: E402

from convlens.analyze import (  # noqa: E402
    KDEBundler,
    TaylorImportance,
    WeightImportance,
    network_graph,
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", nargs="+", default=["mobilenet_v2", "resnet50"])
    ap.add_argument("--importance", choices=["taylor", "weight"], default="taylor")
    ap.add_argument("--examples", type=int, default=32, help="images taylor sees (default 32)")
    ap.add_argument("--classes", type=int, default=10, help="classes kept (default 10)")
    args = ap.parse_args()
    try:
        import torchvision
    except ImportError as exc:  # pragma: no cover - the second environment has it
        raise SystemExit(
            "this bench needs torchvision: run it with /work/tvenv/bin/python"
        ) from exc
    torch.set_num_threads(2)
    gen = torch.Generator().manual_seed(0)
    classes = list(range(args.classes))
    print(
        "| model | importance | nodes | edges | k | importance s | graph s "
        "| layout s (CPU s) | file MB |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name in args.models:
        with torch.random.fork_rng():
            torch.manual_seed(0)
            model = getattr(torchvision.models, name)().eval()
        x = torch.rand(args.examples, 3, 224, 224, generator=gen)
        y = torch.tensor(classes * (args.examples // len(classes) + 1))[: args.examples]
        t = time.perf_counter()
        if args.importance == "taylor":
            result = TaylorImportance(model, classes=classes).fit(x, y).result_
        else:
            result = WeightImportance(model, classes=classes).fit(x[:1]).result_
        t_imp = time.perf_counter() - t
        t = time.perf_counter()
        graph = network_graph(model, x[:1], result)
        t_graph = time.perf_counter() - t
        t, c = time.perf_counter(), time.process_time()
        layout = KDEBundler().fit(graph).layout_
        arrays, _info = layout.to_arrays()
        size = len(save(arrays))
        t_layout, c_layout = time.perf_counter() - t, time.process_time() - c
        agg = [n for n in graph.notes if n.startswith("aggregated")]
        k = agg[0].split("only the ")[1].split(" ")[0] if agg else "-"
        print(
            f"| {name} | {result.method} | {graph.n_nodes:,} | {graph.n_edges:,} | {k} | "
            f"{t_imp:.1f} | {t_graph:.1f} | {t_layout:.1f} ({c_layout:.1f}) | {size / 1e6:.1f} |",
            flush=True,
        )
        for note in graph.notes:
            print(f"    note: {note[:200]}")
        print(f"    layout: {layout.iterations}, {layout.n_samples:,} points", flush=True)
    print(f"load average {os.getloadavg()[0]:.2f} at end")


if __name__ == "__main__":
    main()
