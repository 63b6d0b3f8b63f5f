"""``Inspector``: what the web views work over. A run catalogue with a model cache and an upload
store beside it, and the images the views feed the model.

Each part has its own lock: the catalogue's probe cache, the uploads, and one lock per cached
model (a model must never carry two requests' hooks at once; other models go on meanwhile).
Nothing here imports torch until a view needs a model, so listing runs stays light.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np

from convlens.core import UnavailableError, UserInputError
from convlens.pipelines import ModelCache, RunCatalogue
from convlens.store import Run

from ._images import to_model_input
from ._uploads import Upload, UploadStore

if TYPE_CHECKING:
    import torch
    from torch import nn

    from convlens.pipelines import LoadedModel

MAX_OUTPUTS = 4  # images whose every layer output a cached model keeps


class Inspector(RunCatalogue):
    """The runs under ``runs_dir`` (a :class:`RunCatalogue`), their models and the uploads.

    Args:
        runs_dir: The folder holding run folders (``convlens serve RUNS_DIR``).
        max_models: Models kept built in memory (least recently used goes first).
        max_uploads: Uploaded images kept in memory.

    Attributes:
        models: The :class:`ModelCache`.
        uploads: The :class:`UploadStore`.
    """

    def __init__(
        self, runs_dir: str | os.PathLike[str], *, max_models: int = 4, max_uploads: int = 64
    ) -> None:
        super().__init__(runs_dir)
        self.models = ModelCache(self, max_models=max_models)
        self.uploads = UploadStore(max_uploads)

    def loaded_model(self, run: Run, epoch: int | None = None) -> LoadedModel:
        """The run's model for ``epoch`` (default: the last checkpoint); hold its ``lock``
        while running it."""
        return self.models.get(run, epoch)

    def add_upload(self, data: bytes) -> Upload:
        return self.uploads.add(data)

    def upload(self, upload_id: str) -> Upload:
        return self.uploads.get(upload_id)

    # -- what the model is fed --------------------------------------------------------------

    def image(self, run: Run, ref: str) -> np.ndarray:
        """The image a reference names (``probe:12`` or ``upload:<id>``) as model input.

        Returns ``uint8 [S, S, C]`` at the run's input size and channels.
        """
        kind, _, value = ref.partition(":")
        if kind == "probe" and value.isdigit():
            img = self.probe_image(run, int(value))
        elif kind == "upload" and value:
            img = self.upload(value).image
        else:
            raise UserInputError(
                f"image '{ref[:60]}' is not a reference: use probe:N (a probe image of the run) "
                "or upload:ID (from POST /api/uploads)"
            )
        c, s, _ = self.input_shape(run)
        return to_model_input(img, c, s)

    def tensor(self, run: Run, ref: str) -> tuple[torch.Tensor, np.ndarray]:
        """``([1, C, S, S] float tensor in [0, 1], uint8 [S, S, C] image)`` for a reference."""
        from convlens.data import images_to_tensor

        img = self.image(run, ref)
        return images_to_tensor(img[None]), img

    def probe_tensor(self, run: Run) -> torch.Tensor:
        """All probe images as model input ``[N, C, S, S]``."""
        from convlens.data import images_to_tensor

        probe = self.probe(run)
        if "thumbnails" not in probe:
            raise UnavailableError(
                f"run {run.run_id} kept no probe images, so this view has nothing to show"
            )
        c, s, _ = self.input_shape(run)
        thumbs = probe["thumbnails"]
        if thumbs.shape[1:] != (s, s, c):
            thumbs = np.stack([to_model_input(t, c, s) for t in thumbs])
        return images_to_tensor(thumbs)

    def forward(
        self, run: Run, epoch: int | None, ref: str, layer: str
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``layer``'s output and the logits for one image, both ``[1, ...]``.

        The first request for an image runs one forward pass that keeps every leaf layer's
        output, so the other layers of the same image are answered without running the model.
        """
        from convlens.analyze import layer_outputs, leaf_layers

        loaded = self.loaded_model(run, epoch)
        model: nn.Module = loaded.module
        with loaded.lock:
            if ref in loaded.outputs:
                loaded.outputs.move_to_end(ref)
                outs, logits = loaded.outputs[ref]
                if layer in outs:
                    return outs[layer], logits
            x, _ = self.tensor(run, ref)
            if loaded.leaves is None:
                loaded.leaves = [i.name for i in leaf_layers(model, x) if i.calls == 1]
            names = loaded.leaves
            outs, logits = layer_outputs(model, x, names if layer in names else [layer])
            if layer in names:
                loaded.outputs[ref] = (outs, logits)
                while len(loaded.outputs) > MAX_OUTPUTS:
                    loaded.outputs.popitem(last=False)
            return outs[layer], logits
