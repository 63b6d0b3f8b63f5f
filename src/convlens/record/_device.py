"""Recording on any device without a host sync per batch.

Recorded rows stay on the model's device while the probe set runs through it and come to the
host once per epoch (one copy per layer); CPU probe batches reach a CUDA model from pinned
memory with non-blocking copies, so the GPU never waits for the host between batches.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch


class ProbeFeeder:
    """Batches of a probe set on a device.

    Args:
        inputs: The probe set [N, ...], on any device.
    """

    def __init__(self, inputs: torch.Tensor) -> None:
        self.inputs = inputs
        self._pinned: torch.Tensor | None = None

    def batches(
        self, start: int, stop: int, batch_size: int, device: torch.device
    ) -> Iterator[torch.Tensor]:
        """Rows ``start:stop`` in batches of ``batch_size``, on ``device``."""
        src, non_blocking = self.inputs, False
        if device.type == "cuda" and src.device.type == "cpu":
            if self._pinned is None:  # once: later epochs reuse the page-locked copy
                self._pinned = src.pin_memory()
            src, non_blocking = self._pinned, True
        for s in range(start, stop, batch_size):
            yield src[s : min(s + batch_size, stop)].to(device, non_blocking=non_blocking)


def keep(out: torch.Tensor, reduced: torch.Tensor) -> torch.Tensor:
    """``reduced`` as float32 on its device, never sharing memory with the layer's output.

    A later in-place operation of the forward pass (``ReLU(inplace=True)``) would otherwise
    change the recorded rows before they are copied to the host.
    """
    r = reduced.detach().float()
    if r.untyped_storage().data_ptr() == out.untyped_storage().data_ptr():
        r = r.clone()
    return r
