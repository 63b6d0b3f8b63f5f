"""Benchmark: ConvLens "aligned" embedding against umap-learn's AlignedUMAP and chained UMAP.

Usage:
    python bench/bench_embed.py            # 2,000 probes x {128, 512} dims x 10 epochs
    python bench/bench_embed.py --quick    # 500 probes x 128 dims x 5 epochs, a smoke run
    python bench/bench_embed.py --scaling 2000 10000 50000 200000   # the scaling curve

``--scaling``: convlens aligned at each size (128-D, 10 epochs) in a fresh process each (peak
RSS of the fit, data included: VmHWM reset just before it), against one umap-learn ``UMAP`` fit
of the last epoch at the same size (timed x 10 = ten independent fits; ``--umap-up-to`` caps its
size). All threads are used (2 cores).

Data: drifting clustered activations (a stand-in for a CNN layer while it learns): 10 classes,
each a noisy 8-D patch in D dimensions; over the epochs the class centres move from a tight,
overlapping start to far-apart final places, and the points drift inside their patch.

Every method runs on one core: BLAS is limited to one thread and umap-learn runs single-threaded
because it is seeded. Times are wall-clock seconds after warm-up (numba compiled, scikit-learn
imported); cold start (a fresh process: import plus a first tiny fit) is measured separately.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
import warnings
from collections.abc import Callable

import numpy as np

os.environ.setdefault("CONVLENS_QUIET", "1")


def drifting_clusters(
    n: int,
    d: int,
    epochs: int,
    k: int = 10,
    intrinsic: int = 8,
    seed: int = 0,
    switch: float = 0.0,
) -> tuple[list[np.ndarray], np.ndarray]:
    """``epochs`` arrays ``[n, d]`` float32 of clusters that separate and drift over time.

    With ``switch > 0`` that fraction of points moves to another cluster halfway through (like
    examples the network re-files as it learns); the returned labels are the final ones.
    """
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, k, n)
    switch_rng = np.random.default_rng([seed, 1])
    movers = switch_rng.random(n) < switch
    new_labels = np.where(movers, (labels + switch_rng.integers(1, k, n)) % k, labels)
    start = rng.normal(size=(k, d)) * 0.5
    end = rng.normal(size=(k, d)) * 4.0
    basis = rng.normal(size=(k, intrinsic, d)) / np.sqrt(intrinsic)
    z = rng.normal(size=(n, intrinsic))
    out = []
    for e in range(epochs):
        t = e / max(epochs - 1, 1)
        if e == epochs // 2:
            labels = new_labels
        centres = (1 - t) * start + t * end
        local = np.empty((n, d))
        for c in range(k):  # per cluster: no [n, intrinsic, d] temporary (1.6 GB at 200,000)
            members = labels == c
            local[members] = z[members] @ basis[c]
        z = z + 0.15 * rng.normal(size=z.shape)
        out.append((centres[labels] + local + 0.3 * rng.normal(size=(n, d))).astype(np.float32))
    return out, labels


# -- the methods -------------------------------------------------------------------------------


def run_convlens(X: list[np.ndarray], seed: int) -> np.ndarray:
    from convlens.analyze import make_embedder

    return make_embedder("aligned", random_state=seed).fit(X).embedding_


def run_pca(X: list[np.ndarray], seed: int) -> np.ndarray:
    from convlens.analyze import make_embedder

    return make_embedder("pca").fit(X).embedding_


def run_aligned_umap(X: list[np.ndarray], seed: int) -> np.ndarray:
    import umap

    identity = {i: i for i in range(len(X[0]))}
    model = umap.AlignedUMAP(random_state=seed)
    model.fit(X, relations=[identity] * (len(X) - 1))
    return np.stack(model.embeddings_).astype(np.float32)


def _rigid(y: np.ndarray, previous: np.ndarray | None) -> np.ndarray:
    from convlens.analyze.embed._umap_layout import rotate_onto

    return y if previous is None else rotate_onto(y, previous)


def run_chained_umap(X: list[np.ndarray], seed: int) -> np.ndarray:
    """Plain ``umap.UMAP`` per epoch, ``init`` = the previous layout, then rigidly aligned."""
    import umap

    layouts: list[np.ndarray] = []
    for x in X:
        prev = layouts[-1] if layouts else None
        init = "spectral" if prev is None else prev.astype(np.float64)
        y = umap.UMAP(random_state=seed, init=init).fit_transform(x).astype(np.float32)
        layouts.append(_rigid(y, prev))
    return np.stack(layouts)


def run_chained_fastumap(X: list[np.ndarray], seed: int) -> np.ndarray:
    """fastumap's ``umap_project`` per epoch, ``init`` = the previous layout, rigidly aligned."""
    from fastumap import umap_project

    layouts: list[np.ndarray] = []
    for x in X:
        prev = layouts[-1] if layouts else None
        init = None if prev is None else prev.astype(np.float64)
        y = np.asarray(umap_project(x, 2, random_state=seed, init=init), dtype=np.float32)
        layouts.append(_rigid(y, prev))
    return np.stack(layouts)


