"""Every explanation is written for someone who has never seen a neural network.

Flesch–Kincaid grade (textstat) at most 9 for each text the web app and the video show: the
server's explanations, the tour, the story's sentences, and the UI's own texts written in
``web/src`` (page subtitles, loading notes, side notes: read from the .vue templates) and the
glossary's definitions (``web/src/lib/glossary.json``). The test lists every text that exceeds it.

The jargon check: a technical word (the glossary's terms and a list of common machine-learning
words) shown in any of those texts without a glossary entry fails, listing the offenders: the
web marks glossary terms with a tooltip (``Term.vue``), so a word without an entry is one a
reader meets unexplained.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import textstat
from fastapi.testclient import TestClient

from convlens.analyze import ATTRIBUTIONS
from convlens.pipelines import epoch_sentence
from convlens.server import create_app
from convlens.views._explorer import _KINDS, layer_text

MAX_GRADE = 9.0
WEB_SRC = Path(__file__).resolve().parents[1] / "web" / "src"
GLOSSARY = json.loads((WEB_SRC / "lib" / "glossary.json").read_text(encoding="utf-8"))["terms"]

# Words a newcomer does not know, beyond the glossary's own terms: any of them in a text the UI
# shows needs a glossary entry (then it gets a tooltip).
JARGON = [
    "activation", "attribution", "backprop", "backpropagation", "baseline", "batch norm",
    "bias", "centroid", "checkpoint", "classifier", "convolution", "cosine", "cross-entropy",
    "deletion", "depthwise", "dimensionality", "dropout", "embedding", "epoch", "Euclidean",
    "feature map", "filter", "gradient", "Grad-CAM", "hyperparameter", "importance", "inference",
    "insertion", "integrated gradients", "kernel", "k-means", "latent", "learning rate", "logit",
    "manifold", "neuron", "normalization", "occlusion", "optimizer", "overfitting", "padding",
    "PCA", "perplexity", "pooling", "probe", "pruning", "receptive field", "regularization",
    "ReLU", "residual", "saliency", "sigmoid", "SmoothGrad", "softmax", "stride", "tensor",
    "trustworthiness", "t-SNE", "UMAP", "variance",
]  # fmt: skip
LAYER_NAME = re.compile(r"(?<![\w-])(?:conv|fc)\d*(?![\w-])")  # conv2, fc1: the demo's names


def _texts(obj: object, out: list[str]) -> list[str]:
    """Collect every ``explanation``/``text``/``help`` string in a JSON answer."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k in ("explanation", "text", "help", "sentence") and isinstance(v, str):
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
        "/api/runs/fixture/story",
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
    out += _unlabelled_texts()
    for acc, prev in ((0.1, None), (0.6, None), (0.8, 0.6), (0.5, 0.8), (0.81, 0.8)):
        out.append(
            epoch_sentence(
                epoch=3, accuracy=acc, previous=prev, n_classes=10, confused=("cat", "dog", 4)
            )
        )
    return out


def _unlabelled_texts() -> list[str]:
    """Timeline and projection texts the fixture run lacks: pictures without labels, one epoch,
    one neighbour."""
    import numpy as np

    from convlens.views._classgrads import _FEW_ANSWERS, classgrads_text
    from convlens.views._projection import quality_text
    from convlens.views._timeline import timeline_text

    class OneEpoch:
        epochs = [1]

    labels, split = np.full(4, -1), np.zeros(4, int)
    groups = [{"name": n, "norms": [1.0, 0.5, 0.0]} for n in ("cat", "dog", "car")]
    predicted = np.zeros((1, 4), int)
    return [
        timeline_text(OneEpoch(), "fc1", labels, predicted, split),  # type: ignore[arg-type]
        timeline_text(OneEpoch(), "fc1", np.zeros(4, int), predicted, split),  # type: ignore[arg-type]
        quality_text({"k": 1, "knn_preservation": 1.0, "trustworthiness": 1.0}, "pca"),
        classgrads_text("fc1", "Linear", groups, by_answer=True)
        + _FEW_ANSWERS.format(kinds="2 kinds", ref="cat"),
    ]


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


def _too_hard(texts: list[str]) -> str:
    hard = [(round(textstat.flesch_kincaid_grade(t), 1), t) for t in texts]
    hard = [(g, t) for g, t in hard if g > MAX_GRADE]
    listing = "\n".join(f"  grade {g}: {t}" for g, t in sorted(hard, reverse=True))
    return f"{len(hard)} texts read above grade {MAX_GRADE}:\n{listing}" if hard else ""


def test_every_explanation_reads_at_grade_9_or_below(texts: list[str]) -> None:
    assert len(texts) > 30
    assert not _too_hard(texts), _too_hard(texts)


_INLINE = re.compile(r"</?(?:strong|em|b|i|a|code|span|Term|TermText|abbr|small|kbd)\b[^>]*>")


