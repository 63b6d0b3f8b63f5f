"""The first projection of each method in a fresh server process (issue 12, cold paths).

For each method (PCA, UMAP, t-SNE) a fresh ``convlens serve`` is started over the runs; once it
answers ``GET /api/methods`` the page's path is timed: ``POST .../projection/job``, the job's
progress until ``done``, then ``GET .../projection``. Meanwhile a client asks for
``/api/methods`` again and again over its own socket: its latencies (p50/p99/max) show whether
the job stalls the server. The reference, measured in the same run, is the old path's first
UMAP: umap-learn in a fresh Python process (numba compiles on first use), on the same
activations. Target: every method under 3 s on the demo run (400 probes).

    PYTHONPATH=src python bench/bench_projection_cold.py --runs RUNS_DIR [--layer fc1]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from _serve import serve


def _get(port: int, path: str, method: str = "GET") -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request(method, path, headers={"Origin": f"http://127.0.0.1:{port}"})
        r = conn.getresponse()
        body = r.read()
        return r.status, (json.loads(body) if body else {})
    finally:
        conn.close()


def _cheap_latencies(port: int, stop: threading.Event, out: list[float]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while not stop.is_set():
        t0 = time.perf_counter()
        conn.request("GET", "/api/methods")
        conn.getresponse().read()
        out.append(time.perf_counter() - t0)
        time.sleep(0.01)
    conn.close()


def first_projection(runs: Path, run: str, layer: str, method: str) -> dict:
    t_start = time.perf_counter()
    with serve(runs) as (_server, port):
        while True:  # ready: a cheap request answers
            try:
                if _get(port, "/api/methods")[0] == 200:
                    break
            except OSError:
                time.sleep(0.05)
        ready = time.perf_counter() - t_start
        cheap: list[float] = []
        stop = threading.Event()
        watcher = threading.Thread(target=_cheap_latencies, args=(port, stop, cheap))
        q = f"layer={layer}&method={method}&max_points=2000"
        t0 = time.perf_counter()
        status, job = _get(port, f"/api/runs/{run}/projection/job?{q}", "POST")
        assert status == 202, (status, job)
        watcher.start()
        messages = []
        while job["state"] in ("queued", "running"):
            if not messages or messages[-1] != job["message"]:
                messages.append(job["message"])
            time.sleep(0.02)
            job = _get(port, f"/api/jobs/{job['id']}")[1]
        assert job["state"] == "done", job
        status, answer = _get(port, f"/api/runs/{run}/projection?{q}")
        took = time.perf_counter() - t0
        stop.set()
        watcher.join()
        assert status == 200 and answer["method"] == method
    lat = np.array(cheap or [float("nan")]) * 1000
    return {
        "method": method,
        "ready_s": ready,
        "first_projection_s": took,
        "n_shown": answer["n_shown"],
        "trustworthiness": answer["quality"]["trustworthiness"],
        "cheap_n": len(cheap),
        "cheap_p50_ms": float(np.percentile(lat, 50)),
        "cheap_p99_ms": float(np.percentile(lat, 99)),
        "cheap_max_ms": float(lat.max()),
        "steps": messages,
    }


def umap_learn_reference(run_dir: Path, layer: str) -> float:
    """The old path: umap-learn's first fit in a fresh process (import + numba + fit)."""
    code = (
        "import time; t0 = time.perf_counter()\n"
        "import sys, numpy as np\n"
        "from convlens.store import Run\n"
        f"run = Run.open({str(run_dir)!r})\n"
        f"x = run.activations(run.epochs[-1], {layer!r}).reshape(len(run.probe()['labels']), -1)\n"
        "import umap\n"
        "umap.UMAP(n_neighbors=15, random_state=0, n_jobs=1).fit_transform(x)\n"
        "print(time.perf_counter() - t0)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=600
    )
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=Path)
    ap.add_argument("--layer", default=None, help="default: the run's last recorded layer")
    ap.add_argument("--methods", default="pca,umap,tsne")
    ap.add_argument("--no-reference", action="store_true", help="skip umap-learn's cold fit")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    if args.runs is None:
        from convlens.testing import make_fixture_run

        args.runs = make_fixture_run(Path(tempfile.mkdtemp()) / "runs", epochs=3).parent
    from convlens.store import Run

    run_dir = sorted(p.parent for p in args.runs.glob("*/manifest.json"))[0]
    layer = args.layer or Run.open(run_dir).layers[-1]
    load0 = os.getloadavg()[0]
    rows = [first_projection(args.runs, run_dir.name, layer, m) for m in args.methods.split(",")]
    ref = None if args.no_reference else umap_learn_reference(run_dir, layer)
    load1 = os.getloadavg()[0]
    print(
        f"run {run_dir.name}, layer {layer}, load {load0:.1f} -> {load1:.1f}, "
        f"{os.cpu_count()} cores"
    )
    print("method  ready(s)  first projection(s)  points  trust  cheap p50/p99/max (ms, n)")
    for r in rows:
        print(
            f"{r['method']:<7} {r['ready_s']:8.2f} {r['first_projection_s']:20.2f} "
            f"{r['n_shown']:7d} {r['trustworthiness']:6.3f}  "
            f"{r['cheap_p50_ms']:.0f}/{r['cheap_p99_ms']:.0f}/{r['cheap_max_ms']:.0f} "
            f"({r['cheap_n']})"
        )
        print(
            "        steps:",
            " | ".join(r["steps"][:3]),
            "...",
            r["steps"][-1] if r["steps"] else "",
        )
    if ref is not None:
        umap_row = next((r for r in rows if r["method"] == "umap"), None)
        ratio = f", {ref / umap_row['first_projection_s']:.1f}x slower" if umap_row else ""
        print(f"reference: umap-learn's first fit in a fresh process {ref:.2f} s{ratio}")
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "reference_s": ref}, indent=2))


if __name__ == "__main__":
    main()
