"""Why this decision: which pixels pushed the model towards a class, through Captum.

One class per method (``ATTRIBUTIONS``: ``saliency``, ``gradcam``, ``integrated_gradients``,
``occlusion``): the constructor binds the model (and layer), ``attribute(x, target)`` returns a
map at the input's resolution. ``deletion_insertion`` checks a map: if the pixels it ranks
highest really matter, deleting them first should make the class probability fall fast.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import torch
from torch import nn

from convlens.core import Registry, UserInputError
from convlens.modelkit import (
    check_images,
    check_target,
    find_module,
    guarded,
    logits_of,
    model_device_dtype,
)

from .._names import ATTRIBUTION_METHODS
from ..forward._outputs import last_conv_layer

ATTRIBUTIONS: Registry[type[Attribution]] = Registry("attribution method")
LARGE_IMAGE = 128 * 128
"""Inputs with more pixels than this get coarser occlusion patches."""


class Attribution:
    """Base class: binds a model (and a layer), ``attribute`` computes one map.

    The model is never changed: each call runs it in eval mode with its parameters frozen and
    restores every train/eval flag, ``requires_grad``, ``.grad`` and the grad mode afterwards;
    Captum's hooks are gone also when the forward pass raises.

    Args:
        model: Any ``nn.Module`` returning class scores ``[N, K]``.
        layer: Module name; only methods with ``uses_layer`` use it (the others check that it
            exists and ignore it, so every method can be built the same way).

    Raises:
        UserInputError: ``layer`` is not a module of ``model``.
    """

    method: ClassVar[str] = ""
    uses_layer: ClassVar[bool] = False

    def __init__(self, model: nn.Module, layer: str | None = None) -> None:
        self.model = model
        self.layer = layer
        if layer is not None:
            find_module(model, layer)

    def attribute(
        self, x: torch.Tensor, target: int, *, n_classes: int | None = None
    ) -> np.ndarray:
        """Attribution of class ``target`` for one image.

        Args:
            x: One image ``[1, C, H, W]`` (or ``[C, H, W]``).
            target: Class index.
            n_classes: The model's number of classes, when the caller knows it (from a forward
                pass it ran anyway); without it one extra forward pass counts them.

        Returns:
            ``[H, W]`` float32 map at the input's resolution, channels summed; positive values
            speak for ``target``.

        Raises:
            UserInputError: Bad image, or ``target`` outside the model's classes.
        """
        x = check_images(x, single=True)
        device, dtype = model_device_dtype(self.model)
        x = x.to(device=device, dtype=dtype)
        with guarded(self.model, grad=True):
            if n_classes is None:
                with torch.no_grad():
                    n_classes = logits_of(self.model, x).shape[1]
            target = check_target(target, n_classes)
            attr = self._attribute(x.detach().clone().requires_grad_(True), target)
        return attr.detach().sum(dim=1)[0].to("cpu", torch.float32).numpy()

    def _attribute(self, x: torch.Tensor, target: int) -> torch.Tensor:
        """The method's own step: ``[1, C or 1, H, W]`` attributions for ``x``."""
        raise NotImplementedError


@ATTRIBUTIONS.register("saliency", help=ATTRIBUTION_METHODS["saliency"])
class Saliency(Attribution):
    """Gradient magnitude of the class score with respect to each pixel (Simonyan et al.).

    The map is ``|d score / d pixel|`` summed over channels, so it is never negative.
    """

    method = "saliency"

    def _attribute(self, x: torch.Tensor, target: int) -> torch.Tensor:
        from captum.attr import Saliency as CaptumSaliency

        return CaptumSaliency(self.model).attribute(x, target=target, abs=True)


@ATTRIBUTIONS.register("gradcam", help=ATTRIBUTION_METHODS["gradcam"])
class GradCAM(Attribution):
    """Grad-CAM (Selvaraju et al.): a conv layer's maps weighted by their mean gradient.

    The layer's map is summed over channels, passed through ReLU (only evidence for the class)
    and upsampled bilinearly to the input size, so it is never negative.

    Args:
        model: Any ``nn.Module`` returning class scores.
        layer: A layer with a spatial output; default the last ``nn.Conv2d``.

    Raises:
        UserInputError: Unknown layer, or no layer given and the model has no ``nn.Conv2d``.
    """

    method = "gradcam"
    uses_layer = True

    def __init__(self, model: nn.Module, layer: str | None = None) -> None:
        if layer is None:
            layer = last_conv_layer(model)
            if layer is None:
                raise UserInputError(
                    f"Grad-CAM needs a convolutional layer and {type(model).__name__} has no "
                    "nn.Conv2d: name a layer with a spatial output [N, C, H, W]"
                )
        super().__init__(model, layer)
        self._module = find_module(model, layer)

    def _attribute(self, x: torch.Tensor, target: int) -> torch.Tensor:
        from captum.attr import LayerAttribution, LayerGradCam

        try:
            cam = LayerGradCam(self.model, self._module).attribute(
                x, target=target, relu_attributions=True
            )
        except AssertionError as err:  # Captum's way of saying the layer never ran
            if "did not obtain any outputs" not in str(err):
                raise
            raise UserInputError(
                f"layer '{self.layer}' does not run in {type(self.model).__name__}'s forward "
                "pass: choose a layer that forward() uses"
            ) from err
        if not isinstance(cam, torch.Tensor) or cam.ndim != 4:
            shape = list(cam.shape) if isinstance(cam, torch.Tensor) else type(cam).__name__
            raise UserInputError(
                f"Grad-CAM needs a layer with a spatial output [N, C, H, W]; '{self.layer}' "
                f"gives {shape}: choose a convolutional layer"
            )
        return LayerAttribution.interpolate(cam, tuple(x.shape[2:]), interpolate_mode="bilinear")