def ui_texts(web_src: Path = WEB_SRC) -> list[tuple[str, str]]:
    """The texts written in the web's own sources, as ``(file, text)``: static ``subtitle`` and
    ``loading-text`` attributes, and every static run of template text of five words or more
    (side notes, captions, hints). ``{{ ... }}`` becomes "…"; a run that is mostly code or
    placeholders is left out."""
    out: list[tuple[str, str]] = []
    for f in sorted(web_src.rglob("*.vue")):
        m = re.search(r"<template>(.*)</template>", f.read_text(encoding="utf-8"), re.S)
        tpl = m.group(1) if m else ""
        for a in re.finditer(r'(?<![:\w-])(?:subtitle|loading-text)="([^"]+)"', tpl):
            if len(a.group(1).split()) >= 5:
                out.append((f.name, a.group(1)))
        # a subtitle chosen by the view (`:subtitle="cond ? 'a' : 'b'"`): each quoted choice
        for a in re.finditer(r':(?:subtitle|loading-text)="([^"]+)"', tpl):
            out += [
                (f.name, q) for q in re.findall(r"'([^']+)'", a.group(1)) if len(q.split()) >= 5
            ]
        body = re.sub(r"\s+", " ", tpl)
        body = re.sub(r"\{\{.*?\}\}", " … ", body)
        body = re.sub(r"<[^>]*>", "\n", _INLINE.sub("", body))
        for chunk in body.split("\n"):
            c = " ".join(chunk.split())
            words = re.findall(r"[A-Za-z]{2,}", c)
            if (
                len(words) >= 5
                and not re.search(r"[=<>{}]", c)
                and ("…" not in c or len(words) >= 8)
            ):
                out.append((f.name, c))
    return out


def test_ui_texts_are_found() -> None:
    got = ui_texts()
    files = {f for f, _ in got}
    assert {"TimelineView.vue", "ExplorerView.vue", "ClassGradsView.vue"} <= files
    assert any("marks on the slider" in t for _, t in got)  # a side note of EpochPlayerBar
    assert any("often gives beside it" in t for _, t in got)  # a subtitle chosen by the view


def test_ui_texts_subtitles_and_glossary_read_at_grade_9_or_below() -> None:
    texts = [t for _, t in ui_texts()] + [e["text"] for e in GLOSSARY]
    assert len(texts) > 60
    assert not _too_hard(texts), _too_hard(texts)


def _covered(word: str) -> bool:
    w = word.lower()
    for e in GLOSSARY:
        if w in (a.lower() for a in [e["term"], *e["aliases"]]):
            return True
        if e.get("pattern") and re.fullmatch(e["pattern"], word, re.I):
            return True
    return False


def jargon_without_entry(texts: list[str]) -> dict[str, str]:
    """Each technical word in ``texts`` that the glossary does not define, with a text it is in."""
    words = sorted({*JARGON, *(e["term"] for e in GLOSSARY)}, key=len, reverse=True)
    find = re.compile(
        r"(?<![\w-])(" + "|".join(re.escape(w) for w in words) + r")s?(?![\w-])", re.I
    )
    missing: dict[str, str] = {}
    for t in texts:
        for m in find.finditer(t):
            if not _covered(m.group(1)):
                missing.setdefault(m.group(1).lower(), t)
        for m in LAYER_NAME.finditer(t):
            if not _covered(m.group(0)):
                missing.setdefault(m.group(0), t)
    return missing


def test_no_technical_word_is_shown_without_a_glossary_entry(texts: list[str]) -> None:
    shown = texts + [t for _, t in ui_texts()]
    missing = jargon_without_entry(shown)
    listing = "\n".join(f"  {w!r} in: {t[:120]}" for w, t in sorted(missing.items()))
    assert not missing, f"{len(missing)} technical words have no glossary entry:\n{listing}"


def test_the_jargon_check_catches_an_undefined_word() -> None:
    assert jargon_without_entry(["The softmax of the logits, after conv2."]) == {}
    got = jargon_without_entry(["A tensor goes through the sigmoid and a backprop step."])
    assert set(got) == {"tensor", "sigmoid", "backprop"}


def test_explanations_use_the_models_own_names_and_numbers(texts: list[str]) -> None:
    joined = " ".join(texts)
    for word in ("conv", "vertical", "3 groups", "2 small 3×3"):
        assert word in joined, word


def test_no_number_is_printed_as_minus_zero(texts: list[str]) -> None:
    """A tiny negative value reads "0.00", not "-0.00" (the sanity check said "-0.00 with all
    4" while its table said 0.00)."""
    import numpy as np

    from convlens.views._attribution_text import sanity_text

    _, said = sanity_text(["fc2", "fc1"], [1, 2], np.array([-0.88, -0.004]))
    assert "0.00 with all 2" in said and "-0.00" not in said, said
    minus_zero = [t for t in texts if re.search(r"-0\.0+(?!\d*[1-9])", t)]
    assert not minus_zero, minus_zero
