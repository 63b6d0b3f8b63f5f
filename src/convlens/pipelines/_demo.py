"""``convlens demo``: the whole training-over-time story, offline, in a few minutes."""

from __future__ import annotations

from pathlib import Path

from convlens.core import DataOptions, EmbedOptions, RecordOptions, TrainOptions, VideoOptions

from ._embed import embed_run
from ._graph import graph_run
from ._train import EpochCallback, train
from ._video import make_video

DEMO_DATA = DataOptions(
    data="sketches",
    image_size=64,
    train_per_class=100,
    test_per_class=30,
    probe_size=200,
    train_probe_size=200,
)
# lr 3e-4: at 1e-3 all but 3 of conv2's 64 filters died (ReLU never fires) and test accuracy
# stopped at 70 %; at 3e-4, 50 filters stay alive and it reaches 76 % in the same 10 epochs.
DEMO_TRAIN = TrainOptions(model="paper", epochs=10, batch_size=25, lr=3e-4, seed=0)
DEMO_RECORD = RecordOptions(layers=("conv2", "fc1"))


def demo(
    out: str | Path,
    *,
    epochs: int | None = None,
    on_epoch: EpochCallback | None = None,
    video: VideoOptions | None = None,
) -> dict[str, Path]:
    """Generate sketches, train the paper's CNN, record two layers, embed them, make the video,
    and lay out the network graph of the last epoch, so no step of the web tour waits on a cold
    computation (the tour's projection, PCA of a recorded layer, reads what was recorded).

    Returns the run folder, the media files and the graph file (``graph``).
    """
    options = (
        DEMO_TRAIN if epochs is None else TrainOptions(**{**DEMO_TRAIN.__dict__, "epochs": epochs})
    )
    run = train(DEMO_DATA, options, DEMO_RECORD, out=out, on_epoch=on_epoch)
    embed = EmbedOptions()
    embed_run(run, embed)
    files = make_video(run, video or VideoOptions(), layers=list(DEMO_RECORD.layers), embed=embed)
    graph = graph_run(run).path  # the tour's Network step: stored, answered at once
    return {"run": run, **files, "graph": graph}
