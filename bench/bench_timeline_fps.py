"""Frames per second of the timeline page scrubbing 50,000 points x 100 epochs in headless Chromium.

    python bench/bench_timeline_fps.py [--points 50000] [--epochs 100] [--seconds 3] [--wait 0]

A synthetic run (written with ``RunWriter``: 2-D activations, logits whose argmax is the
prediction, and a precomputed [E, N, 2] embedding stored with ``write_embedding``, so the server
computes nothing) is served by uvicorn in a thread; Playwright opens ``/#/timeline?run=R&layer=L``
in /usr/bin/chromium, which loads the timeline as the page does (the first epoch, then chunks of
epochs, binary and gzipped): the time until the first epoch is drawn and until every epoch has
arrived are printed, with the bytes on the wire and on disk per probe per epoch. It waits for
``data-state="ready"``, then runs a ``requestAnimationFrame`` loop
for ``--seconds`` that calls ``window.__convlens.timeline.setEpoch(t)`` every frame with ``t``
sweeping 0..E-1 continuously. Frames are counted two ways: animation frames, and frames in which
the page issued at least one WebGL draw call (the draw methods are wrapped before the page loads).

References measured in the same browser and run: a minimal hand-written WebGL page drawing the
same number of points (same canvas size and point size, blending), interpolating positions between
two epochs in JavaScript and uploading them every frame, with an antialiased (MSAA) context and
without: what this renderer does with no framework; and the same page drawing no points, the
floor set by presenting a changed canvas every frame. The machine has no GPU, so WebGL runs on
SwiftShader (CPU); the renderer string is printed, with the CPU each Chromium process used.
``--wait MINUTES`` polls for a built UI (src/convlens/server/static/index.html).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("CONVLENS_QUIET", "1")

import numpy as np  # noqa: E402

TARGET_FPS = 50.0
CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--use-gl=angle",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--ignore-gpu-blocklist",
]
CLASSES = [
    "T-shirt",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]

# Counts WebGL draw calls (WebGL 1 and 2, and the ANGLE_instanced_arrays extension).
COUNT_DRAWS = """
(() => {
  window.__benchDraws = 0;
  const wrap = (obj, names) => {
    for (const n of names) {
      const f = obj && obj[n];
      if (typeof f !== "function" || f.__benchWrapped) continue;
      const g = function (...a) { window.__benchDraws++; return f.apply(this, a); };
      g.__benchWrapped = true;
      obj[n] = g;
    }
  };
  const draws = ["drawArrays", "drawElements", "drawArraysInstanced", "drawElementsInstanced",
                 "drawRangeElements"];
  for (const C of [window.WebGLRenderingContext, window.WebGL2RenderingContext]) {
    if (!C) continue;
    wrap(C.prototype, draws);
    const ge = C.prototype.getExtension;
    C.prototype.getExtension = function (name) {
      const ext = ge.call(this, name);
      if (ext && /instanced_arrays/i.test(name)) {
        wrap(ext, ["drawArraysInstancedANGLE", "drawElementsInstancedANGLE"]);
      }
      return ext;
    };
  }
  try { localStorage.setItem("convlens.tourSeen", "1"); } catch (e) { /* opaque origin */ }
})();
"""

# The rAF loop: setEpoch(t) every frame, t sweeping 0..E-1; frame intervals and draws per frame.
SCRUB = """
async ({ seconds, epochs }) => {
  const tl = window.__convlens.timeline;
  return await new Promise((resolve) => {
    const deltas = [];
    let t0 = null, last = 0, frames = 0, drawnFrames = 0, lastDraws = window.__benchDraws || 0;
    let calls = 0;
    function step(now) {
      const d = window.__benchDraws || 0;
      if (t0 === null) { t0 = now; last = now; lastDraws = d; }
      else {
        frames++;
        deltas.push(now - last);
        if (d > lastDraws) drawnFrames++;
        lastDraws = d;
        last = now;
      }
      const el = now - t0;
      const u = (el / 1000 / seconds) % 1;
      tl.setEpoch(u * (epochs - 1));
      calls++;
      if (el < seconds * 1000) requestAnimationFrame(step);
      else resolve({ frames, drawnFrames, elapsed: el, deltas, calls,
                     draws: (window.__benchDraws || 0) });
    }
    requestAnimationFrame(step);
  });
}
"""

# Reference: a bare WebGL page, N points lerped between epochs on the CPU, uploaded every frame.
RAW_WEBGL = """
async ({ n, epochs, seconds, width, height, antialias, pointSize }) => {
  const canvas = document.createElement("canvas");
  canvas.width = width; canvas.height = height;
  canvas.style.width = (width / devicePixelRatio) + "px";
  canvas.style.height = (height / devicePixelRatio) + "px";
  canvas.style.position = "fixed"; canvas.style.left = "0"; canvas.style.top = "0";
  document.body.style.margin = "0";
  document.body.replaceChildren(canvas);  // one canvas, on screen (off-screen ones are not drawn)
  const gl = canvas.getContext("webgl", { antialias, alpha: false });
  const sh = (type, src) => { const s = gl.createShader(type); gl.shaderSource(s, src);
    gl.compileShader(s); return s; };
  const prog = gl.createProgram();
  gl.attachShader(prog, sh(gl.VERTEX_SHADER, `attribute vec2 p; attribute float c;
    varying float vc; void main() { gl_Position = vec4(p, 0.0, 1.0);
    gl_PointSize = ${pointSize.toFixed(2)}; vc = c; }`));
  gl.attachShader(prog, sh(gl.FRAGMENT_SHADER, `precision mediump float; varying float vc;
    void main() { vec2 d = gl_PointCoord - 0.5; if (dot(d, d) > 0.25) discard;
    gl_FragColor = vec4(0.5 + 0.5 * sin(vc), 0.5 + 0.5 * cos(vc * 1.7), 0.6, 0.85); }`));
  gl.linkProgram(prog); gl.useProgram(prog);
  // the same kind of synthetic layout: points drift from noise into 10 clusters
  let seed = 1;
  const rnd = () => { seed = (seed * 16807) % 2147483647; return seed / 2147483647; };
  const start = new Float32Array(n * 2), end = new Float32Array(n * 2), cls = new Float32Array(n);
  const cx = [], cy = [];
  for (let k = 0; k < 10; k++) { cx.push(rnd() * 1.6 - 0.8); cy.push(rnd() * 1.6 - 0.8); }
  for (let i = 0; i < n; i++) {
    const k = i % 10; cls[i] = k;
    start[2 * i] = rnd() * 1.8 - 0.9; start[2 * i + 1] = rnd() * 1.8 - 0.9;
    end[2 * i] = cx[k] + (rnd() - 0.5) * 0.2; end[2 * i + 1] = cy[k] + (rnd() - 0.5) * 0.2;
  }
  const coords = new Float32Array(epochs * n * 2);
  for (let e = 0; e < epochs; e++) {
    const f = e / (epochs - 1);
    for (let j = 0; j < 2 * n; j++) coords[e * 2 * n + j] = start[j] * (1 - f) + end[j] * f;
  }
  const pos = new Float32Array(n * 2);
  const pb = gl.createBuffer(); gl.bindBuffer(gl.ARRAY_BUFFER, pb);
  gl.bufferData(gl.ARRAY_BUFFER, pos.byteLength, gl.DYNAMIC_DRAW);
  const pl = gl.getAttribLocation(prog, "p"); gl.enableVertexAttribArray(pl);
  gl.vertexAttribPointer(pl, 2, gl.FLOAT, false, 0, 0);
  const cb = gl.createBuffer(); gl.bindBuffer(gl.ARRAY_BUFFER, cb);
  gl.bufferData(gl.ARRAY_BUFFER, cls, gl.STATIC_DRAW);
  const cl = gl.getAttribLocation(prog, "c"); gl.enableVertexAttribArray(cl);
  gl.vertexAttribPointer(cl, 1, gl.FLOAT, false, 0, 0);
  gl.enable(gl.BLEND); gl.blendFunc(gl.SRC_ALPHA, gl.ONE_MINUS_SRC_ALPHA);
  gl.viewport(0, 0, width, height);
  function draw(t) {
    const e0 = Math.min(Math.floor(t), epochs - 2), f = t - e0;
    const a = e0 * 2 * n, b = a + 2 * n;
    for (let j = 0; j < 2 * n; j++) pos[j] = coords[a + j] * (1 - f) + coords[b + j] * f;
    gl.bindBuffer(gl.ARRAY_BUFFER, pb); gl.bufferSubData(gl.ARRAY_BUFFER, 0, pos);
    gl.clearColor(1, 1, 1, 1); gl.clear(gl.COLOR_BUFFER_BIT);
    gl.drawArrays(gl.POINTS, 0, n);
  }
  draw(0);
  return await new Promise((resolve) => {
    const deltas = []; let t0 = null, last = 0, frames = 0;
    function step(now) {
      if (t0 === null) { t0 = now; last = now; }
      else { frames++; deltas.push(now - last); last = now; }
      const el = now - t0;
      draw(((el / 1000 / seconds) % 1) * (epochs - 1));
      if (el < seconds * 1000) requestAnimationFrame(step);
      else resolve({ frames, drawnFrames: frames, elapsed: el, deltas });
    }
    requestAnimationFrame(step);
  });
}
"""

RENDERER = """
() => {
  const c = document.createElement("canvas");
  const gl = c.getContext("webgl2") || c.getContext("webgl");
  if (!gl) return "no WebGL";
  const e = gl.getExtension("WEBGL_debug_renderer_info");
  return e ? gl.getParameter(e.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER);
}
"""

IDLE = """
async ({ seconds }) => await new Promise((resolve) => {
  let t0 = null, frames = 0;
  function step(now) {
    if (t0 === null) t0 = now; else frames++;
    if (now - t0 < seconds * 1000) requestAnimationFrame(step);
    else resolve({ frames, elapsed: now - t0 });
  }
  requestAnimationFrame(step);
})
"""


def make_run(runs_dir: Path, n: int, epochs: int, seed: int = 0) -> tuple[str, str]:
    """A run of ``n`` probes x ``epochs`` epochs with a stored [E, N, 2] embedding of ``fc``."""
    from convlens.store import RunWriter, open_for_update

    rng = np.random.default_rng(seed)
    c = len(CLASSES)
    labels = rng.integers(0, c, n)
    centers = rng.uniform(-10, 10, (c, 2))
    start = rng.uniform(-12, 12, (n, 2))
    end = centers[labels] + rng.normal(0, 2.0, (n, 2))
    f = (np.arange(epochs) / max(1, epochs - 1))[:, None, None]
    coords = (start * (1 - f) + end * f).astype(np.float32)  # [E, N, 2]
    acc = np.linspace(0.3, 0.92, epochs)
    layer = "fc"
    w = RunWriter.create(
        runs_dir,
        run_id="timeline-bench",
        config={"bench": {"points": n, "epochs": epochs}},
        dataset={"name": "synthetic", "image_size": 8, "channels": 1, "train": 0, "test": n},
        model={"name": "none"},
        classes=CLASSES,
        layers={layer: {"shape": [2], "dim": 2, "reducer": "none"}},
    )
    yy, xx = np.mgrid[:8, :8]
    thumbs = ((xx + yy + labels[:, None, None]) % 8 * 32).astype(np.uint8)[..., None]
    split = (rng.random(n) < 0.2).astype(np.int64)
    w.write_probe(labels=labels, indices=np.arange(n), thumbnails=thumbs, split=split)
    for e in range(epochs):
        pred = np.where(rng.random(n) < acc[e], labels, rng.integers(0, c, n))
        logits = np.zeros((n, c), np.float32)
        logits[np.arange(n), pred] = 2.0
        w.write_epoch(
            e + 1,
            activations={layer: coords[e]},
            outputs={"logits": logits},
            metrics={"test_accuracy": float(acc[e]), "train_loss": float(2.3 * (1 - acc[e]))},
        )
    w.finish()
    info = {"method": "synthetic", "epochs": list(range(1, epochs + 1))}
    open_for_update(w.path).write_embedding(layer, coords, info)
    return w.run_id, layer


def on_disk(run_dir: Path, n: int, epochs: int) -> dict[str, float]:
    """Stored bytes per probe per epoch: the epochs' files, the embedding, the whole run."""
    size = lambda paths: sum(p.stat().st_size for p in paths if p.is_file())  # noqa: E731
    return {
        "epoch files (2-D activations + 10 logits)": size((run_dir / "epochs").rglob("*"))
        / n
        / epochs,
        "embedding": size((run_dir / "embeddings").rglob("*")) / n / epochs,
        "whole run": size(run_dir.rglob("*")) / n / epochs,
    }


