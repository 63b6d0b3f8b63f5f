"""The model's input view: a picture exactly as the run's model receives it, shown to people."""

from __future__ import annotations

from convlens.store import Run

from ._images import downsized_png
from ._inspect import Inspector


def model_input_png(insp: Inspector, run: Run, ref: str) -> bytes:
    """PNG of the picture ``ref`` names as the run's model receives it.

    It is made from the model input itself: the picture cut and normalised by the run's input
    contract, then turned back into colours (``InputContract.denormalize``), so what is shown is
    what the model is fed, not a second rendering of the original.
    """
    x, _ = insp.tensor(run, ref)
    picture = insp.contract(run).denormalize(x.numpy())[0]
    return downsized_png(picture, max_side=512)
