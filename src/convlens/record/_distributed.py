"""The Recorder under ``torch.distributed`` (DDP, ``torchrun``, Lightning's ``ddp``).

Each rank runs its own contiguous share of the probe set through the model; the recorded rows
are gathered (once per epoch, one collective) so that every rank holds the whole capture, and
only rank 0 opens, writes and resumes the run. Nothing here runs in a single process: there
:func:`detect` returns ``None`` and the Recorder works as before.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

import torch
from torch import nn

from convlens.core import UserInputError

T = TypeVar("T")


def unwrap(model: nn.Module) -> nn.Module:
    """The module inside a ``DistributedDataParallel`` or ``DataParallel`` wrapper (hooks and
    names are on it; its weights are saved without the wrapper's ``module.`` prefix, so the
    run's spec rebuilds them).

    Running a DDP wrapper itself would start its buffer broadcasts, which every rank must join:
    the inner module runs each rank's share on its own.
    """
    from torch.nn.parallel import DistributedDataParallel

    wrapped = isinstance(model, (DistributedDataParallel, nn.DataParallel))
    return model.module if wrapped else model


def _probe_digest(inputs: torch.Tensor, labels: torch.Tensor | None) -> tuple[int, str]:
    h = hashlib.sha256(f"{tuple(inputs.shape)} {inputs.dtype}".encode())
    h.update(inputs.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
    if labels is not None:
        h.update(labels.detach().cpu().contiguous().numpy().tobytes())
    return len(inputs), h.hexdigest()


class ProbeShare:
    """This rank's part of the probe set, and the collectives the Recorder needs.

    Args:
        rank: This process's rank.
        world_size: How many processes record.
        n: Probe examples in the whole set.
    """

    def __init__(self, rank: int, world_size: int, n: int) -> None:
        if n < world_size:
            raise UserInputError(
                f"the probe set has {n} examples for {world_size} processes: give at least one "
                "probe example per process"
            )
        self.rank = rank
        self.world_size = world_size
        self.bounds = [n * r // world_size for r in range(world_size + 1)]
        self.start, self.stop = self.bounds[rank], self.bounds[rank + 1]

    @property
    def writes(self) -> bool:
        """Whether this rank writes the run (rank 0)."""
        return self.rank == 0

    def broadcast(self, value: Any) -> Any:
        """Rank 0's ``value`` on every rank."""
        box = [value]
        torch.distributed.broadcast_object_list(box, src=0)
        return box[0]

    def gather(
        self, activations: dict[str, torch.Tensor], logits: torch.Tensor
    ) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        """Every rank's rows, in probe order, on every rank (CPU tensors); one collective."""
        dist = torch.distributed
        names = list(activations)
        parts = [activations[n].reshape(len(logits), -1) for n in names] + [logits]
        widths = [p.shape[1] for p in parts]
        local = torch.cat(parts, dim=1).float()
        device = (
            torch.device("cuda", torch.cuda.current_device())
            if dist.get_backend() == "nccl"
            else torch.device("cpu")
        )
        rows = max(b - a for a, b in zip(self.bounds, self.bounds[1:], strict=False))
        padded = torch.zeros(rows, local.shape[1], dtype=local.dtype, device=device)
        padded[: len(local)] = local.to(device)
        received = [torch.empty_like(padded) for _ in range(self.world_size)]
        dist.all_gather(received, padded)
        full = torch.cat(
            [t[: self.bounds[r + 1] - self.bounds[r]] for r, t in enumerate(received)]
        ).cpu()
        cols = torch.split(full, widths, dim=1)
        return dict(zip(names, cols[:-1], strict=True)), cols[-1]


def detect(inputs: torch.Tensor, labels: torch.Tensor | None) -> ProbeShare | None:
    """This rank's share when ``torch.distributed`` runs with more than one process, else None.

    Every rank must pass the same probe set: it is checked here (a digest of inputs and labels,
    compared across ranks) and refused with a message when it differs.
    """
    dist = torch.distributed
    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() < 2:
        return None
    rank, world = dist.get_rank(), dist.get_world_size()
    mine = _probe_digest(inputs, labels)
    every: list[Any] = [None] * world
    dist.all_gather_object(every, mine)
    if any(d != every[0] for d in every):
        sizes = ", ".join(f"rank {r}: {d[0]} examples" for r, d in enumerate(every))
        raise UserInputError(
            f"the probe set differs between the {world} processes ({sizes}; a digest of the "
            "inputs and labels differs): give every rank the same probe_inputs and "
            "probe_labels, chosen with the same seed before the training data is split"
        )
    return ProbeShare(rank, world, len(inputs))


def on_writer(share: ProbeShare | None, fn: Callable[[], T]) -> T:
    """Run ``fn`` on the writing rank only; every rank gets its result or raises its error.

    In one process this is ``fn()``. Under torch.distributed, ``fn``'s result must be small
    and picklable (it is broadcast); an error on rank 0 is raised on every rank, so no rank
    waits for a writer that has stopped.
    """
    if share is None:
        return fn()
    result: Any = None
    error: BaseException | None = None
    if share.writes:
        try:
            result = fn()
        except Exception as exc:
            error = exc
    message = None if error is None else f"{type(error).__name__}: {error}"
    result, message = share.broadcast((result, message))
    if error is not None:
        raise error
    if message is not None:
        raise UserInputError(f"rank 0 could not write the run ({message})")
    return result  # type: ignore[no-any-return]
