"""Server time per request: one upload's feature maps, Grad-CAM, integrated gradients.

    python bench/bench_server.py [--reps 30] [--resnet-reps 5] [--ig-reps 2] [--quick]
                                 [--profile] [--json FILE]

``--profile`` adds where one upload's feature maps spend their time (cProfile of the view, the
encoding and the response model on the worker thread).

Everything goes through the FastAPI app in-process (``fastapi.testclient.TestClient``, Host
127.0.0.1), against runs written for the bench with ``Recorder`` (one epoch, a few random probe
images, checkpoint kept; the server rebuilds the model from the manifest's ``spec``). The upload is
a real photo: scikit-image's astronaut (512x512 RGB), PNG-encoded.

Two models:
- the demo CNN (``build_model("paper", in_channels=1, num_classes=10, image_size=64)``);
- ResNet-18 with random weights, 3x224x224, 1000 classes: ``torchvision.models.resnet18`` when
  ``import torchvision`` works, else ``resnet18`` below (a faithful copy: BasicBlock x [2, 2, 2, 2],
  64-128-256-512, 7x7 stem, torchvision's module names and initialisation), which the server builds
  from the spec ``bench_server:resnet18`` (this folder is on ``sys.path``).

"One upload, all feature maps" = POST /api/uploads + GET /api/runs/R/featuremaps for every layer
that GET /api/runs/R/layers lists (the layer list is fetched once per run, as the UI does); the
same again over a real socket (uvicorn in a thread, one keep-alive connection) and through
``views.featuremaps`` directly. The targets are judged on the TestClient numbers.
References measured in the same run: feature maps against bare PyTorch (decode the PNG, resize,
one forward pass with a hook on every layer); Grad-CAM and integrated gradients against Captum
called directly with its defaults (``LayerGradCam`` on the same layer; ``IntegratedGradients``
with ``internal_batch_size=None``, i.e. all 50 steps in one batch). Peak memory of integrated
gradients: RSS high-water mark (``VmHWM``, reset through ``/proc/self/clear_refs`` just before
the call) minus RSS before it, each variant in a fresh subprocess.

Every direct call (references, ``views`` without HTTP) runs on one worker thread, as the server
runs its sync endpoints: on this shared 2-core VM a batch-1 forward pass on the *main* thread with
two OpenMP threads was 5-30x slower than the same pass on a worker thread whenever other
processes competed for the cores (OpenMP's spinning team; ``OMP_WAIT_POLICY=PASSIVE`` removes it).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

os.environ.setdefault("CONVLENS_QUIET", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # the server imports "bench_server:resnet18" by name
    sys.path.insert(0, str(HERE))

WORKER = ThreadPoolExecutor(1, thread_name_prefix="bench-worker")


def on_worker(fn, *args):  # noqa: ANN001, ANN002, ANN201
    """Run ``fn(*args)`` on the bench's worker thread (see the module docstring)."""
    return WORKER.submit(fn, *args).result()


TARGETS = {
    "paper_maps": 0.150,  # s, p95, one upload + every layer's feature maps, demo CNN
    "resnet_maps": 0.600,  # s, p95, the same for ResNet-18
    "resnet_gradcam": 1.0,  # s, p95, GET /attributions?method=gradcam
    "resnet_ig": 8.0,  # s, p95, GET /attributions?method=integrated_gradients (50 steps)
}


