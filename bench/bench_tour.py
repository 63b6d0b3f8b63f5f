"""What the guided tour makes ready while the user reads (issue 10 item 8).

Over a copy of a run (a fresh app: no model loaded, nothing computed) the requests the web's
``lib/prefetch.ts`` makes are timed in tour order: for each step, what a cold view would have
waited for. The reference, in the same run, is the same requests again (warm server). In the
browser a view after the prefetch waits for neither: its answers are in the page's cache
(tests/browser/test_tour_ready.py checks that it asks nothing again).

    PYTHONPATH=src python bench/bench_tour.py --run RUN_DIR
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from fastapi.testclient import TestClient

from convlens.server import Settings, create_app


def _job(client: TestClient, path: str, query: dict) -> None:
    s = client.post(path, params=query).json()
    while s["state"] in ("queued", "running"):
        time.sleep(0.05)
        s = client.get(f"/api/jobs/{s['id']}").json()
    assert s["state"] == "done", s


def _step(client: TestClient, run: dict, step: dict) -> None:
    r = f"/api/runs/{run['id']}"
    p = dict(parse_qsl(urlsplit(step["route"]).query))
    epoch = run["checkpoints"][-1]
    if step["id"] == "explorer":
        client.get(f"{r}/layers", params={"epoch": epoch}).raise_for_status()
        q = {"epoch": epoch, "layer": p["layer"], "image": p.get("image", "probe:0")}
        client.get(f"{r}/featuremaps", params={**q, "order": "natural"}).raise_for_status()
        client.get(f"{r}/weights", params={"epoch": epoch, "layer": p["layer"]}).raise_for_status()
    elif step["id"] == "attributions":
        q = {"epoch": epoch, "image": p.get("image", "probe:0"), "method": p["method"]}
        client.get(f"{r}/attributions", params=q).raise_for_status()
        client.get(f"{r}/attributions/check", params=q).raise_for_status()
    elif step["id"] == "classgrads":
        q = {"epoch": epoch, "layer": p["layer"], "reference": p.get("reference")}
        client.get(f"{r}/classgrads", params=q).raise_for_status()
    elif step["id"] == "graph":
        _job(client, f"{r}/graph/job", {"epoch": epoch})
        client.get(f"{r}/graph", params={"epoch": epoch}).raise_for_status()
    elif step["id"] == "projection":
        layer = p.get("layer") or run["layers"][-1]
        q = {"epoch": run["epochs"][-1], "layer": layer, "method": "umap", "max_points": 2000}
        _job(client, f"{r}/projection/job", q)
        client.get(f"{r}/projection", params=q).raise_for_status()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", type=Path, required=True, help="a run folder (copied, not changed)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        runs = Path(tmp) / "runs"
        shutil.copytree(args.run, runs / args.run.name)
        app = create_app(runs, Settings())
        with TestClient(app, base_url="http://127.0.0.1") as client:
            run = client.get(f"/api/runs/{args.run.name}").json()
            steps = client.get("/api/tour", params={"run": run["id"]}).json()["steps"]
            print(f"load average {os.getloadavg()[0]:.1f}; run {run['id']}")
            print(f"{'step':<14}{'cold (s)':>10}{'again (s)':>11}{'ratio':>8}")
            total = 0.0
            for step in steps:
                t0 = time.perf_counter()
                _step(client, run, step)
                cold = time.perf_counter() - t0
                t0 = time.perf_counter()
                _step(client, run, step)
                warm = time.perf_counter() - t0
                total += cold
                ratio = f"{cold / warm:.0f}×" if warm > 1e-3 else "–"
                print(f"{step['id']:<14}{cold:>10.2f}{warm:>11.3f}{ratio:>8}")
            print(f"all steps made ready in {total:.1f} s; load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
