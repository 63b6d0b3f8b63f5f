"""Helpers for the browser tests (imported by the test modules and conftest)."""

from __future__ import annotations

import io
import re
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx2
    from playwright.sync_api import Locator, Page


@dataclass
class ConsoleLog:
    """Console errors and uncaught exceptions of one test's pages."""

    errors: list[str] = field(default_factory=list)
    allowed: list[re.Pattern[str]] = field(default_factory=list)

    def allow(self, pattern: str) -> None:
        """Expect console errors matching ``pattern`` (e.g. the 415 of a refused upload)."""
        self.allowed.append(re.compile(pattern))

    def unexpected(self) -> list[str]:
        return [e for e in self.errors if not any(p.search(e) for p in self.allowed)]


def open_view(page: Page, route: str) -> Locator:
    """Go to ``route`` (a hash route such as ``/timeline?run=R``) and wait until it is ready."""
    from playwright.sync_api import expect

    page.goto("/#" + route)
    root = page.locator("[data-state]").first
    expect(root).to_have_attribute("data-state", "ready")
    return root


def distinct_colours(png: bytes) -> int:
    """How many distinct RGB colours a screenshot holds (1 for a blank canvas)."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as im:
        colours = im.convert("RGB").getcolors(maxcolors=1 << 20)
    return len(colours) if colours is not None else 1 << 20


def colourful_fraction(png: bytes, min_chroma: int = 40) -> float:
    """The share of a screenshot's pixels that are clearly coloured (not grey, white or black).

    A heatmap over a grey sketch, or red/blue feature maps, make it large; the picture alone
    (or an empty canvas) keeps it near zero.
    """
    import numpy as np
    from PIL import Image

    with Image.open(io.BytesIO(png)) as im:
        rgb = np.asarray(im.convert("RGB"), dtype=np.int16)
    chroma = rgb.max(axis=2) - rgb.min(axis=2)
    return float((chroma >= min_chroma).mean())


def shows_points(png: bytes) -> bool:
    """Whether a scatter plot's screenshot shows coloured dots (a blank canvas has none)."""
    return distinct_colours(png) >= 8 and colourful_fraction(png) > 0.002


def json_of(client: httpx2.Client, path: str, **params: Any) -> Any:
    """GET an API path (without the ``/``) and return its JSON, failing on an error status."""
    r = client.get(path, params=params)
    assert r.status_code == 200, f"{path} {params}: {r.status_code} {r.text[:300]}"
    return r.json()


def until(page: Page, predicate: Callable[[], bool], what: str, timeout_ms: int = 30_000) -> None:
    """Re-check ``predicate`` after each pair of animation frames until it holds (no sleeping)."""
    deadline = time.monotonic() + timeout_ms / 1000
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_ms / 1000:.0f} s waiting for {what}")
        page.evaluate(
            "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
        )


def numbers(text: str) -> list[tuple[float, float]]:
    """Every decimal number in ``text`` with the rounding its printed digits allow."""
    out = []
    for m in re.finditer(r"-?\d+(?:\.(\d+))?", text):
        decimals = len(m.group(1) or "")
        out.append((float(m.group(0)), 0.5 * 10.0**-decimals + 1e-9))
    return out


def shows_value(text: str, value: float, *, percent_ok: bool = True) -> bool:
    """Whether ``text`` prints ``value`` (as is, or as a percentage), at any rounding."""
    for shown, tol in numbers(text):
        if abs(shown - value) <= tol or (percent_ok and abs(shown - 100 * value) <= tol):
            return True
    return False


# an init script: records the job progress bar's text however briefly it shows (window.__jobSeen)
SEEN_JOB = """
window.__jobSeen = [];
new MutationObserver(() => {
  const bar = document.querySelector('[data-testid=job-progress]');
  if (bar) window.__jobSeen.push(bar.textContent);
}).observe(document, { childList: true, subtree: true, characterData: true });
"""


def noise_pictures(folder: Path, counts: dict[str, int], seed: int) -> Path:
    """Grey 32×32 noise pictures in ``folder``: ``counts[sub]`` of them in each sub-folder
    ``sub`` (``""``: flat in ``folder``)."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    for sub, n in counts.items():
        (folder / sub).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            pixels = rng.integers(0, 256, (32, 32), dtype=np.uint8)
            Image.fromarray(pixels).save(folder / sub / f"{i}.png")
    return folder


@contextmanager
def paper_snapshot(
    runs_dir: Path, pics: Path, run_id: str, *, n_classes: int = 10, sure: float = 1.0
) -> Iterator[str]:
    """A snapshot of an untrained paper CNN (seed 0) over ``pics``, in ``runs_dir`` beside the
    served run, removed afterwards (the other views' tests expect the folder's one run).
    ``sure`` scales its class scores (a network very sure of its answers)."""
    import torch

    from convlens.core import input_contract
    from convlens.models import build_model
    from convlens.pipelines import snapshot

    torch.manual_seed(0)
    model = build_model("paper", in_channels=1, num_classes=n_classes, image_size=32)
    with torch.no_grad():
        last = [m for m in model.modules() if isinstance(m, torch.nn.Linear)][-1]
        last.weight.mul_(sure)
    snapshot(
        model,
        out=runs_dir,
        data=pics,
        classes=[f"kind {i}" for i in range(n_classes)],
        preprocess=input_contract("none", 32, 1),
        spec="paper",
        run_id=run_id,
    )
    try:
        yield run_id
    finally:
        shutil.rmtree(runs_dir / run_id, ignore_errors=True)