# -- ResNet-18, the same modules and names as torchvision's -----------------------------------


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(
        self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None
    ) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class ResNet18(nn.Module):
    """torchvision's ``resnet18(weights=None)``: same layers, names and initialisation."""

    def __init__(self, num_classes: int = 1000, in_channels: int = 3) -> None:
        super().__init__()
        self.inplanes = 64
        self.conv1 = nn.Conv2d(in_channels, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(64, 2)
        self.layer2 = self._make_layer(128, 2, stride=2)
        self.layer3 = self._make_layer(256, 2, stride=2)
        self.layer4 = self._make_layer(512, 2, stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def _make_layer(self, planes: int, blocks: int, stride: int = 1) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.inplanes != planes:
            downsample = nn.Sequential(
                nn.Conv2d(self.inplanes, planes, 1, stride=stride, bias=False),
                nn.BatchNorm2d(planes),
            )
        layers = [BasicBlock(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes
        layers += [BasicBlock(planes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def resnet18(num_classes: int = 1000, in_channels: int = 3) -> nn.Module:
    """Factory for ``build_model("bench_server:resnet18", ...)``."""
    return ResNet18(num_classes=num_classes, in_channels=in_channels)


def resnet_spec() -> tuple[str, str]:
    """(spec, which) for ResNet-18: torchvision's if it imports, else the copy above."""
    try:
        import torchvision  # noqa: F401
    except Exception as err:  # noqa: BLE001 - a CUDA wheel for another torch raises anything
        return "bench_server:resnet18", f"bench copy (torchvision unusable: {type(err).__name__})"
    return "torchvision:resnet18", f"torchvision {torchvision.__version__}"


# -- set-up -----------------------------------------------------------------------------------


def make_run(
    runs_dir: Path, run_id: str, spec: str, *, channels: int, size: int, classes: int, layer: str
) -> None:
    """A one-epoch run whose checkpoint the server can rebuild from ``spec``."""
    from convlens.models import build_model
    from convlens.record import Recorder

    torch.manual_seed(0)
    model = build_model(spec, in_channels=channels, num_classes=classes, image_size=size)
    x = torch.rand(4, channels, size, size)
    y = np.arange(4) % classes
    thumbs = (x.permute(0, 2, 3, 1).numpy() * 255).astype(np.uint8)
    with Recorder(
        model,
        x,
        y,
        layers=layer,
        out=runs_dir,
        run_id=run_id,
        class_names=[f"class {i}" for i in range(classes)],
        dataset={"name": "bench", "image_size": size, "channels": channels, "train": 0, "test": 4},
        model_info={"name": run_id, "spec": spec},
        thumbnails=thumbs,
    ) as rec:
        rec.record_epoch({"test_accuracy": 0.1})


def photo_png() -> bytes:
    from PIL import Image
    from skimage import data

    buf = io.BytesIO()
    Image.fromarray(data.astronaut()).save(buf, format="PNG")
    return buf.getvalue()


def client_for(runs_dir: Path):  # noqa: ANN201
    from fastapi.testclient import TestClient

    from convlens.server import create_app

    return TestClient(create_app(runs_dir), base_url="http://127.0.0.1")


def q(xs: list[float], p: float) -> float:
    return float(np.percentile(np.asarray(xs), p))


def fmt_ms(xs: list[float]) -> str:
    return f"{1e3 * statistics.median(xs):8.1f} {1e3 * q(xs, 95):8.1f}"


def fmt_s(xs: list[float]) -> str:
    return f"{statistics.median(xs):8.2f} {q(xs, 95):8.2f}"


# -- feature maps -----------------------------------------------------------------------------


def upload(client, png: bytes) -> str:  # noqa: ANN001
    r = client.post("/api/uploads", files={"file": ("astronaut.png", png, "image/png")})
    r.raise_for_status()
    return str(r.json()["id"])


def one_upload_all_maps(client, run: str, png: bytes, layers: list[str]) -> dict:  # noqa: ANN001
    t0 = time.perf_counter()
    uid = upload(client, png)
    t1 = time.perf_counter()
    per_layer, nbytes, refused = {}, 0, {}
    for name in layers:
        s = time.perf_counter()
        r = client.get(
            f"/api/runs/{run}/featuremaps", params={"layer": name, "image": f"upload:{uid}"}
        )
        per_layer[name] = time.perf_counter() - s
        if r.status_code != 200:
            refused[name] = f"{r.status_code} {r.json().get('detail', '')}"
        nbytes += len(r.content)
    return {
        "total": time.perf_counter() - t0,
        "upload": t1 - t0,
        "maps": time.perf_counter() - t1,
        "per_layer": per_layer,
        "bytes": nbytes,
        "refused": refused,
    }


class SocketClient:
    """The same requests over a real socket: uvicorn in a thread, one keep-alive connection."""

    def __init__(self, app) -> None:  # noqa: ANN001
        import http.client
        import threading

        import uvicorn

        from convlens.server import bind

        self.sock = bind("127.0.0.1", 0)
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )
        self.thread.start()
        while not self.server.started:
            time.sleep(0.02)
        self.conn = http.client.HTTPConnection("127.0.0.1", self.sock.getsockname()[1])

    def _send(self, method: str, path: str, body: bytes | None = None, headers=None) -> bytes:  # noqa: ANN001
        self.conn.request(method, path, body=body, headers=headers or {})
        r = self.conn.getresponse()
        data = r.read()
        if r.status not in (200, 400):
            raise RuntimeError(f"{method} {path}: {r.status} {data[:200]!r}")
        return data

    def upload_all_maps(self, run: str, png: bytes, layers: list[str]) -> float:
        from urllib.parse import quote

        t0 = time.perf_counter()
        b = "convlensbenchboundary"
        body = (
            (
                f'--{b}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n'
                "Content-Type: image/png\r\n\r\n"
            ).encode()
            + png
            + f"\r\n--{b}--\r\n".encode()
        )
        headers = {"Content-Type": f"multipart/form-data; boundary={b}"}
        uid = json.loads(self._send("POST", "/api/uploads", body, headers))["id"]
        for name in layers:
            self._send("GET", f"/api/runs/{run}/featuremaps?layer={quote(name)}&image=upload:{uid}")
        return time.perf_counter() - t0

    def close(self) -> None:
        self.conn.close()
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


def bare_forward(model: nn.Module, png: bytes, layers: list[str], c: int, s: int) -> float:
    """Reference: decode, resize, one forward pass with a hook on every layer (no copies)."""
    from convlens.data import images_to_tensor
    from convlens.views import decode_image, to_model_input

    t0 = time.perf_counter()
    x = images_to_tensor(to_model_input(decode_image(png), c, s)[None])
    mods = dict(model.named_modules())
    outs: list[torch.Tensor] = []
    handles = [mods[n].register_forward_hook(lambda _m, _i, o: outs.append(o)) for n in layers]
    try:
        with torch.no_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()
    return time.perf_counter() - t0


def view_only(insp, run_id: str, png: bytes, layers: list[str]) -> float:  # noqa: ANN001
    """One upload's feature maps through ``views.featuremaps`` directly (no HTTP, no encoding)."""
    from convlens import views

    run = insp.run(run_id)
    t0 = time.perf_counter()
    uid = insp.add_upload(png).id
    for name in layers:
        with contextlib.suppress(Exception):  # refused layers are reported by the HTTP pass
            views.featuremaps(insp, run, epoch=None, layer=name, image=f"upload:{uid}")
    return time.perf_counter() - t0


def bench_maps(client, run: str, png: bytes, reps: int, label: str, out: dict) -> dict:  # noqa: ANN001
    r = client.get(f"/api/runs/{run}/layers")  # first call builds the model
    r.raise_for_status()
    t0 = time.perf_counter()
    info = client.get(f"/api/runs/{run}/layers").json()
    layers_s = time.perf_counter() - t0
    layers = [li["name"] for li in info["layers"]]
    c, s, _ = info["input_shape"]
    for _ in range(2 if reps > 5 else 1):  # warm-up
        one_upload_all_maps(client, run, png, layers)
    rows = [one_upload_all_maps(client, run, png, layers) for _ in range(reps)]
    ok = [n for n in layers if n not in rows[0]["refused"]]
    insp = client.app.state.inspector
    model, _ = insp.models.model(insp.run(run))
    bare = [on_worker(bare_forward, model, png, ok, c, s) for _ in range(min(reps, 10) + 1)][1:]
    view = [on_worker(view_only, insp, run, png, layers) for _ in range(min(reps, 5) + 1)][1:]
    sc = SocketClient(client.app)
    try:
        sc.upload_all_maps(run, png, layers)  # warm-up
        socket = [sc.upload_all_maps(run, png, layers) for _ in range(reps)]
    finally:
        sc.close()
    total = [r["total"] for r in rows]
    per_layer = {n: statistics.median(r["per_layer"][n] for r in rows) for n in layers}
    slowest = sorted(per_layer.items(), key=lambda kv: -kv[1])[:3]
    res = {
        "label": label,
        "layers": len(layers),
        "refused": rows[0]["refused"],
        "total": total,
        "upload": [r["upload"] for r in rows],
        "maps": [r["maps"] for r in rows],
        "view": view,
        "socket": socket,
        "bare": bare,
        "bytes": rows[0]["bytes"],
        "layers_call": layers_s,
        "slowest": slowest,
        "one_request": [t for r in rows for t in r["per_layer"].values()],
        "per_layer_all": {n: [r["per_layer"][n] for r in rows] for n in layers},
    }
    out[label] = res
    return res


def print_maps(res: dict, target: float) -> bool:
    n_ok = res["layers"] - len(res["refused"])
    print(
        f"\n{res['label']}: {res['layers']} layers listed by /layers, {n_ok} answered, "
        f"{res['bytes'] / 2**20:.1f} MB of JSON per upload, {len(res['total'])} reps"
    )
    print(f"  {'step':<46} {'p50 ms':>8} {'p95 ms':>8}")
    print(f"  {'one upload + every layer (HTTP, in-process)':<46} {fmt_ms(res['total'])}")
    print(f"  {'  POST /api/uploads':<46} {fmt_ms(res['upload'])}")
    print(f"  {'  GET featuremaps x ' + str(res['layers']):<46} {fmt_ms(res['maps'])}")
    print(f"  {'  one GET featuremaps (any layer)':<46} {fmt_ms(res['one_request'])}")
    print(f"  {'the same over a socket (uvicorn, keep-alive)':<46} {fmt_ms(res['socket'])}")
    print(f"  {'the same through views.* directly (no HTTP)':<46} {fmt_ms(res['view'])}")
    print(f"  {'reference: bare PyTorch (decode+1 forward)':<46} {fmt_ms(res['bare'])}")
    print(
        f"  GET /layers (once per run): {1e3 * res['layers_call']:.1f} ms; slowest layers: "
        + ", ".join(f"{n} {1e3 * t:.1f} ms" for n, t in res["slowest"])
    )
    if res["refused"]:
        name, why = next(iter(res["refused"].items()))
        print(f"  refused {len(res['refused'])} listed layers, e.g. {name}: {why[:160]}")
    ratio = statistics.median(res["total"]) / statistics.median(res["bare"])
    print(f"  ratio server / bare PyTorch (p50): {ratio:.1f}x")
    p95 = q(res["total"], 95)
    ok = p95 <= target
    print(f"  target p95 <= {1e3 * target:.0f} ms: {'PASS' if ok else 'MISS'} ({1e3 * p95:.1f} ms)")
    return ok


# -- attributions -----------------------------------------------------------------------------


def timed(fn, reps: int) -> list[float]:  # noqa: ANN001
    def run() -> list[float]:
        out = []
        for _ in range(reps):
            t0 = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t0)
        return out

    return on_worker(run)


def model_and_input(client, run: str, png: bytes) -> tuple[nn.Module, torch.Tensor, int]:  # noqa: ANN001
    from convlens.data import images_to_tensor
    from convlens.views import decode_image, to_model_input

    insp = client.app.state.inspector
    model, _ = insp.models.model(insp.run(run))
    c, s, _ = insp.input_shape(insp.run(run))
    x = images_to_tensor(to_model_input(decode_image(png), c, s)[None])
    with torch.no_grad():
        target = int(model(x).argmax(1))
    return model, x, target


def attribution_request(client, run: str, uid: str, method: str) -> float:  # noqa: ANN001
    t0 = time.perf_counter()
    r = client.get(
        f"/api/runs/{run}/attributions", params={"image": f"upload:{uid}", "method": method}
    )
    dt = time.perf_counter() - t0
    if r.status_code != 200:
        raise RuntimeError(f"{method}: {r.status_code} {r.text[:300]}")
    return dt


def bench_gradcam(client, run: str, png: bytes, reps: int) -> dict:  # noqa: ANN001
    from captum.attr import LayerAttribution, LayerGradCam

    from convlens.analyze import GradCAM, deletion_insertion, last_conv_layer

    model, x, target = model_and_input(client, run, png)
    layer = last_conv_layer(model)
    module = dict(model.named_modules())[layer]
    heat = np.random.default_rng(0).random(tuple(x.shape[2:])).astype(np.float32)

    def ours() -> None:
        GradCAM(model, layer).attribute(x, target)

    def captum() -> None:
        cam = LayerGradCam(model, module).attribute(x, target=target)
        LayerAttribution.interpolate(cam, tuple(x.shape[2:]), interpolate_mode="bilinear")

    def scoring() -> None:
        deletion_insertion(model, x, heat, target)

    uid = upload(client, png)
    timed(ours, 1), timed(captum, 1), timed(scoring, 1)  # warm-up
    attribution_request(client, run, uid, "gradcam")
    return {
        "layer": layer,
        "ours": timed(ours, reps),
        "captum": timed(captum, reps),
        "scoring": timed(scoring, reps),
        "server": [attribution_request(client, run, uid, "gradcam") for _ in range(reps)],
    }


def bench_ig(client, run: str, png: bytes, reps: int) -> dict:  # noqa: ANN001
    from captum.attr import IntegratedGradients as CaptumIG

    from convlens.analyze import IntegratedGradients

    model, x, target = model_and_input(client, run, png)

    def ours() -> None:
        IntegratedGradients(model).attribute(x, target)

    def captum() -> None:
        with torch.enable_grad():
            CaptumIG(model).attribute(x, baselines=torch.zeros_like(x), target=target, n_steps=50)

    uid = upload(client, png)
    res: dict = {"ours": [], "captum": [], "server": []}
    timed(ours, 1)  # warm-up
    for _ in range(reps):  # interleaved, so load on the shared machine hits all three alike
        res["ours"] += timed(ours, 1)
        res["captum"] += timed(captum, 1)
        res["server"].append(attribution_request(client, run, uid, "integrated_gradients"))
    return res


# -- peak memory of integrated gradients, one fresh process per variant ----------------------


def _status_kb(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return -1


def memory_child(variant: str, runs_dir: Path, run: str) -> None:
    """Run one integrated-gradients call and print its RSS peak (JSON on stdout)."""
    from captum.attr import IntegratedGradients as CaptumIG

    from convlens.analyze import IntegratedGradients

    png = photo_png()
    client = client_for(runs_dir)
    model, x, target = model_and_input(client, run, png)
    uid = upload(client, png) if variant == "server" else ""
    on_worker(lambda: model(x).sum().item())  # kernels initialised, as in a running server
    before = _status_kb("VmRSS")
    try:
        Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
        reset = True
    except OSError:
        reset = False

    def call() -> None:
        if variant == "ours":
            IntegratedGradients(model).attribute(x, target)
        elif variant == "captum":
            with torch.enable_grad():
                CaptumIG(model).attribute(
                    x, baselines=torch.zeros_like(x), target=target, n_steps=50
                )
        else:
            attribution_request(client, run, uid, "integrated_gradients")

    seconds = timed(call, 1)[0]
    hwm = _status_kb("VmHWM")
    print(
        json.dumps(
            {
                "before_mb": before / 1024,
                "hwm_mb": hwm / 1024,
                "peak_mb": (hwm - before) / 1024,
                "reset": reset,
                "seconds": seconds,
            }
        )
    )


def memory(runs_dir: Path, run: str) -> dict[str, dict]:
    out = {}
    for variant in ("ours", "captum", "server"):
        cmd = [
            sys.executable,
            __file__,
            "--memory-child",
            variant,
            "--runs-dir",
            str(runs_dir),
            "--run",
            run,
        ]
        p = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if p.returncode != 0:
            raise RuntimeError(f"memory child {variant} failed:\n{p.stderr[-2000:]}")
        out[variant] = json.loads(p.stdout.strip().splitlines()[-1])
    return out


# -- main -------------------------------------------------------------------------------------


PROFILED = (  # (function name, file part, what it is)
    ("decode_image", "convlens", "decode the uploaded PNG"),
    ("open", "store/_run", "Run.open: parse manifest.json"),
    ("get", "_models", "ModelCache.get (cached model)"),
    ("to_model_input", "convlens", "crop + LANCZOS resize to the model input"),
    ("leaf_layers", "convlens", "leaf_layers (a pass listing the layers)"),
    ("layer_outputs", "convlens", "layer_outputs (forward pass + output copies)"),
    ("order_channels", "convlens", "order_channels"),
    ("featuremaps_text", "convlens", "explanation text"),
    ("encode", "_schemas", "encode arrays: float32 -> base64"),
    ("model_validate", "", "pydantic validate"),
    ("model_dump_json", "", "pydantic dump JSON"),
)


def profile_maps(client, run_id: str, png: bytes) -> None:  # noqa: ANN001
    """Where one upload's feature maps spend their time: cProfile of the view, the encoding and
    the response model on the worker thread, against the same requests over HTTP."""
    import cProfile
    import pstats

    from convlens import views
    from convlens.server._schemas import FeatureMaps, encode

    insp = client.app.state.inspector
    names = [li["name"] for li in client.get(f"/api/runs/{run_id}/layers").json()["layers"]]

    def one_upload() -> float:
        t0 = time.perf_counter()
        run = insp.run(run_id)
        uid = insp.add_upload(png).id
        for name in names:
            with contextlib.suppress(Exception):
                d = views.featuremaps(insp, run, epoch=None, layer=name, image=f"upload:{uid}")
                FeatureMaps.model_validate(encode(d)).model_dump_json()
        return time.perf_counter() - t0

    on_worker(one_upload)  # warm-up
    prof = cProfile.Profile()

    def profiled() -> float:
        prof.enable()
        try:
            return one_upload()
        finally:
            prof.disable()

    direct = sum(on_worker(profiled) for _ in range(3))  # 3 uploads, one profile
    http = [one_upload_all_maps(client, run_id, png, names)["total"] for _ in range(3)]
    stats = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    print(
        f"\nwhere the time goes, {run_id}: 3 x (upload + {len(names)} layers) on the worker "
        f"thread, cProfile on: {1e3 * direct / 3:.0f} ms per upload (HTTP, profiler off: "
        f"{1e3 * statistics.median(http):.0f} ms)"
    )
    for func, part, what in PROFILED:
        cum = sum(v[3] for (fname, _, fn), v in stats.items() if fn == func and part in fname)
        if cum:
            print(f"  {what:<48} {1e3 * cum / 3:8.1f} ms  {100 * cum / direct:5.1f} %")
    top = sorted(stats.items(), key=lambda kv: -kv[1][2])[:6]
    print(
        "  largest self times: "
        + "; ".join(
            f"{fn} ({Path(fname).name}) {1e3 * v[2] / 3:.1f} ms" for (fname, _, fn), v in top
        )
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=30, help="repetitions for the demo CNN")
    ap.add_argument("--resnet-reps", type=int, default=5, help="repetitions for ResNet-18")
    ap.add_argument("--ig-reps", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="a smoke run: few reps, no memory")
    ap.add_argument("--profile", action="store_true", help="cProfile the feature-map requests")
    ap.add_argument("--json", type=Path, help="write the raw numbers here")
    ap.add_argument("--memory-child", choices=("ours", "captum", "server"), help=argparse.SUPPRESS)
    ap.add_argument("--runs-dir", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--run", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.memory_child:
        memory_child(args.memory_child, args.runs_dir, args.run)
        return
    if args.quick:
        args.reps, args.resnet_reps, args.ig_reps = 5, 2, 1

    spec, which = resnet_spec()
    load = os.getloadavg()
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs, "
        f"load average {load[0]:.2f}"
    )
    print(f"ResNet-18: {which} (spec {spec})")
    png = photo_png()
    print(f"upload: skimage astronaut 512x512 RGB, PNG {len(png) / 1024:.0f} KB")
    t_start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        runs_dir = Path(tmp)
        make_run(runs_dir, "paper", "paper", channels=1, size=64, classes=10, layer="fc1")
        make_run(runs_dir, "resnet18", spec, channels=3, size=224, classes=1000, layer="avgpool")
        client = client_for(runs_dir)
        raw: dict = {}
        results = []
        res = bench_maps(client, "paper", png, args.reps, "demo CNN (paper, 1x64x64)", raw)
        results.append(
            ("demo CNN all feature maps p95 <= 150 ms", print_maps(res, TARGETS["paper_maps"]))
        )
        res = bench_maps(client, "resnet18", png, args.resnet_reps, "ResNet-18 (3x224x224)", raw)
        results.append(
            ("ResNet-18 all feature maps p95 <= 600 ms", print_maps(res, TARGETS["resnet_maps"]))
        )
        worst = max(statistics.median(r) for r in res["per_layer_all"].values())
        p95 = q(res["one_request"], 95)
        ok = p95 <= TARGETS["resnet_maps"]
        print(
            f"  (read as one layer's request: p95 {1e3 * p95:.1f} ms, slowest layer p50 "
            f"{1e3 * worst:.1f} ms: {'PASS' if ok else 'MISS'} against 600 ms)"
        )
        results.append(("ResNet-18 one layer's feature maps p95 <= 600 ms", ok))
        if args.profile:
            profile_maps(client, "paper", png)
            profile_maps(client, "resnet18", png)

        gc = bench_gradcam(client, "resnet18", png, max(args.resnet_reps, 5))
        raw["gradcam"] = gc
        print(f"\nResNet-18 Grad-CAM (layer {gc['layer']}), {len(gc['ours'])} reps")
        print(f"  {'variant':<52} {'p50 ms':>8} {'p95 ms':>8}")
        print(f"  {'server GET /attributions?method=gradcam':<52} {fmt_ms(gc['server'])}")
        print(f"  {'convlens GradCAM(model, layer).attribute':<52} {fmt_ms(gc['ours'])}")
        print(f"  {'reference: Captum LayerGradCam + interpolate':<52} {fmt_ms(gc['captum'])}")
        print(
            f"  {'  (deletion_insertion scoring alone, in the request)':<52} "
            f"{fmt_ms(gc['scoring'])}"
        )
        r1 = statistics.median(gc["ours"]) / statistics.median(gc["captum"])
        r2 = statistics.median(gc["server"]) / statistics.median(gc["captum"])
        print(
            f"  ratio ours / Captum: {r1:.2f}x; server request / Captum: {r2:.1f}x "
            "(the request adds the probabilities and deletion/insertion scoring)"
        )
        p95 = q(gc["server"], 95)
        ok = p95 <= TARGETS["resnet_gradcam"]
        print(f"  target p95 <= 1 s (server request): {'PASS' if ok else 'MISS'} ({p95:.2f} s)")
        results.append(("ResNet-18 Grad-CAM p95 <= 1 s", ok))

        ig = bench_ig(client, "resnet18", png, args.ig_reps)
        raw["ig"] = ig
        mem = {} if args.quick else memory(runs_dir, "resnet18")
        raw["memory"] = mem
        print(f"\nResNet-18 integrated gradients, 50 steps, {len(ig['ours'])} reps")
        print(f"  {'variant':<56} {'p50 s':>8} {'p95 s':>8} {'peak MB':>8}")
        rows = (
            ("server GET /attributions?method=integrated_gradients", "server"),
            ("convlens IntegratedGradients (internal batch 16)", "ours"),
            ("reference: Captum IG default (one batch of 50)", "captum"),
        )
        for name, key in rows:
            peak = f"{mem[key]['peak_mb']:8.0f}" if key in mem else f"{'-':>8}"
            print(f"  {name:<56} {fmt_s(ig[key])} {peak}")
        r1 = statistics.median(ig["ours"]) / statistics.median(ig["captum"])
        print(f"  ratio ours / Captum time: {r1:.2f}x", end="")
        if mem:
            share = mem["ours"]["peak_mb"] / mem["captum"]["peak_mb"]
            print(
                f"; peak memory ours / Captum: {share:.2f}x"
                f" (RSS before: {mem['ours']['before_mb']:.0f} MB; VmHWM reset: "
                f"{mem['ours']['reset']})"
            )
        else:
            print(" (memory skipped with --quick)")
        p95 = q(ig["server"], 95)
        ok = p95 <= TARGETS["resnet_ig"]
        print(f"  target p95 <= 8 s (server request): {'PASS' if ok else 'MISS'} ({p95:.2f} s)")
        results.append(("ResNet-18 integrated gradients p95 <= 8 s", ok))

    print(
        f"\nsummary ({time.perf_counter() - t_start:.0f} s, load average now "
        f"{os.getloadavg()[0]:.2f}):"
    )
    for name, ok in results:
        print(f"  {'PASS' if ok else 'MISS'}  {name}")
    if args.json:
        args.json.write_text(json.dumps(raw, indent=1, default=str))


if __name__ == "__main__":
    main()