@ATTRIBUTIONS.register("integrated_gradients", help=ATTRIBUTION_METHODS["integrated_gradients"])
class IntegratedGradients(Attribution):
    """Integrated gradients (Sundararajan et al.) from an all-zero baseline.

    The map sums (up to the integration error) to ``score(x) - score(zeros)``.

    Args:
        model: Any ``nn.Module`` returning class scores.
        layer: Checked and ignored.
        n_steps: Integration steps.
        internal_batch_size: Images per forward pass (bounds memory).
    """

    method = "integrated_gradients"

    def __init__(
        self,
        model: nn.Module,
        layer: str | None = None,
        *,
        n_steps: int = 50,
        internal_batch_size: int = 16,
    ) -> None:
        super().__init__(model, layer)
        if n_steps < 1 or internal_batch_size < 1:
            raise UserInputError("n_steps and internal_batch_size must be at least 1")
        self.n_steps = int(n_steps)
        self.internal_batch_size = int(internal_batch_size)

    def _attribute(self, x: torch.Tensor, target: int) -> torch.Tensor:
        from captum.attr import IntegratedGradients as CaptumIG

        return CaptumIG(self.model).attribute(
            x,
            baselines=torch.zeros_like(x),
            target=target,
            n_steps=self.n_steps,
            internal_batch_size=self.internal_batch_size,
        )


@ATTRIBUTIONS.register("occlusion", help=ATTRIBUTION_METHODS["occlusion"])
class Occlusion(Attribution):
    """Occlusion (Zeiler & Fergus): slide a zero patch over the image, record the score drop.

    The patch covers all channels and moves by half its size. Its default side is an eighth of
    the image up to 128×128 pixels (15×15 positions), a quarter above that (7×7 positions), so a
    224-pixel ImageNet model needs 49 forward passes, not 225 (seconds, not a minute, on 2 cores).

    Args:
        model: Any ``nn.Module`` returning class scores.
        layer: Checked and ignored.
        window: Patch ``(height, width)``; default from the image size as above.
        stride: Step ``(rows, cols)``; default half the window (at least 1).
        perturbations_per_eval: Occluded images per forward pass (bounds memory).
    """

    method = "occlusion"

    def __init__(
        self,
        model: nn.Module,
        layer: str | None = None,
        *,
        window: tuple[int, int] | None = None,
        stride: tuple[int, int] | None = None,
        perturbations_per_eval: int = 16,
    ) -> None:
        super().__init__(model, layer)
        for name, value in (("window", window), ("stride", stride)):
            if value is not None and (len(value) != 2 or min(value) < 1):
                raise UserInputError(f"{name} must be two whole numbers >= 1, got {value!r}")
        if perturbations_per_eval < 1:
            raise UserInputError("perturbations_per_eval must be at least 1")
        self.window = window
        self.stride = stride
        self.perturbations_per_eval = int(perturbations_per_eval)

    def _attribute(self, x: torch.Tensor, target: int) -> torch.Tensor:
        from captum.attr import Occlusion as CaptumOcclusion

        c, h, w = x.shape[1:]
        parts = 8 if h * w <= LARGE_IMAGE else 4
        wh, ww = self.window or (max(1, h // parts), max(1, w // parts))
        wh, ww = min(wh, h), min(ww, w)
        sh, sw = self.stride or (max(1, wh // 2), max(1, ww // 2))
        with torch.no_grad():  # occlusion needs forward passes only
            return CaptumOcclusion(self.model).attribute(
                x.detach(),
                sliding_window_shapes=(c, wh, ww),
                strides=(c, sh, sw),
                baselines=0.0,
                target=target,
                perturbations_per_eval=self.perturbations_per_eval,
            )
