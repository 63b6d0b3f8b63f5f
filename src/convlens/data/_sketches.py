"""A procedural, offline stand-in for the TrainVideo paper's hand sketches.

Ten classes in four confusable groups, as in Peters et al. (2019): bear / panda / teddy-bear,
car / suv / van, pigeon / seagull, cloud / sheep. Every image is drawn with Pillow from jittered
strokes (control-point noise, hand wobble, stroke width, darkness, rotation, scale, position,
mirroring, the odd dropped or stray stroke), dark strokes on a white background like a pencil
sketch. Image ``i`` of class ``c`` in a split depends only on ``(seed, split, c, i)``, so asking
for more images per class keeps the first ones.

Each class is a function ``rng -> list[Stroke]`` in ``_sketch_kinds``, in the unit frame of
``_pen`` (x right, y down, the figure roughly within ``[-1, 1]``); ``_pen.render_strokes``
jitters and draws them.
"""

from __future__ import annotations

import numpy as np

from convlens.core import progress

from ._pen import render_strokes
from ._sketch_kinds import CLASSES

SPLITS = {"train": 0, "test": 1}


def make_sketches(
    split: str, per_class: int, size: int, seed: int, class_names: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Draw ``per_class`` sketches of every class, class by class.

    Returns:
        ``uint8 [N, size, size, 1]`` images, ``int64 [N]`` labels and sources
        ``"sketches:<split>:<class>:<i>"``.
    """
    n = per_class * len(class_names)
    images = np.empty((n, size, size, 1), dtype=np.uint8)
    labels = np.repeat(np.arange(len(class_names), dtype=np.int64), per_class)
    sources = []
    jobs = [(c, name, i) for c, name in enumerate(class_names) for i in range(per_class)]
    for k, (c, name, i) in enumerate(progress(jobs, desc=f"drawing {split} sketches", unit="img")):
        rng = np.random.default_rng([seed, SPLITS[split], c, i])
        images[k, :, :, 0] = render_strokes(CLASSES[name](rng), rng, size)
        sources.append(f"sketches:{split}:{name}:{i}")
    return images, labels, tuple(sources)
