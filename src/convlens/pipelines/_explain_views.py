"""Plain-language text beside every web view, written from the user's own model and numbers.

The reader has never seen a neural network: short sentences, everyday words, numbers from the
screen. ``tests/test_readability.py`` keeps every text at Flesch–Kincaid grade 9 or below.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from convlens.store import Run

_KINDS = {
    "Conv2d": (
        "a filter layer. It slides {n} small {k} stencils over the picture. Each stencil looks "
        "for one pattern, like an edge or a spot, and makes one map of where it found it."
    ),
    "Linear": (
        "a fully connected layer. Each of its {n} units adds up everything from the layer "
        "before, each part with its own weight."
    ),
    "ReLU": "a cut-off. It keeps positive numbers and turns negative ones into zero.",
    "MaxPool2d": "a shrink step. It keeps only the strongest value in each small patch.",
    "AvgPool2d": "a shrink step. It keeps the average of each small patch.",
    "AdaptiveAvgPool2d": "a shrink step. It averages each map down to a few numbers.",
    "BatchNorm2d": "a rescale step. It keeps the numbers in a steady range.",
    "BatchNorm1d": "a rescale step. It keeps the numbers in a steady range.",
    "Dropout": "a training trick. While it learns, it hides some numbers at random. It does "
    "nothing when the network is used.",
    "Dropout2d": "a training trick. It does nothing when the network is used.",
    "Flatten": "a reshape step. It lays all the maps out in one long row of numbers.",
}


def _pct(p: float) -> str:
    return f"{round(100 * float(p))}%"


def _shape(shape: Sequence[int]) -> str:
    if len(shape) == 3:
        return f"{shape[0]} maps of {shape[1]}×{shape[2]} points"
    return f"{int(np.prod(shape))} numbers"


def run_text(summary: dict[str, Any]) -> str:
    n = len(summary["epochs"])
    acc = summary.get("test_accuracy")
    classes = summary["classes"]
    s = (
        f"This network learned to sort pictures into {len(classes)} groups. "
        f"It trained for {n} rounds, called epochs."
    )
    if acc is not None:
        s += f" At the end it got {_pct(acc)} of new pictures right."
    if summary["status"] == "running":
        s += " It is still training, so this page updates by itself."
    return s


def timeline_text(
    run: Run, layer: str, labels: np.ndarray, predicted: np.ndarray, split: np.ndarray
) -> str:
    held = split == 0
    first = float((predicted[0][held] == labels[held]).mean()) if held.any() else 0.0
    last = float((predicted[-1][held] == labels[held]).mean()) if held.any() else 0.0
    return (
        f"Each dot is one picture. Dots sit close when layer {layer} sees the pictures as alike. "
        f"Play the epochs to watch the network learn. At first it gets {_pct(first)} right, and "
        f"at the end {_pct(last)}. Colour can show the true kind, the guess, or right and wrong."
    )


def point_text(run: Run, label: int, probs: np.ndarray, split: int) -> str:
    name = run.classes[label]
    right = int((probs.argmax(1) == label).sum())
    where = "a training picture" if split == 1 else "a picture the network never learned from"
    return (
        f"This is {where}. It shows a {name}. The network called it right in {right} of "
        f"{len(probs)} epochs. The lines show how sure it was of each answer over time."
    )


def layer_text(info: Any) -> str:
    kind = _KINDS.get(info.type)
    n = info.out_shape[0] if info.out_shape else 0
    k = "×".join(str(v) for v in info.kernel) if info.kernel else "small"
    body = (
        kind.format(n=n, k=k)
        if kind
        else f"a {info.type} step, written for this model. It turns its input into new numbers."
    )
    return f"{info.name} is {body} It gives {_shape(info.out_shape)}."


def featuremaps_text(
    run: Run,
    layer: str,
    kind: str,
    maps: np.ndarray,
    stats: dict[str, float],
    order: str,
    probs: np.ndarray,
) -> str:
    c = maps.shape[0]
    dead = int((maps.reshape(c, -1).max(axis=1) <= 0).sum())
    guess = run.classes[int(np.argmax(probs))]
    how = {
        "natural": "in the network's own order",
        "kmeans": "in groups of maps that look alike",
        "pca": "from one look to its opposite",
    }.get(order, "")
    s = (
        f"These are the {c} maps that layer {layer} makes from this picture, {how}. "
        "Bright means the layer found its pattern there."
    )
    if dead:
        s += f" {dead} of them stay dark for this picture."
    s += f" The network says: {guess}, {_pct(float(np.max(probs)))} sure."
    return s


def weights_text(layer: str, kind: str, shape: Sequence[int], arr: np.ndarray) -> str:
    if len(shape) == 4:
        return (
            f"These are the stencils of layer {layer}: {shape[0]} of them, each "
            f"{shape[2]}×{shape[3]} over {shape[1]} input maps. Red is a plus weight, blue a "
            "minus one. The network learned them from examples."
        )
    return (
        f"These are the weights of layer {layer}: {shape[0]} rows, one per unit. Each number "
        "says how much one input counts. Red is plus, blue is minus."
    )


def top_text(run: Run, layer: str, channel: int, labels: np.ndarray) -> str:
    counts = np.bincount(labels, minlength=len(run.classes))
    best = int(counts.argmax())
    return (
        f"These probe pictures excite map {channel} of layer {layer} the most. "
        f"{int(counts[best])} of {len(labels)} show a {run.classes[best]}."
    )


_METHOD_TEXT = {
    "saliency": "which pixels would change the answer most if they changed a little",
    "gradcam": "which parts of the picture the last filter layer used",
    "integrated_gradients": "how much each pixel added, going from a black picture to this one",
    "occlusion": "how much the answer drops when a small patch is covered",
}


def attribution_text(
    run: Run, method: str, target: int, probs: np.ndarray, heat: np.ndarray, di: Any
) -> str:
    name = run.classes[target]
    what = _METHOD_TEXT.get(method, "which pixels mattered")
    hot = float((heat > 0.5).mean())
    check = (
        "The map is a good guide: hiding its hot spots hurts the answer quickly."
        if di.deletion < di.insertion
        else "Take the map with care: hiding its hot spots does not hurt the answer much."
    )
    return (
        f"The warm colours show {what}, for the answer {name}. The network gives {name} "
        f"{_pct(probs[target])}. About {_pct(hot)} of the picture is hot. {check}"
    )


def classgrads_text(layer: str, kind: str, groups: list[dict[str, Any]]) -> str:
    ref, sim, dis = (g["name"] for g in groups)
    a, b, c = (np.asarray(g["norms"], dtype=np.float64) for g in groups)
    live = (a > 0) | (b > 0) | (c > 0)
    n_live = int(live.sum())

    def top(u: np.ndarray) -> set[int]:
        k = max(1, n_live // 4)
        return {int(i) for i in np.argsort(-u, kind="stable")[:k] if u[i] > 0}

    def overlap(u: np.ndarray, v: np.ndarray) -> str:
        tu, tv = top(u), top(v)
        return _pct(len(tu & tv) / max(1, min(len(tu), len(tv))))

    s = (
        f"Each bar is one filter of layer {layer}. A tall bar means the filter matters for that "
        f"answer. {ref} and {sim} are often mixed up; {overlap(a, b)} of their top filters are "
        f"the same. {ref} and {dis} share {overlap(a, c)}."
    )
    if n_live < len(a):
        s += (
            f" Only {n_live} of {len(a)} filters matter at all here. The rest never fire for "
            "these pictures."
        )
    return s


def projection_text(run: Run, layer: str, method: str, n_shown: int, n_total: int) -> str:
    shown = (
        f"It shows {n_shown} of {n_total} pictures, the same share of each kind."
        if n_shown < n_total
        else f"It shows all {n_total} pictures."
    )
    name = {"pca": "PCA", "tsne": "t-SNE", "umap": "UMAP"}.get(method, method)
    return (
        f"Each dot is a picture, placed by what layer {layer} sees in it. {name} squeezes "
        f"many numbers down to two, so alike pictures land close. {shown}"
    )


def upload_text(width: int, height: int, channels: int) -> str:
    colour = "grey" if channels == 1 else "colour"
    return (
        f"Got a {colour} picture of {width}×{height} pixels. It is cut to a square and shrunk "
        "to the size the network takes."
    )


def tour_steps(
    run: Run | None, layer: str | None, conv: str | None, confused: tuple[str, str, int] | None
) -> list[dict[str, str]]:
    if run is None:
        return [
            {
                "id": "start",
                "title": "No runs yet",
                "text": "Make one with: convlens demo --out runs. Then open this page again.",
                "route": "/",
            }
        ]
    r = run.run_id
    n = len(run.classes)
    kinds = ", ".join(run.classes[:4]) + (" and more" if n > 4 else "")
    steps = [
        {
            "id": "runs",
            "title": "What you see here",
            "text": (
                f"A neural network is a stack of simple steps that turns a picture into an "
                f"answer. This one learned to sort pictures into {n} kinds: {kinds}. "
                "It learned from examples, not rules."
            ),
            "route": "/",
        },
        {
            "id": "timeline",
            "title": "Watch it learn",
            "text": (
                "Each dot is a picture. Press play. At first the dots are mixed. As the network "
                "learns, pictures of one kind move together."
                + (f" Watch {confused[0]} and {confused[1]}: they stay close." if confused else "")
            ),
            "route": f"/timeline?run={r}" + (f"&layer={layer}" if layer else ""),
        },
    ]
    if conv:
        steps += [
            {
                "id": "explorer",
                "title": "Look inside",
                "text": (
                    "Pick a picture. Each small square is what one filter found in it. Some look "
                    "for edges, some for blobs. Later layers mix them into bigger shapes."
                ),
                "route": f"/explorer?run={r}&layer={conv}&image=probe:0",
            },
            {
                "id": "attributions",
                "title": "Why this answer?",
                "text": (
                    "The warm spots show the parts of the picture the network used for its "
                    "answer. If they sit on the object, it looks in the right place."
                ),
                "route": f"/attributions?run={r}&image=probe:0&method=gradcam",
            },
            {
                "id": "graph",
                "title": "The whole network",
                "text": (
                    "Here is the whole network at once. Each dot is one unit and each slice is "
                    "a layer. Lines show which units feed which. Faint ones matter little."
                ),
                "route": f"/graph?run={r}",
            },
        ]
    steps.append(
        {
            "id": "projection",
            "title": "How it sees the pictures",
            "text": (
                "Here all pictures are laid out by what one layer sees. Tight groups mean the "
                "network can tell those kinds apart."
            ),
            "route": f"/projection?run={r}" + (f"&layer={layer}" if layer else ""),
        }
    )
    return steps
