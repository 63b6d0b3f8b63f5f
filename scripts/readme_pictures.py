"""Re-render the README's pictures of the web app from a demo run, in one command.

    convlens demo --out runs          # once: a fresh demo run (a few minutes)
    python scripts/readme_pictures.py runs [--out docs]

It serves the run folder with ``create_app`` on a free loopback port, opens each view in
Debian's headless Chromium (Playwright, 1440x900, never a downloaded browser), waits until the
view says it is ready, and writes small palette PNGs:

    docs/web-timeline.png      the training timeline at the last epoch (layer fc1)
    docs/web-explorer.png      the layer explorer: conv2's maps of one sketch in k-means groups
    docs/web-attributions.png  why this decision: Grad-CAM, its verdict and the check curves
    docs/web-network.png       the network view: the whole CNN as a bundled 3-D graph

Needs the built UI (``cd web && npm run build``), playwright and /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import io
import sys
import threading
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SIZE = {"width": 1440, "height": 900}
LIMIT = 300_000  # bytes: a README picture should stay small
WAIT_MS = 180_000  # the first request of a view may compute on a busy machine


def save_small(png: bytes, path: Path) -> int:
    """Write ``png`` as a 256-colour palette PNG when that keeps it under ``LIMIT`` bytes."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as im:
        rgb = im.convert("RGB")
        # Octree keeps the strong colours (class hues) that median cut blends; dithering keeps
        # heatmaps and colour bars smooth.
        palette = rgb.quantize(colors=256, method=Image.Quantize.FASTOCTREE)
        small = rgb.quantize(palette=palette, dither=Image.Dither.FLOYDSTEINBERG)
        small.save(path, optimize=True)
        if path.stat().st_size > LIMIT:  # too many colours to gain anything: keep them all
            rgb.save(path, optimize=True)
    return path.stat().st_size


def pick_run(runs: Path) -> str:
    """The newest complete run in ``runs`` (or ``runs`` itself when it is one run)."""
    if (runs / "manifest.json").is_file():
        return runs.name
    found = sorted(p.name for p in runs.iterdir() if (p / "manifest.json").is_file())
    if not found:
        sys.exit(f"no run in {runs}: make one with  convlens demo --out {runs}")
    return found[-1]


def serve(runs: Path) -> tuple[str, object, threading.Thread]:
    import httpx2
    import uvicorn

    import convlens.server

    app = convlens.server.create_app(runs, convlens.server.Settings())
    sock = convlens.server.bind("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", ws="websockets-sansio"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    httpx2.get(url + "api/runs", timeout=60).raise_for_status()  # waits in the backlog
    return url, server, thread


def shoot(url: str, run: str, out: Path) -> None:
    import httpx2
    from playwright.sync_api import sync_playwright

    runs = httpx2.get(url + "api/runs", timeout=60).json()
    last = max(next(r for r in runs if r["id"] == run)["epochs"])

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        ctx = browser.new_context(viewport=SIZE)
        ctx.add_init_script("try { localStorage.setItem('convlens.tourSeen', '1') } catch (e) {}")
        page = ctx.new_page()
        page.set_default_timeout(WAIT_MS)
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))

        def open_view(route: str, wait_for: str) -> None:
            page.goto("about:blank")
            page.goto(f"{url}#{route}")
            page.wait_for_selector("[data-state='ready']")
            page.wait_for_selector(wait_for)
            page.wait_for_timeout(800)  # let canvases finish their last frame

        def below(selector: str, height: int, above: int = 12) -> dict[str, float]:
            """A 1440-wide clip of ``height`` pixels starting just above ``selector``."""
            box = page.locator(selector).first.bounding_box()
            assert box is not None, selector
            return {"x": 0, "y": max(0, box["y"] - above), "width": SIZE["width"], "height": height}

        shots: list[tuple[str, bytes]] = []
        open_view(f"/timeline?run={run}&layer=fc1&epoch={last}", "[data-testid='layer-verdict']")
        shots.append(("web-timeline.png", page.screenshot()))

        open_view(
            f"/explorer?run={run}&layer=conv2&order=kmeans&image=probe:0",
            ".explorer-view:not(:has(.loading-note))",
        )
        clip = below("text=Feature maps of conv2", 900, above=40)
        shots.append(("web-explorer.png", page.screenshot(full_page=True, clip=clip)))

        open_view(f"/attributions?run={run}&method=gradcam", "[data-testid='attr-check'] .verdict")
        clip = below(".attributions-view .layout-main-side", 900)
        shots.append(("web-attributions.png", page.screenshot(full_page=True, clip=clip)))

        open_view(f"/graph?run={run}", "[data-testid='graph-line-legend']")
        page.wait_for_timeout(1500)
        shots.append(("web-network.png", page.screenshot()))
        browser.close()
    if errors:
        print("console errors:\n  " + "\n  ".join(errors), file=sys.stderr)
    for name, png in shots:
        size = save_small(png, out / name)
        print(f"{out / name}: {size / 1024:.0f} KB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("runs", type=Path, help="the folder convlens demo --out wrote (or one run)")
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "docs")
    a = ap.parse_args()
    runs = a.runs.resolve()
    run = pick_run(runs)
    folder = runs.parent if runs.name == run else runs
    url, server, thread = serve(folder)
    try:
        shoot(url, run, a.out)
    finally:
        server.should_exit = True  # type: ignore[attr-defined]
        thread.join(timeout=15)


if __name__ == "__main__":
    main()
