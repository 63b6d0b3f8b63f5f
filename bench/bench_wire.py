"""Wire size of the big answers: base64 JSON against binary (safetensors, quantised).

    python bench/bench_wire.py [--points 50000] [--epochs 30] [--quick]

Two workloads, through the FastAPI app in-process (``TestClient``, Host 127.0.0.1), each asked
as ``Accept: application/json`` (the JSON with base64 arrays, sent uncompressed: what the page
fetched before) and as ``Accept: application/octet-stream`` (safetensors, see
``server/_binary.py``):

- the timeline of a synthetic run of ``--points`` probes x ``--epochs`` epochs (the run of
  ``bench_timeline_fps.py``: a stored [E, N, 2] embedding, so the server computes nothing),
  binary asked as the page asks for it: the first epoch, then chunks of ``500,000 // points``
  epochs, with ``Accept-Encoding: gzip`` (coords as 16-bit differences between epochs, which
  the server gzips); the binary size is the sum of the chunks' bytes on the wire;
- one upload's feature maps for every layer of ResNet-18 (3x224x224, 1000 classes, random
  weights, the run of ``bench_server.py``), the photo being scikit-image's astronaut.

Also printed: the largest error of the decoded arrays against the JSON's float32 ones (in
units of the array's range; decoded with ``server._binary.decode_binary``, what the page does)
and the size after gzip -6 of the uncompressed answers (what HTTP compression of both would
give). Target: binary >= 4x smaller than JSON.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("CONVLENS_QUIET", "1")

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

JSON = {"Accept": "application/json"}
BINARY = {"Accept": "application/octet-stream"}
TARGET = 4.0


def read_binary(body: bytes) -> dict[str, np.ndarray]:
    """The arrays of a binary answer, decoded (what ``web/src/api/binary.ts`` does)."""
    from convlens.server._binary import decode_binary

    return decode_binary(body)[1]


def read_json(body: bytes) -> dict[str, np.ndarray]:
    import base64

    out = {}
    for k, v in json.loads(body).items():
        if isinstance(v, dict) and set(v) == {"dtype", "shape", "data"}:
            out[k] = np.frombuffer(base64.b64decode(v["data"]), v["dtype"]).reshape(v["shape"])
    return out


def max_error(js: dict[str, np.ndarray], bi: dict[str, np.ndarray]) -> float:
    """Largest |binary - JSON| over every array, relative to that array's range."""
    worst = 0.0
    for k, a in js.items():
        a = a.astype(np.float64)
        span = float(a.max() - a.min()) or 1.0
        worst = max(worst, float(np.abs(bi[k].astype(np.float64) - a).max()) / span)
    return worst


class Tally:
    def __init__(self) -> None:
        self.json = self.binary = self.json_gz = self.binary_gz = 0
        self.error = 0.0

    def add(
        self, js: bytes, bi: bytes, wire: int | None = None, arrays: dict | None = None
    ) -> None:
        """One answer: JSON bytes, binary bytes (decoded), and what the binary took on the wire
        (gzipped) with its arrays when it came in chunks."""
        self.json += len(js)
        self.binary += len(bi) if wire is None else wire
        self.json_gz += len(gzip.compress(js, 6))
        self.binary_gz += len(gzip.compress(bi, 6)) if wire is None else wire
        self.error = max(self.error, max_error(read_json(js), arrays or read_binary(bi)))

    def row(self, what: str) -> str:
        mb = 1e6
        return (
            f"| {what} | {self.json / mb:.1f} MB | {self.binary / mb:.2f} MB | "
            f"**{self.json / self.binary:.1f}x** | {self.json_gz / mb:.1f} / "
            f"{self.binary_gz / mb:.2f} MB | {self.error:.1e} |"
        )


def get(client, url: str, params: dict, headers: dict) -> bytes:  # noqa: ANN001
    r = client.get(url, params=params, headers=headers)
    r.raise_for_status()
    return r.content