def start_server(runs_dir: Path):  # noqa: ANN201
    import uvicorn

    from convlens.server import bind, create_app

    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(runs_dir), log_level="warning", ws="websockets-sansio")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start within 30 s")
        time.sleep(0.05)
    return server, thread, sock, port


def summary(res: dict) -> dict:
    el = res["elapsed"] / 1000
    d = res["deltas"] or [float("nan")]
    return {
        "fps": res["frames"] / el,
        "drawn_fps": res["drawnFrames"] / el,
        "p50_ms": statistics.median(d),
        "p95_ms": float(np.percentile(d, 95)),
        "max_ms": max(d),
        "frames": res["frames"],
    }


def _tree_cpu() -> dict[str, float]:
    """CPU seconds used so far by this process's descendants (Chromium and the Playwright
    driver), by kind: browser, renderer, gpu-process, utility, driver."""
    tick = os.sysconf("SC_CLK_TCK")
    procs: dict[int, tuple[int, float, str]] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        ppid, cpu = int(fields[1]), (int(fields[11]) + int(fields[12])) / tick
        kind = "driver" if "playwright" in cmd and "chromium" not in cmd else "browser"
        if "--type=" in cmd:
            kind = cmd.split("--type=", 1)[1].split()[0]
        procs[int(d.name)] = (ppid, cpu, kind)
    mine, frontier = set(), {os.getpid()}
    while frontier:
        frontier = {p for p, (pp, _, _) in procs.items() if pp in frontier} - mine
        mine |= frontier
    out: dict[str, float] = {}
    for p in mine:
        _, cpu, kind = procs[p]
        out[kind] = out.get(kind, 0.0) + cpu
    return out