METHODS: dict[str, Callable[[list[np.ndarray], int], np.ndarray]] = {
    "convlens aligned": run_convlens,
    "umap AlignedUMAP": run_aligned_umap,
    "umap chained init=prev": run_chained_umap,
    "fastumap chained init=prev": run_chained_fastumap,
    "convlens pca": run_pca,
}
REFERENCE = "umap AlignedUMAP"


# -- cold start --------------------------------------------------------------------------------

_COLD = {
    "convlens aligned": (
        "from convlens.analyze import make_embedder\n"
        "make_embedder('aligned', random_state=0).fit(X)\n"
    ),
    "umap-learn UMAP": "import umap\numap.UMAP(random_state=0).fit(X[0])\n",
    "umap-learn AlignedUMAP": (
        "import umap\n"
        "umap.AlignedUMAP(random_state=0).fit(X, relations=[{i: i for i in range(200)}])\n"
    ),
    "fastumap": "from fastumap import umap_project\numap_project(X[0], 2)\n",
}


def cold_start(name: str) -> float | None:
    """Seconds for a fresh process to import the library and lay out 2 epochs of 200 points."""
    code = (
        "import os, time, warnings\n"
        "warnings.simplefilter('ignore')\n"
        "os.environ['CONVLENS_QUIET'] = '1'\n"
        "from threadpoolctl import threadpool_limits\n"
        "threadpool_limits(1)\n"
        "import numpy as np\n"
        "rng = np.random.default_rng(0)\n"
        "X = [rng.normal(size=(200, 32)).astype(np.float32) for _ in range(2)]\n"
        "t = time.perf_counter()\n" + _COLD[name] + "print(time.perf_counter() - t)\n"
    )
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    if done.returncode != 0:
        print(f"  cold start of {name} failed: {done.stderr.strip().splitlines()[-1:]}")
        return None
    return float(done.stdout.strip().splitlines()[-1])


# -- the run -----------------------------------------------------------------------------------


def warm_up() -> list[str]:
    """Compile numba and import everything once, so timed runs measure the work."""
    X, _ = drifting_clusters(200, 16, 2)
    skipped = []
    for name, fn in METHODS.items():
        try:
            fn(X, 0)
        except ImportError as err:
            skipped.append(f"{name}: {err}")
    return skipped


def bench(
    n: int, d: int, epochs: int, seed: int, skip: set[str], switch: float = 0.0
) -> list[dict]:
    from convlens.analyze import embedding_quality

    X, _ = drifting_clusters(n, d, epochs, seed=seed, switch=switch)
    rows = []
    for name, fn in METHODS.items():
        if name in skip:
            continue
        t = time.perf_counter()
        Y = fn(X, seed)
        seconds = time.perf_counter() - t
        quality = embedding_quality(X, Y, n_neighbors=10)
        rows.append(
            {"n": n, "d": d, "epochs": epochs, "method": name, "seconds": seconds, **quality}
        )
        print(
            f"  {name:28s} {seconds:8.2f} s  tw {quality['trustworthiness']:.4f}  "
            f"disp {quality['displacement']:.4f}",
            flush=True,
        )
    ref = next((r for r in rows if r["method"] == REFERENCE), None)
    for r in rows:
        r["time_vs_ref"] = r["seconds"] / ref["seconds"] if ref else float("nan")
        r["tw_vs_ref"] = r["trustworthiness"] / ref["trustworthiness"] if ref else float("nan")
        r["disp_vs_ref"] = r["displacement"] / ref["displacement"] if ref else float("nan")
    return rows


def table(rows: list[dict]) -> str:
    head = (
        "| N × D × epochs | method | seconds | × AlignedUMAP time | trustworthiness | "
        "× AlignedUMAP tw | kNN kept | displacement | × AlignedUMAP disp |"
    )
    lines = [head, "|" + "---|" * 9]
    for r in rows:
        lines.append(
            f"| {r['n']} × {r['d']} × {r['epochs']} | {r['method']} | {r['seconds']:.2f} | "
            f"{r['time_vs_ref']:.3f} | {r['trustworthiness']:.4f} | {r['tw_vs_ref']:.3f} | "
            f"{r['knn_preservation']:.3f} | {r['displacement']:.4f} | {r['disp_vs_ref']:.2f} |"
        )
    return "\n".join(lines)


_SCALING_CHILD = """
import json, os, sys, time, warnings
warnings.simplefilter("ignore")
sys.path.insert(0, {bench!r})
from bench_embed import drifting_clusters
from convlens.analyze import embedding_quality, make_embedder
n, umap_too = {n}, {umap_too}
X, _ = drifting_clusters(n, 128, 10, seed=0)
def vm(key):
    with open("/proc/self/status") as f:
        return next(int(x.split()[1]) for x in f if x.startswith(key)) / 2**20
rss_data = vm("VmRSS:")
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset the peak (VmHWM) to the current RSS: the peak below is the fit's
t = time.perf_counter()
model = make_embedder("aligned", random_state=0).fit(X)
seconds = time.perf_counter() - t
rss = vm("VmHWM:")
q = embedding_quality(X, model.embedding_, n_neighbors=10)
last = embedding_quality(X[-1:], model.embedding_[-1:], n_neighbors=10)
row = dict(n=n, seconds=seconds, peak_rss_gb=rss, rss_after_data_gb=rss_data,
           neighbours=model.params_["neighbour_search"], **q,
           trustworthiness_last=last["trustworthiness"])
if umap_too:
    import umap
    umap.UMAP(random_state=0).fit(X[-1][:5000])  # numba JIT (nndescent too) outside the timing
    t = time.perf_counter()
    y = umap.UMAP(n_jobs=-1).fit_transform(X[-1])
    row["umap_one_fit_s"] = time.perf_counter() - t
    row["umap_trustworthiness_last"] = embedding_quality(X[-1:], y[None], 10)["trustworthiness"]
print("ROW" + json.dumps(row))
"""


