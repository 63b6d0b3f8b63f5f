"""Load: concurrent clients mixing the views' requests and uploads against a real uvicorn.

    python bench/bench_load.py [--clients 32] [--duration 180] [--runs DIR] [--json FILE]

Starts ``convlens serve`` on a free loopback port (a separate process, as a user runs it) over
``--runs`` (default: a fixture run written for the bench), then ``--clients`` threads, each with
its own keep-alive connection, send a fixed mix (cheap: runs list, run detail, methods, job
status; model: feature maps, attributions and their check and sanity check, layer compute,
class gradients, top probes, projection, story; uploads) for ``--duration`` seconds. Reports
req/s, p50/p95/p99 per endpoint, errors (any status >= 500, or a refused connection), the
server's RSS each minute (growth between the second and the third minute is the leak signal),
the cheap requests' p99 counted only over those sent while model requests were in flight
("while model requests queue"), and the load average before and after. Targets (issue 12): 0
errors, RSS growth < 10 %, cheap p99 < 100 ms.
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from _serve import serve

CHEAP = ("runs", "run", "methods", "job")


def _png(seed: int) -> bytes:
    from PIL import Image

    arr = np.random.default_rng(seed).integers(0, 255, (96, 128, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


def _requests(run: str, layer: str) -> list[tuple[str, str, str]]:
    r = f"/api/runs/{run}"
    return [
        ("runs", "GET", "/api/runs"),
        ("run", "GET", r),
        ("methods", "GET", "/api/methods"),
        ("featuremaps", "GET", f"{r}/featuremaps?layer={layer}&image=probe:3"),
        ("attributions", "GET", f"{r}/attributions?method=gradcam&image=probe:5"),
        ("check", "GET", f"{r}/attributions/check?method=saliency&image=probe:6"),
        ("sanity", "GET", f"{r}/attributions/sanity?method=gradcam&image=probe:7"),
        ("compute", "GET", f"{r}/compute?layer={layer}&channel=0&image=probe:2"),
        ("story", "GET", f"{r}/story"),
        ("job", "GET", "/api/jobs/0123456789abcdef"),
        ("classgrads", "GET", f"{r}/classgrads?layer={layer}"),
        ("top", "GET", f"{r}/top?layer={layer}&channel=0"),
        ("projection", "GET", f"{r}/projection?layer={layer}&method=pca"),
        ("upload", "POST", "/api/uploads"),
    ]


# A cheap request every 100 ms from a process of its own: its latency is the server's, with no
# share of the 32 client threads' GIL (which the in-process numbers above include).
_PROBE = """
import http.client, json, sys, time
port, seconds = int(sys.argv[1]), float(sys.argv[2])
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
out, until = [], time.monotonic() + seconds
while time.monotonic() < until:
    t = time.perf_counter()
    conn.request("GET", "/api/methods")
    conn.getresponse().read()
    out.append(time.perf_counter() - t)
    time.sleep(0.1)