def cpu_during(fn):  # noqa: ANN001, ANN201
    """``(fn(), {kind: cores used on average while fn ran}, seconds)``."""
    import resource

    r0, c0, t0 = resource.getrusage(resource.RUSAGE_SELF), _tree_cpu(), time.perf_counter()
    out = fn()
    r1, c1, dt = resource.getrusage(resource.RUSAGE_SELF), _tree_cpu(), time.perf_counter() - t0
    use = {k: (c1.get(k, 0.0) - c0.get(k, 0.0)) / dt for k in c1}
    use["python (server)"] = (r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime) / dt
    return out, use, dt


def profile_scrub(ctx, page, seconds: float, epochs: int) -> dict:  # noqa: ANN001
    """A CDP CPU profile of the page's main thread during one scrub."""
    cdp = ctx.new_cdp_session(page)
    cdp.send("Profiler.enable")
    cdp.send("Profiler.setSamplingInterval", {"interval": 200})
    cdp.send("Profiler.start")
    page.evaluate(SCRUB, {"seconds": seconds, "epochs": epochs})
    prof = cdp.send("Profiler.stop")["profile"]
    cdp.detach()
    return prof


def print_profile(prof: dict, top: int = 12) -> None:
    nodes = {n["id"]: n for n in prof["nodes"]}
    self_us: dict[str, float] = {}
    dts = prof.get("timeDeltas", [])
    for sid, dt in zip(prof.get("samples", []), dts, strict=False):
        cf = nodes[sid]["callFrame"]
        name = cf["functionName"] or "(anonymous)"
        url = cf.get("url", "").rsplit("/", 1)[-1]
        key = f"{name} {url}:{cf.get('lineNumber', 0) + 1}" if url else name
        self_us[key] = self_us.get(key, 0.0) + dt
    total = sum(self_us.values()) or 1.0
    idle = self_us.get("(idle)", 0.0)
    print(
        f"\nmain-thread CPU profile of one scrub ({total / 1e6:.1f} s sampled): busy "
        f"{100 * (1 - idle / total):.0f} %, idle {100 * idle / total:.0f} % (idle time is spent "
        "waiting for frames: the GPU process / SwiftShader or the frame clock)"
    )
    for key, us in sorted(self_us.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  {100 * us / total:5.1f} %  {key[:90]}")


def wait_for_ui(static: Path, minutes: float) -> bool:
    deadline = time.monotonic() + 60 * minutes
    while not (static / "index.html").is_file():
        if time.monotonic() > deadline:
            return False
        time.sleep(20)
    return True


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=50_000)
    ap.add_argument("--epochs", type=int, default=100)
    ap.add_argument("--seconds", type=float, default=3.0, help="length of each scrub")
    ap.add_argument(
        "--repeats", type=int, default=3, help="scrubs of the UI (and of the reference)"
    )
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--height", type=int, default=800)
    ap.add_argument("--wait", type=float, default=0.0, help="minutes to wait for a built UI")
    ap.add_argument(
        "--point-size", type=float, default=2.5, help="reference point size (the page: 2.5 px)"
    )
    ap.add_argument("--profile", action="store_true", help="CPU-profile one scrub (CDP)")
    ap.add_argument("--screenshot", type=Path, help="save the page after the last scrub")
    ap.add_argument(
        "--hide",
        action="append",
        default=[],
        help="a CSS selector hidden on the page (diagnosis: what else the page redraws per frame)",
    )
    args = ap.parse_args()

    import convlens.server

    static = Path(convlens.server.__file__).parent / "static"
    if not wait_for_ui(static, args.wait):
        print(
            f"the UI is not built ({static / 'index.html'} is missing): build it with "
            "`cd web && npm ci && npm run build`, or pass --wait MINUTES",
            file=sys.stderr,
        )
        sys.exit(2)
    from playwright.sync_api import sync_playwright

    load = os.getloadavg()
    print(
        f"{args.points:,} points x {args.epochs} epochs, {args.seconds:g} s scrubs x "
        f"{args.repeats}, viewport {args.width}x{args.height}, load average {load[0]:.2f} "
        f"on {os.cpu_count()} CPUs"
    )
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        run_id, layer = make_run(Path(tmp), args.points, args.epochs)
        print(f"synthetic run written in {time.perf_counter() - t0:.1f} s")
        disk = on_disk(Path(tmp) / run_id, args.points, args.epochs)
        server, thread, sock, port = start_server(Path(tmp))
        url = f"http://127.0.0.1:{port}/#/timeline?run={run_id}&layer={layer}"
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
                ctx = browser.new_context(viewport={"width": args.width, "height": args.height})
                ctx.add_init_script(COUNT_DRAWS)
                if args.hide:
                    css = ", ".join(args.hide) + " { visibility: hidden !important; }"
                    ctx.add_init_script(
                        "document.addEventListener('DOMContentLoaded', () => {"
                        f"const s = document.createElement('style'); s.textContent = {css!r};"
                        "document.head.appendChild(s); });"
                    )
                page = ctx.new_page()
                errors: list[str] = []
                page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
                page.on("pageerror", lambda e: errors.append(str(e)))
                renderer = page.evaluate(RENDERER)
                print(f"Chromium {browser.version}; WebGL renderer: {renderer}")
                idle = page.evaluate(IDLE, {"seconds": 1.0})
                idle_fps = idle["frames"] / (idle["elapsed"] / 1000)

                t0 = time.perf_counter()
                page.goto(url)
                try:
                    page.wait_for_function(
                        "() => (window.__convlens?.timeline?.epochs ?? 0) > 0", timeout=180_000
                    )
                    first_s = time.perf_counter() - t0
                    page.wait_for_selector('[data-state="ready"]', timeout=180_000)
                    page.wait_for_function(
                        "() => !!(window.__convlens && window.__convlens.timeline)", timeout=30_000
                    )
                except Exception:
                    print(
                        "the timeline never became ready; page errors:", errors[:5], file=sys.stderr
                    )
                    raise
                ready_s = time.perf_counter() - t0
                close = page.locator('[data-testid="tour-close"]')
                if close.count() and close.first.is_visible():
                    close.first.click()
                fetch = page.evaluate("""() => performance.getEntriesByType("resource")
                    .filter(e => e.name.includes("/timeline"))
                    .map(e => ({ ms: e.duration, bytes: e.transferSize || e.encodedBodySize }))""")
                info = page.evaluate("""() => { const tl = window.__convlens.timeline;
                    const e = tl.epochs, p = tl.points;
                    const c = [...document.querySelectorAll("canvas")]
                      .map(c => [c.width, c.height]).sort((a, b) => b[0] * b[1] - a[0] * a[1]);
                    return { epochs: Array.isArray(e) ? e.length : Number(e),
                             points: Array.isArray(p) || ArrayBuffer.isView(p) ? p.length
                                     : Number(p), canvas: c[0] || null,
                             dpr: devicePixelRatio, mode: tl.renderer || null }; }""")
                epochs = info["epochs"] or args.epochs
                errors_at_ready = len(errors)
                page.evaluate(SCRUB, {"seconds": 0.5, "epochs": epochs})  # warm-up
                ui, cores = [], []
                for _ in range(args.repeats):
                    res, use, _ = cpu_during(
                        lambda: page.evaluate(SCRUB, {"seconds": args.seconds, "epochs": epochs})
                    )
                    ui.append(summary(res))
                    cores.append(use)
                if args.screenshot:
                    page.screenshot(path=str(args.screenshot))
                prof = profile_scrub(ctx, page, args.seconds, epochs) if args.profile else None
                width, height = info["canvas"] or (args.width, args.height)

                ref: dict[str, list[dict]] = {}
                for key, n, aa in (
                    ("aa", args.points, True),
                    ("raw", args.points, False),
                    ("empty", 0, False),
                ):
                    ref_page = ctx.new_page()
                    ref_page.set_content("<!doctype html><title>raw WebGL</title><body></body>")
                    params = {
                        "n": n,
                        "epochs": args.epochs,
                        "seconds": args.seconds,
                        "width": width,
                        "height": height,
                        "antialias": aa,
                        "pointSize": args.point_size,
                    }
                    ref[key] = [
                        summary(ref_page.evaluate(RAW_WEBGL, params)) for _ in range(args.repeats)
                    ]
                    ref_page.close()
                browser.close()
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            sock.close()

    wire = sum(f["bytes"] for f in fetch)
    print(
        f"first epoch drawn {first_s:.1f} s after navigation, every epoch {ready_s:.1f} s; "
        f"{len(fetch)} /timeline requests, {wire / 1e6:.2f} MB on the wire in all "
        f"(largest {max(f['bytes'] for f in fetch) / 1e6:.2f} MB, "
        f"slowest {max(f['ms'] for f in fetch):.0f} ms)"
    )
    print(
        f"bytes per probe per epoch: {wire / args.points / args.epochs:.2f} on the wire; "
        + ", ".join(f"{k} {v:.1f}" for k, v in disk.items())
        + " on disk"
    )
    print(
        f"the page reports {info['points']} points x {info['epochs']} epochs; plot canvas "
        f"{width}x{height} device px (devicePixelRatio {info['dpr']}); idle rAF "
        f"{idle_fps:.0f}/s (the frame clock's cap)"
    )
    if info.get("mode"):
        print(f"the page's own renderer report: {info['mode']}")
    print(
        f"\n{'scrub (setEpoch every frame)':<40} {'rAF/s':>7} {'drawn/s':>8} "
        f"{'p50 ms':>7} {'p95 ms':>7} {'max ms':>7}"
    )
    table = (
        ("ConvLens timeline page", ui),
        ("reference: bare WebGL, antialias on", ref["aa"]),
        ("reference: bare WebGL, antialias off", ref["raw"]),
        ("floor: bare WebGL, 0 points (clear)", ref["empty"]),
    )
    for name, rows in table:
        for i, r in enumerate(rows):
            label = name if i == 0 else ""
            print(
                f"{label:<40} {r['fps']:7.1f} {r['drawn_fps']:8.1f} {r['p50_ms']:7.1f} "
                f"{r['p95_ms']:7.1f} {r['max_ms']:7.1f}"
            )
    ui_fps = statistics.median(r["drawn_fps"] for r in ui)
    aa_fps = statistics.median(r["drawn_fps"] for r in ref["aa"])
    raw_fps = statistics.median(r["drawn_fps"] for r in ref["raw"])
    empty_fps = statistics.median(r["drawn_fps"] for r in ref["empty"])
    print(
        f"\nmedian drawn frames/s: ConvLens {ui_fps:.1f}; bare WebGL {aa_fps:.1f} with "
        f"antialiasing, {raw_fps:.1f} without, {empty_fps:.1f} presenting an empty canvas; "
        f"ratio ConvLens / bare {ui_fps / aa_fps:.2f}x and {ui_fps / raw_fps:.2f}x"
    )
    ok = ui_fps >= TARGET_FPS
    print(
        f"target >= {TARGET_FPS:.0f} frames/s while scrubbing: {'PASS' if ok else 'MISS'} "
        f"({ui_fps:.1f} frames/s on {renderer})"
    )
    kinds = sorted(
        {k for c in cores for k in c},
        key=lambda k: -statistics.median(c.get(k, 0.0) for c in cores),
    )
    print(
        "CPU cores busy while the page scrubs (median of the scrubs, of "
        f"{os.cpu_count()}): "
        + ", ".join(f"{k} {statistics.median(c.get(k, 0.0) for c in cores):.2f}" for k in kinds)
        + f"; load average now {os.getloadavg()[0]:.2f}"
    )
    if prof:
        print_profile(prof)
    if errors:
        print(
            f"page errors: {errors_at_ready} before scrubbing, {len(errors) - errors_at_ready} "
            f"during; first: {errors[0][:300]}"
        )


if __name__ == "__main__":
    main()
