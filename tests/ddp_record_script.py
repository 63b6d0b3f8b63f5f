"""A plain DDP training loop with an unchanged Recorder, run by tests/test_distributed.py.

    torchrun --standalone --nproc_per_node=2 tests/ddp_record_script.py OUT [--epochs N]
    python tests/ddp_record_script.py OUT            # the same loop in one process

Each rank trains on its half of 24 images (DDP averages the gradients, so two ranks train
exactly as one process on all 24) and records 21 probes; ``--forever`` trains until killed,
``--mismatch`` gives rank 1 a different probe set. Writes ``rows-<rank>.txt`` (probe rows this
rank ran through the model while recording) and ``pid-<rank>.txt`` beside the run.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel

from convlens.core import UserInputError
from convlens.record import Recorder
from convlens.testing import TinyConvNet, probe_images


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--forever", action="store_true")
    ap.add_argument("--mismatch", action="store_true")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1:
        dist.init_process_group("gloo")
    rank = dist.get_rank() if world > 1 else 0
    (out / f"pid-{rank}.txt").write_text(str(os.getpid()))
    torch.manual_seed(0)  # this process's own generator: the training noise
    x, y = probe_images(7)  # 21 probes: shares of 10 and 11
    probe_y = torch.as_tensor(y)
    if args.mismatch and rank == 1:
        x = x.flip(0)
    x_train = torch.cat([x, x[:3]]) + 0.1 * torch.randn(24, 1, 8, 8)
    y_train = torch.cat([probe_y, probe_y[:3]])
    mine = slice(rank * 24 // world, (rank + 1) * 24 // world)
    model = TinyConvNet(scale=0.5)
    ddp = DistributedDataParallel(model) if world > 1 else model
    opt = torch.optim.SGD(ddp.parameters(), lr=0.2, momentum=0.9)
    rows = [0]
    recording = [False]

    def count(_m: torch.nn.Module, inputs: tuple[torch.Tensor, ...]) -> None:
        if recording[0]:
            rows[0] += len(inputs[0])

    model.register_forward_pre_hook(count)
    try:
        rec = Recorder(ddp, x, probe_y, layers="conv,fc", out=out, run_id="ddp", batch_size=4)
    except UserInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    with rec:
        epoch = 0
        while args.forever or epoch < args.epochs:
            epoch += 1
            loss = F.cross_entropy(ddp(x_train[mine]), y_train[mine])
            opt.zero_grad()
            loss.backward()
            opt.step()
            recording[0] = True
            rec.record_epoch({"train_loss": float(loss.detach())}, optimizer=opt)
            recording[0] = False
    (out / f"rows-{rank}.txt").write_text(str(rows[0]))
    if world > 1:
        dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
