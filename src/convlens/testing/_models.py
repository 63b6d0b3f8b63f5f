"""Tiny hand-weighted models: exact maths, no random initialisation."""

from __future__ import annotations

import torch
from torch import nn


class TinyConvNet(nn.Module):
    """1×8×8 input -> conv(2, 3×3) -> ReLU -> maxpool 2 -> flatten -> fc(3 classes).

    Weights are set by hand (``scale`` multiplies them), so outputs are exact and known.
    Named modules: ``conv``, ``relu``, ``pool``, ``flatten``, ``fc``.
    """

    def __init__(self, scale: float = 1.0, num_classes: int = 3) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(2 * 3 * 3, num_classes)
        self.set_weights(scale)

    @torch.no_grad()
    def set_weights(self, scale: float) -> None:
        """Deterministic weights: a vertical and a horizontal edge detector, a fixed readout."""
        vertical = torch.tensor([[-1.0, 0.0, 1.0]] * 3)
        self.conv.weight.copy_(torch.stack([vertical, vertical.T]).unsqueeze(1) * scale)
        self.conv.bias.zero_()
        n_out, n_in = self.fc.weight.shape
        grid = torch.arange(n_out * n_in, dtype=torch.float32).reshape(n_out, n_in)
        self.fc.weight.copy_(torch.cos(grid) * scale / 3)
        self.fc.bias.copy_(torch.linspace(-0.1, 0.1, n_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.flatten(self.pool(self.relu(self.conv(x)))))


class ReusedReLUNet(nn.Module):
    """Calls one ReLU module twice per forward pass: recording ``act`` must be refused."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(4, 4)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(4, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(self.act(x.flatten(1)))))


class TupleOutputNet(nn.Module):
    """Has a submodule that returns a tuple (``pair``): recording it must be refused."""

    class _Pair(nn.Module):
        def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            return x, -x

    def __init__(self) -> None:
        super().__init__()
        self.pair = self._Pair()
        self.fc = nn.Linear(16, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, b = self.pair(x.flatten(1))
        return self.fc(torch.cat([a, b], 1))


class FailingNet(TinyConvNet):
    """Raises inside forward after the hooked layers ran: hooks must still be removed."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.fc(self.flatten(self.pool(self.relu(self.conv(x)))))
        raise RuntimeError("forward failed on purpose")