print(json.dumps(out))
"""


def _probe(port: int, seconds: float) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", _PROBE, str(port), str(seconds)], stdout=subprocess.PIPE, text=True
    )


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class InFlight:
    """Model requests in flight now (cheap requests sent while any is are the ones that count
    for the "while model requests queue" figure)."""

    def __init__(self) -> None:
        self.n = 0
        self.lock = threading.Lock()

    def add(self, d: int) -> None:
        with self.lock:
            self.n += d


def client(
    port: int,
    mix: list,
    until: float,
    seed: int,
    out: dict,
    errors: list,
    busy: InFlight,
    queued: list,
) -> None:
    rng = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    png = _png(seed)
    b = "benchb0undary"
    body = (
        (
            f'--{b}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode()
        + png
        + f"\r\n--{b}--\r\n".encode()
    )
    while time.monotonic() < until:
        name, method, path = rng.choice(mix)
        headers = {"Content-Type": f"multipart/form-data; boundary={b}"} if method == "POST" else {}
        cheap = name in CHEAP
        behind = busy.n > 0 if cheap else False
        if not cheap:
            busy.add(1)
        t0 = time.perf_counter()
        try:
            conn.request(method, path, body=body if method == "POST" else None, headers=headers)
            resp = conn.getresponse()
            resp.read()
            status = resp.status
        except OSError as err:
            errors.append(f"{name}: {err!r}")
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            continue
        finally:
            if not cheap:
                busy.add(-1)
        dt = time.perf_counter() - t0
        out[name].append(dt)
        if behind:
            queued.append(dt)
        if status >= 500 or (status >= 400 and name != "job"):
            errors.append(f"{name}: {status}")
    conn.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--duration", "--seconds", dest="seconds", type=float, default=180.0)
    ap.add_argument("--runs", type=Path)
    ap.add_argument("--layer", default="conv")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    if args.runs is None:
        from convlens.testing import make_fixture_run

        args.runs = make_fixture_run(Path(tempfile.mkdtemp()) / "runs", epochs=3).parent
    run = sorted(p.parent.name for p in args.runs.glob("*/manifest.json"))[0]
    with serve(args.runs) as (server, port):
        mix = _requests(run, args.layer)
        out: dict[str, list[float]] = defaultdict(list)
        errors: list[str] = []
        queued: list[float] = []
        busy = InFlight()
        load_before = os.getloadavg()
        until = time.monotonic() + args.seconds
        threads = [
            threading.Thread(
                target=client, args=(port, mix, until, i, out, errors, busy, queued), daemon=True
            )
            for i in range(args.clients)
        ]
        rss = [(0.0, _rss_kb(server.pid))]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        prober = _probe(port, args.seconds)
        every = min(60.0, args.seconds / 3)  # one RSS sample per minute (or third of a short run)
        for i in range(1, int(args.seconds // every) + 1):
            time.sleep(max(0.0, t0 + i * every - time.monotonic()))
            rss.append((time.monotonic() - t0, _rss_kb(server.pid)))
        for t in threads:
            t.join()
        probed = np.array(json.loads(prober.communicate()[0] or "[]")) * 1000
        elapsed = time.monotonic() - t0
        load_after = os.getloadavg()
    total = sum(len(v) for v in out.values())
    rate = total / elapsed
    print(f"{args.clients} clients, {elapsed:.0f} s: {rate:.1f} req/s, {len(errors)} errors")
    rows = {}
    for name, ts in sorted(out.items()):
        q = np.percentile(np.array(ts) * 1000, [50, 95, 99])
        rows[name] = {"n": len(ts), "p50_ms": q[0], "p95_ms": q[1], "p99_ms": q[2]}
        tag = " (cheap)" if name in CHEAP else ""
        stats = f"p50 {q[0]:7.1f}  p95 {q[1]:7.1f}  p99 {q[2]:7.1f} ms"
        print(f"  {name + tag:<22} n={len(ts):>5}  {stats}")
    print("  server RSS (MB): " + ", ".join(f"{s:.0f}s {kb / 1024:.0f}" for s, kb in rss))
    growth = None
    if len(rss) >= 4:  # samples at 0, 60, 120, 180 s: growth over the third minute
        growth = (rss[3][1] - rss[2][1]) / rss[2][1]
        print(f"  RSS growth, minute 2 -> 3: {growth * 100:+.1f} %  (target < 10 %)")
    q99 = float(np.percentile(np.array(queued) * 1000, 99)) if queued else float("nan")
    print(
        f"  cheap p99 while model requests were in flight: {q99:.1f} ms over {len(queued)}"
        " requests  (target < 100 ms)"
    )
    if len(probed):
        p50, p95, p99 = np.percentile(probed, [50, 95, 99])
        print(
            f"  cheap request from a process of its own (every 100 ms, {len(probed)} requests):"
            f" p50 {p50:.1f}  p95 {p95:.1f}  p99 {p99:.1f} ms  (target p99 < 100 ms)"
        )
    print(
        "  load average (1/5/15 min) before: "
        + " ".join(f"{v:.2f}" for v in load_before)
        + ", after: "
        + " ".join(f"{v:.2f}" for v in load_after)
    )
    for e in errors[:10]:
        print("  error:", e)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "rps": total / elapsed,
                    "errors": errors,
                    "endpoints": rows,
                    "rss_kb": rss,
                    "rss_growth_3rd_minute": growth,
                    "cheap_p99_while_model_ms": q99,
                    "load_before": load_before,
                    "load_after": load_after,
                }
            )
        )


if __name__ == "__main__":
    main()
