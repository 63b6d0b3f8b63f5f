"""``Inspector``: what the web views work over. A run catalogue with a model cache and an upload
store beside it, and the images the views feed the model: every picture, probe or upload, is cut
and normalised by the run's input contract (``RunCatalogue.contract``) through
``convlens.data``'s ``fit_picture``/``normalize``, the same code that recorded the run.

Each part has its own lock: the catalogue's probe cache, the uploads, and one lock per cached
model (a model must never carry two requests' hooks at once; other models go on meanwhile).
Nothing here imports torch until a view needs a model, so listing runs stays light.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING
from urllib.parse import quote

import numpy as np

from convlens.core import NotFoundError, UnavailableError, UserInputError
from convlens.pipelines import ModelCache, RunCatalogue, probe_pictures
from convlens.store import Run

from ._arraycache import ArrayCache
from ._uploads import Upload, UploadStore

if TYPE_CHECKING:
    import torch
    from torch import nn

    from convlens.modelkit import LayerInfo
    from convlens.pipelines import LoadedModel

DEFAULT_IMAGE = "probe:0"
"""The picture the explorer opens on: the layer list's pass keeps its outputs."""


class Inspector(RunCatalogue):
    """The runs under ``runs_dir`` (a :class:`RunCatalogue`), their models and the uploads.

    Args:
        runs_dir: The folder holding run folders (``convlens serve RUNS_DIR``).
        max_models: Models kept built in memory (least recently used goes first).
        max_uploads: Uploaded images kept in memory.

    Attributes:
        models: The :class:`ModelCache`.
        uploads: The :class:`UploadStore`.
        arrays: The :class:`ArrayCache` of arrays read from runs (the timeline's).
    """

    def __init__(
        self, runs_dir: str | os.PathLike[str], *, max_models: int = 4, max_uploads: int = 64
    ) -> None:
        super().__init__(runs_dir)
        self.models = ModelCache(self, max_models=max_models)
        self.uploads = UploadStore(max_uploads)
        self.arrays = ArrayCache()

    def loaded_model(self, run: Run, epoch: int | None = None) -> LoadedModel:
        """The run's model for ``epoch`` (default: the last checkpoint); hold its ``lock``
        while running it."""
        return self.models.get(run, epoch)

    def add_upload(self, data: bytes) -> Upload:
        return self.uploads.add(data)

    def upload(self, upload_id: str) -> Upload:
        return self.uploads.get(upload_id)

    # -- what the model is fed --------------------------------------------------------------

    def source_image(self, run: Run, ref: str) -> np.ndarray:
        """The picture a reference names (``probe:12`` or ``upload:<id>``), as stored or
        uploaded (``uint8 [h, w, c]``)."""
        kind, _, value = ref.partition(":")
        if kind == "probe" and value.isdigit():
            return self.probe_image(run, int(value))
        if kind == "upload" and value:
            return self.upload(value).image
        raise UserInputError(
            f"image '{ref[:60]}' is not a reference: use probe:N (a probe image of the run) "
            "or upload:ID (from POST /api/uploads)"
        )

    def seen(self, run: Run, ref: str) -> tuple[np.ndarray, bool]:
        """The picture exactly as the model receives it (before colour normalisation,
        ``uint8 [H, W, C]``), cut by the run's input contract, and whether it is exact.

        A probe picture stored at the input size is what the model saw when the run was
        recorded (exact); a thumbnail of another size is cut again (close, not exact). An
        upload is cut from the uploaded picture (exact).
        """
        from convlens.data import fit_picture

        img = self.source_image(run, ref)
        contract = self.contract(run)
        if ref.startswith("probe:"):
            pictures, exact = probe_pictures(img[None], contract)
            return pictures[0], exact
        return fit_picture(img, contract), True

    def image(self, run: Run, ref: str) -> np.ndarray:
        """The image a reference names as the model sees it: ``uint8 [H, W, C]`` at the run's
        input size and channels, cut by its input contract (colours not yet normalised)."""
        return self.seen(run, ref)[0]

    def tensor(self, run: Run, ref: str) -> tuple[torch.Tensor, np.ndarray]:
        """``([1, C, H, W] model input, uint8 [H, W, C] picture)`` for a reference: the picture
        cut and normalised by the run's input contract."""
        import torch

        from convlens.data import normalize

        img = self.image(run, ref)
        return torch.from_numpy(normalize(img[None], self.contract(run))), img

    def probe_tensor(self, run: Run, indices: np.ndarray | None = None) -> torch.Tensor:
        """The probe images (all, or those at ``indices``) as model input ``[N, C, H, W]``,
        normalised by the run's contract."""
        import torch

        from convlens.data import normalize

        probe = self.probe(run)
        if "thumbnails" not in probe:
            raise UnavailableError(
                f"run {run.run_id} kept no probe images, so this view has nothing to show"
            )
        contract = self.contract(run)
        thumbs = probe["thumbnails"] if indices is None else probe["thumbnails"][indices]
        pictures, _ = probe_pictures(thumbs, contract)
        return torch.from_numpy(normalize(pictures, contract))

    def input_info(self, run: Run, ref: str) -> dict[str, object]:
        """What the views say about the model's input for ``ref``: how it was cut and where
        the picture as the model receives it is."""
        contract = self.contract(run)
        _, exact = self.seen(run, ref)
        text = contract.describe()
        if not exact:
            text += (
                " This run kept its probe pictures at another size. They are cut again here, so "
                "they are close to what the model saw, not the same."
            )
        return {
            "preprocess": contract.name,
            "input_size": list(contract.size),
            "input_description": text,
            "input_exact": exact,
            "input_url": f"/api/runs/{run.run_id}/input.png?image={quote(ref)}",
        }

    def layer_list(self, run: Run, epoch: int | None = None) -> tuple[LoadedModel, list[LayerInfo]]:
        """The model for ``epoch`` and its layer list, from one forward pass.

        The pass runs on the first probe picture (the one the explorer opens on), whose layer
        outputs are kept, so the first feature-map request for it runs no model; a run that kept
        no probe pictures is run on a black picture.
        """
        import torch

        loaded = self.loaded_model(run, epoch)
        with loaded.lock:
            if loaded.layers is None:
                try:
                    x, _ = self.tensor(run, DEFAULT_IMAGE)
                    loaded.look(x, DEFAULT_IMAGE)
                except (UnavailableError, NotFoundError):  # no probe pictures kept
                    loaded.look(torch.zeros(1, *self.input_shape(run)))
            return loaded, loaded.layers or []

    def forward(
        self, run: Run, epoch: int | None, ref: str, layer: str
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``layer``'s output and the logits for one image, both ``[1, ...]``.

        The first request for an image runs one forward pass (:meth:`LoadedModel.look`) that
        gives the layer list, the logits and every layer's output, so the other layers of the
        same image are answered without running the model. A container module (not in the layer
        list) gets a pass of its own.
        """
        from convlens.analyze import layer_outputs
        from convlens.modelkit import find_module, is_layer, reused_message

        loaded = self.loaded_model(run, epoch)
        model: nn.Module = loaded.module
        with loaded.lock:
            if is_layer(find_module(model, layer)):
                kept = loaded.kept(ref)
                outs, logits = kept or loaded.look(self.tensor(run, ref)[0], ref)
                if layer in outs:
                    return outs[layer], logits
                calls = {i.name: i.calls for i in loaded.layers or []}.get(layer, 0)
                if calls > 1:
                    raise UserInputError(reused_message(layer, calls))
            outs, logits = layer_outputs(model, self.tensor(run, ref)[0], [layer])
            return outs[layer], logits
