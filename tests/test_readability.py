"""Every explanation is written for someone who has never seen a neural network.

Flesch–Kincaid grade (textstat) at most 9 for each text the web app and the video show; the test
lists every text that exceeds it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import textstat
from fastapi.testclient import TestClient

from convlens.analyze import ATTRIBUTIONS
from convlens.pipelines import epoch_sentence
from convlens.server import create_app
from convlens.views._explorer import _KINDS, layer_text

MAX_GRADE = 9.0


def _texts(obj: object, out: list[str]) -> list[str]:
    """Collect every ``explanation``/``text``/``help`` string in a JSON answer."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k in ("explanation", "text", "help") and isinstance(v, str):
                out.append(v)
            else:
                _texts(v, out)
    elif isinstance(obj, list):
        for v in obj:
            _texts(v, out)
    return out


@pytest.fixture
def texts(fixture_run: Path) -> list[str]:
    client = TestClient(create_app(fixture_run.parent), base_url="http://127.0.0.1")
    gets = [
        "/api/runs/fixture",
        "/api/runs/fixture/timeline?layer=conv",
        "/api/runs/fixture/points/0",
        "/api/runs/fixture/points/20",
        "/api/runs/fixture/layers",
        "/api/runs/fixture/weights?layer=conv",
        "/api/runs/fixture/weights?layer=fc",
        "/api/runs/fixture/top?layer=conv&channel=0",
        "/api/runs/fixture/classgrads?layer=conv",
        "/api/runs/fixture/projection?layer=fc",
        "/api/runs/fixture/projection?layer=fc&max_points=12",
        "/api/tour",
        "/api/methods",
        "/api/runs/fixture/graph",
        "/api/runs/fixture/compute?layer=conv&channel=1",
        "/api/runs/fixture/compute?layer=fc&channel=0",
    ]
    gets += [
        f"/api/runs/fixture/featuremaps?layer=conv&order={o}" for o in ("natural", "kmeans", "pca")
    ]
    gets += [f"/api/runs/fixture/attributions?method={m}" for m in ATTRIBUTIONS.names()]
    out: list[str] = []
    for url in gets:
        r = client.get(url)
        assert r.status_code == 200, (url, r.text)
        _texts(r.json(), out)
    from io import BytesIO

    import numpy as np
    from PIL import Image

    buf = BytesIO()
    Image.fromarray(np.zeros((10, 10), np.uint8)).save(buf, format="PNG")
    _texts(client.post("/api/uploads", files={"file": ("a.png", buf.getvalue())}).json(), out)

    class Info:  # every layer kind the explanations know, as the layer list reports it
        def __init__(self, kind: str) -> None:
            self.name, self.type, self.out_shape = "layer1", kind, (16, 12, 12)
            self.kernel = (3, 3)

    out += [layer_text(Info(kind)) for kind in [*_KINDS, "MyCustomBlock"]]
    out += _compute_texts()
    for acc, prev in ((0.1, None), (0.6, None), (0.8, 0.6), (0.5, 0.8), (0.81, 0.8)):
        out.append(
            epoch_sentence(
                epoch=3, accuracy=acc, previous=prev, n_classes=10, confused=("cat", "dog", 4)
            )
        )
    return out


def _compute_texts() -> list[str]:
    """What-a-layer-computes texts for the cases the fixture run lacks (groups, stride, crop)."""
    import torch

    from convlens.views._compute import explain

    model = torch.nn.Sequential(
        torch.nn.Conv2d(12, 12, 3, stride=2, padding=1, groups=2),
        torch.nn.BatchNorm2d(12),
        torch.nn.ReLU(),
        torch.nn.AvgPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(12 * 20 * 20, 4),
    )
    leaves = ["0", "1", "2", "3", "4", "5"]
    x = torch.ones(1, 12, 80, 80)
    out = _texts(explain(model, x, "0", 3, leaves), [])
    return out + _texts(explain(model, x, "5", 3, leaves), [])


def test_every_explanation_reads_at_grade_9_or_below(texts: list[str]) -> None:
    assert len(texts) > 30
    hard = [(round(textstat.flesch_kincaid_grade(t), 1), t) for t in texts]
    hard = [(g, t) for g, t in hard if g > MAX_GRADE]
    listing = "\n".join(f"  grade {g}: {t}" for g, t in sorted(hard, reverse=True))
    assert not hard, f"{len(hard)} explanations read above grade {MAX_GRADE}:\n{listing}"


def test_explanations_use_the_models_own_names_and_numbers(texts: list[str]) -> None:
    joined = " ".join(texts)
    for word in ("conv", "vertical", "3 groups", "2 small 3×3"):
        assert word in joined, word