def chunks(points: int, epochs: int) -> list[tuple[int, int]]:
    """The page's chunks: the first epoch, then ``500,000 // points`` epochs at a time."""
    step = max(1, 500_000 // points)
    return [(0, 1)] + [(a, min(epochs, a + step)) for a in range(1, epochs, step)]


def timeline(points: int, epochs: int) -> tuple[Tally, list[float], int]:
    """The tally, the server's seconds per binary chunk, and the chunk count."""
    import time

    import bench_timeline_fps
    from bench_server import client_for

    t = Tally()
    with tempfile.TemporaryDirectory() as tmp:
        run, layer = bench_timeline_fps.make_run(Path(tmp), points, epochs)
        with client_for(Path(tmp)) as client:
            url = f"/api/runs/{run}/timeline"
            js = get(client, url, {"layer": layer}, {**JSON, "Accept-Encoding": "identity"})
            wire, parts, seconds = 0, [], []
            for a, b in chunks(points, epochs):
                t0 = time.perf_counter()
                with client.stream(
                    "GET",
                    url,
                    params={"layer": layer, "start": a, "stop": b},
                    headers={**BINARY, "Accept-Encoding": "gzip"},
                ) as r:
                    r.raise_for_status()
                    body = r.read()
                    wire += r.num_bytes_downloaded
                seconds.append(time.perf_counter() - t0)
                parts.append(read_binary(body))
            arrays = {k: np.concatenate([p[k] for p in parts]) for k in ("coords", "predicted")}
            arrays.update({k: parts[0][k] for k in ("labels", "split")})
            whole = get(client, url, {"layer": layer}, {**BINARY, "Accept-Encoding": "identity"})
            t.add(js, whole, wire=wire, arrays=arrays)
    return t, seconds, len(parts)


def resnet_maps() -> tuple[Tally, int]:
    from bench_server import client_for, make_run, photo_png, resnet_spec, upload

    t = Tally()
    with tempfile.TemporaryDirectory() as tmp:
        spec, _ = resnet_spec()
        make_run(Path(tmp), "resnet", spec, channels=3, size=224, classes=1000, layer="fc")
        with client_for(Path(tmp)) as client:
            uid = upload(client, photo_png())
            layers = [x["name"] for x in client.get("/api/runs/resnet/layers").json()["layers"]]
            for name in layers:
                params = {"layer": name, "image": f"upload:{uid}"}
                url = "/api/runs/resnet/featuremaps"
                t.add(get(client, url, params, JSON), get(client, url, params, BINARY))
    return t, len(layers)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--points", type=int, default=50_000)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--quick", action="store_true", help="2,000 points x 5 epochs, no ResNet")
    ap.add_argument("--timeline-only", action="store_true", help="no ResNet")
    args = ap.parse_args()
    if args.quick:
        args.points, args.epochs = 2000, 5
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", flush=True)
    print("| answer | JSON (base64) | binary | JSON / binary | gzip -6: JSON / binary | error |")
    print("|---|---|---|---|---|---|")
    tl, seconds, n = timeline(args.points, args.epochs)
    print(tl.row(f"timeline, {args.points:,} points x {args.epochs} epochs, {n} chunks"))
    print(
        f"  server: {sum(seconds):.2f} s for the {n} binary chunks in-process "
        f"(first {seconds[0]:.2f} s); on the wire {tl.binary / args.points / args.epochs:.2f} B "
        "per probe per epoch (gzip column: the binary's bytes on the wire)",
        flush=True,
    )
    ok = tl.json / tl.binary >= TARGET
    if not (args.quick or args.timeline_only):
        maps, n = resnet_maps()
        print(maps.row(f"ResNet-18 feature maps, one upload, {n} layers"))
        ok = ok and maps.json / maps.binary >= TARGET
    print(f"target binary >= {TARGET:.0f}x smaller: {'PASS' if ok else 'MISSED'}")


if __name__ == "__main__":
    main()
