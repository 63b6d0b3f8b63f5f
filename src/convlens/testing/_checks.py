"""Checks that an analysis left a caller's model as it found it (STYLE rules 2-3)."""

from __future__ import annotations

import torch
from torch import nn


def has_no_hooks(model: nn.Module) -> bool:
    """Whether no module of ``model`` carries a forward, pre-forward or backward hook."""
    return all(
        not m._forward_hooks
        and not m._forward_pre_hooks
        and not m._backward_hooks
        and not m._backward_pre_hooks
        for m in model.modules()
    )


class ModelSnapshot:
    """Training flags, ``requires_grad``, ``.grad`` and weights of a model, made non-trivial.

    Before it records, the model is put in a state an analysis could easily disturb: training
    mode with its last submodule in eval mode, its first parameter frozen, and a gradient of 0.5
    on its last parameter.

    Example:
        >>> snap = ModelSnapshot(model)
        >>> GradCAM(model, "conv").attribute(x, 0)
        >>> snap.assert_unchanged()
    """

    def __init__(self, model: nn.Module) -> None:
        params = list(model.parameters())
        model.train()
        list(model.children())[-1].eval()
        params[0].requires_grad_(False)
        params[-1].grad = torch.full_like(params[-1], 0.5)
        self.model = model
        self.modes = [m.training for m in model.modules()]
        self.requires = [p.requires_grad for p in model.parameters()]
        self.grads = [p.grad for p in model.parameters()]
        self.state = {k: v.clone() for k, v in model.state_dict().items()}

    def assert_unchanged(self) -> None:
        """Fail if hooks, modes, ``requires_grad``, gradients or weights changed."""
        m = self.model
        assert has_no_hooks(m), "a hook was left on the model"
        assert [x.training for x in m.modules()] == self.modes, "training flags changed"
        assert [p.requires_grad for p in m.parameters()] == self.requires, "requires_grad changed"
        assert all(p.grad is g for p, g in zip(m.parameters(), self.grads, strict=True)), (
            "a .grad was replaced"
        )
        last = list(m.parameters())[-1]
        assert last.grad is not None and torch.equal(last.grad, torch.full_like(last, 0.5))
        for k, v in m.state_dict().items():
            assert torch.equal(v, self.state[k]), f"{k} changed"