def scaling(sizes: list[int], umap_up_to: int) -> list[dict]:
    """The scaling curve: each size in a fresh process (peak RSS is per process)."""
    bench_dir = os.path.dirname(os.path.abspath(__file__))
    rows = []
    for n in sizes:
        code = _SCALING_CHILD.format(bench=bench_dir, n=n, umap_too=n <= umap_up_to)
        load = os.getloadavg()[0]
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=False
        )
        line = [x for x in done.stdout.splitlines() if x.startswith("ROW")]
        if not line:
            print(f"  {n}: failed: {done.stderr.strip().splitlines()[-3:]}")
            continue
        row = json.loads(line[0][3:])
        row["load_start"] = load
        row["load_end"] = os.getloadavg()[0]
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def scaling_table(rows: list[dict]) -> str:
    lines = [
        "| N × 128 × 10 | neighbours | convlens s | peak RSS GB | umap-learn 1 fit s (×10) | "
        "convlens / 10 umap fits | tw (last epoch) | umap tw (last) | tw ratio | tw (mean) | "
        "displacement | load |",
        "|" + "---|" * 12,
    ]
    for r in rows:
        u = r.get("umap_one_fit_s")
        ut = r.get("umap_trustworthiness_last")
        lines.append(
            f"| {r['n']} | {r['neighbours']} | {r['seconds']:.1f} | {r['peak_rss_gb']:.2f} | "
            + (f"{u:.1f} ({10 * u:.0f}) | {r['seconds'] / (10 * u):.3f} | " if u else "– | – | ")
            + f"{r['trustworthiness_last']:.4f} | "
            + (f"{ut:.4f} | {r['trustworthiness_last'] / ut:.3f} | " if ut else "– | – | ")
            + f"{r['trustworthiness']:.4f} | {r['displacement']:.4f} | "
            f"{r['load_start']:.1f} → {r['load_end']:.1f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="500 × 128 × 5 epochs only")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-cold", action="store_true", help="skip the cold-start runs")
    parser.add_argument("--json", help="also write the rows to this JSON file")
    parser.add_argument(
        "--dims", type=int, nargs="+", default=[128, 512], help="feature sizes (default 128 512)"
    )
    parser.add_argument(
        "--switch",
        type=float,
        default=0.0,
        help="fraction of points that change cluster halfway through (a harder case)",
    )
    parser.add_argument(
        "--scaling", type=int, nargs="+", help="sizes for the scaling curve (runs only that)"
    )
    parser.add_argument(
        "--umap-up-to", type=int, default=50_000, help="largest size fitted with umap-learn"
    )
    args = parser.parse_args()
    if args.scaling:
        print(f"python {platform.python_version()}, {os.cpu_count()} CPUs")
        rows = scaling(args.scaling, args.umap_up_to)
        print(scaling_table(rows))
        if args.json:
            with open(args.json, "w") as f:
                json.dump(rows, f, indent=1)
        return

    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    warnings.filterwarnings("ignore", message="n_jobs value", category=UserWarning)
    warnings.filterwarnings("ignore", message="Graph is not fully connected")

    print(
        f"python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.2f} at start"
    )
    cold = {}
    if not args.no_cold:
        print("cold start (fresh process: import + first fit of 2 × 200 × 32):")
        for name in _COLD:
            cold[name] = cold_start(name)
            print(
                f"  {name:24s} {cold[name] if cold[name] is None else round(cold[name], 2)} s",
                flush=True,
            )

    t = time.perf_counter()
    skipped = warm_up()
    print(f"warm-up (numba JIT, imports) {time.perf_counter() - t:.1f} s")
    for s in skipped:
        print(f"  skipped {s}")
    skip = {s.split(":")[0] for s in skipped}

    sizes = [(500, 128, 5)] if args.quick else [(2000, d, 10) for d in args.dims]
    rows: list[dict] = []
    for n, d, e in sizes:
        note = (
            f", {args.switch:.0%} of points switch cluster at epoch {e // 2}" if args.switch else ""
        )
        print(f"{n} probes × {d} dims × {e} epochs{note}:", flush=True)
        rows += bench(n, d, e, args.seed, skip, args.switch)
    print(f"load average {os.getloadavg()[0]:.2f} at end")
    print()
    print(table(rows))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"cold_start_s": cold, "rows": rows, "skipped": skipped}, f, indent=1)


if __name__ == "__main__":
    main()
