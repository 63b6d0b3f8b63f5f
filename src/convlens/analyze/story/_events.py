"""Events of a run found in its numbers: a class separates, a pair untangles, accuracy moves."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ._mixing import PairMixing

SEPARATED = 0.7  # purity from which a class counts as standing apart
TANGLED = 0.15  # pair mixing from which two classes count as tangled
UNTANGLED = 0.08  # ... and below which they count as untangled again
JUMP = 0.08  # accuracy rise that counts as a jump
DROP = 0.05  # accuracy fall that counts as a drop
STALL = 0.01  # accuracy change below which an epoch counts as a standstill


@dataclass(frozen=True)
class Event:
    """Something that happened at one epoch, with the numbers that show it.

    Attributes:
        epoch: The epoch number it happened at.
        kind: ``"separates"``, ``"untangles"``, ``"jump"``, ``"drop"`` or ``"stall"``.
        layer: The layer it was seen in (``None`` for accuracy events).
        classes: The class names it is about (one, two, or none).
        before: The measure one epoch earlier (purity, mixing or accuracy).
        after: The measure at ``epoch``.
        text: One plain sentence, e.g. ``"epoch 4: sheep separates from cloud"``.
    """

    epoch: int
    kind: str
    layer: str | None
    classes: tuple[str, ...]
    before: float
    after: float
    text: str

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["classes"] = list(self.classes)
        return out

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Event:
        return cls(
            epoch=int(obj["epoch"]),
            kind=str(obj["kind"]),
            layer=None if obj.get("layer") is None else str(obj["layer"]),
            classes=tuple(str(c) for c in obj.get("classes", ())),
            before=float(obj["before"]),
            after=float(obj["after"]),
            text=str(obj["text"]),
        )


def _pct(v: float) -> str:
    return f"{round(100 * v)}%"


def layer_events(
    purity: np.ndarray,
    mixing: np.ndarray | PairMixing,
    epochs: Sequence[int],
    class_names: Sequence[str],
    layer: str,
) -> list[Event]:
    """Classes that come apart and pairs that untangle, epoch by epoch, in one layer.

    A class *separates* at the first epoch its purity reaches :data:`SEPARATED` after being
    below it; the sentence names the class it was most mixed with before. A pair *untangles*
    when its mixing falls from at least :data:`TANGLED` to below :data:`UNTANGLED`.

    Args:
        purity: ``[E, C]`` per-class purity.
        mixing: Pair mixing: a ``PairMixing``, or the whole ``[E, C, C]``.
        epochs: ``[E]`` epoch numbers.
        class_names: ``[C]`` names.
        layer: The layer's name.
    """
    from ._mixing import PairMixing

    P = np.nan_to_num(np.asarray(purity, np.float64), nan=0.0)
    M = mixing if isinstance(mixing, PairMixing) else PairMixing.from_dense(mixing)
    out: list[Event] = []
    tangled: set[tuple[int, int]] = set()  # the pairs that have been tangled so far
    for i in range(len(epochs)):
        e = int(epochs[i])
        if i:
            partner, best = M.top_partners(i - 1)
            for c in np.flatnonzero((P[i - 1] < SEPARATED) & (P[i] >= SEPARATED)).tolist():
                other = int(partner[c])
                apart = f" from {class_names[other]}" if best[c] > 0 else ""
                out.append(
                    Event(
                        e,
                        "separates",
                        layer,
                        (class_names[c],) if not apart else (class_names[c], class_names[other]),
                        float(P[i - 1, c]),
                        float(P[i, c]),
                        f"epoch {e}: {class_names[c]} separates{apart} in {layer}",
                    )
                )
            rows, cols, values = M.pairs(i - 1)
            was = values >= UNTANGLED  # ... tangled once, and now below UNTANGLED: untangles
            pairs = zip(rows[was].tolist(), cols[was].tolist(), strict=True)
            was[was] = [p in tangled for p in pairs]
            rows, cols, values = rows[was], cols[was], values[was]
            now = M.values_at(i, rows, cols)
            for a, b, v, n in zip(rows.tolist(), cols.tolist(), values, now, strict=True):
                if n < UNTANGLED:
                    out.append(
                        Event(
                            e,
                            "untangles",
                            layer,
                            (class_names[a], class_names[b]),
                            float(v),
                            float(n),
                            f"epoch {e}: {class_names[a]} and {class_names[b]} untangle in {layer}",
                        )
                    )
        rows, cols, values = M.pairs(i)
        big = values >= TANGLED
        tangled |= set(zip(rows[big].tolist(), cols[big].tolist(), strict=True))
    return out


def accuracy_events(epochs: Sequence[int], accuracy: np.ndarray) -> list[Event]:
    """Jumps, drops and stalls of an accuracy curve ``[E]`` in 0..1 (NaN epochs are skipped).

    A *jump* is a rise of at least :data:`JUMP` from one epoch to the next, a *drop* a fall of at
    least :data:`DROP`; a *stall* is the second epoch in a row that moves less than
    :data:`STALL` while accuracy is below 95 % (said once per standstill).
    """
    acc = np.asarray(accuracy, np.float64)
    out: list[Event] = []
    still = 0
    for i in range(1, len(acc)):
        a, b = acc[i - 1], acc[i]
        if not (np.isfinite(a) and np.isfinite(b)):
            still = 0
            continue
        e = int(epochs[i])
        delta = b - a
        if delta >= JUMP:
            out.append(Event(e, "jump", None, (), a, b, f"epoch {e}: accuracy jumps to {_pct(b)}"))
        elif delta <= -DROP:
            out.append(Event(e, "drop", None, (), a, b, f"epoch {e}: accuracy slips to {_pct(b)}"))
        if abs(delta) < STALL and b < 0.95:
            still += 1
            if still == 2:
                out.append(
                    Event(e, "stall", None, (), a, b, f"epoch {e}: accuracy stalls at {_pct(b)}")
                )
        else:
            still = 0
    return out
