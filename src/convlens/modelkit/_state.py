"""Saving and restoring what touching a model may change: train/eval flags, grads, grad mode."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

import torch
from torch import nn

# One re-entrant lock per live model: two threads touching the same model take turns, so one
# thread's restore cannot undo the other's eval()/requires_grad changes half-way through.
_LOCKS: weakref.WeakKeyDictionary[nn.Module, threading.RLock] = weakref.WeakKeyDictionary()
_LOCKS_LOCK = threading.Lock()


def _model_lock(model: nn.Module) -> threading.RLock:
    with _LOCKS_LOCK:
        lock = _LOCKS.get(model)
        if lock is None:
            lock = _LOCKS[model] = threading.RLock()
        return lock


@contextmanager
def preserve_model_state(
    model: nn.Module,
    *,
    train: bool | None = None,
    grad: bool | None = None,
    requires_grad: bool | None = None,
) -> Iterator[nn.Module]:
    """Run the body with ``model`` set up as asked, then put everything back as it was.

    On exit (also when the body raises) every module's ``training`` flag, every parameter's
    ``requires_grad`` and ``.grad`` and the thread's grad mode are what they were before.
    Calls on the same model from several threads are serialised; a training loop running on
    that model at the same time without this guard is not protected.

    Example:
        >>> with preserve_model_state(model, train=False, grad=False):
        ...     logits = model(x)  # eval mode, no autograd graph; the caller's modes come back

    Args:
        model: The caller's model.
        train: ``False`` puts the model in eval mode for the body, ``True`` in training mode;
            ``None`` leaves the flags as they are.
        grad: Grad mode inside the body; ``None`` leaves it.
        requires_grad: ``False`` freezes every parameter for the body (gradients then flow to
            the inputs only), ``True`` unfreezes them; ``None`` leaves them.

    Yields:
        ``model``.
    """
    with _model_lock(model):
        modes = [(m, m.training) for m in model.modules()]
        params = list(model.parameters())
        requires = [p.requires_grad for p in params]
        grads = [p.grad for p in params]
        grad_mode = torch.is_grad_enabled()
        try:
            if train is not None:
                model.train(train)
            if requires_grad is not None:
                for p in params:
                    p.requires_grad_(requires_grad)
            if grad is not None:
                torch.set_grad_enabled(grad)
            yield model
        finally:
            torch.set_grad_enabled(grad_mode)
            for p, req, g in zip(params, requires, grads, strict=True):
                p.requires_grad_(req)
                p.grad = g
            for m, mode in modes:
                m.training = mode


def guarded(model: nn.Module, *, grad: bool) -> AbstractContextManager[nn.Module]:
    """The analyses' setting of :func:`preserve_model_state`: eval mode, parameters frozen.

    Args:
        model: The caller's model.
        grad: Grad mode inside the body (``True`` for gradient methods).
    """
    return preserve_model_state(model, train=False, grad=grad, requires_grad=False)
