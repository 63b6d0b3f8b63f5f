"""Trains a tiny LightningModule with ConvLensCallback; run by tests/test_lightning.py.

    python tests/lightning_ddp_script.py OUT --devices 2 --batch 6   # strategy="ddp", 2 processes
    python tests/lightning_ddp_script.py OUT --devices 1 --batch 12  # the same training, 1 process

Lightning starts the second process itself (it runs this script again). With a sampler that
does not shuffle (Lightning's own always shuffles under DDP), two processes with batches of 6
train exactly as one with batches of 12.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
import torch.nn.functional as F
from lightning.pytorch import LightningModule, Trainer
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

from convlens.lightning import ConvLensCallback
from convlens.testing import TinyConvNet, probe_images


class Module(LightningModule):
    def __init__(self, data: TensorDataset | None = None, batch: int = 3) -> None:
        super().__init__()
        self.net = TinyConvNet(scale=0.5)
        self.data, self.batch = data, batch

    def train_dataloader(self) -> DataLoader:
        world = self.trainer.world_size
        sampler = DistributedSampler(self.data, shuffle=False) if world > 1 else None
        return DataLoader(self.data, batch_size=self.batch, sampler=sampler, shuffle=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], _i: int) -> torch.Tensor:
        x, y = batch
        loss = F.cross_entropy(self(x), y)
        self.log("train_loss", loss, on_step=False, on_epoch=True, sync_dist=True)
        return loss

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=0.2, momentum=0.9)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--devices", type=int, default=2)
    ap.add_argument("--batch", type=int, default=6)
    ap.add_argument("--epochs", type=int, default=2)
    args = ap.parse_args()
    g = torch.Generator().manual_seed(0)
    x, y = probe_images(7)
    probe_y = torch.as_tensor(y)
    x_train = torch.cat([x, x[:3]]) + 0.1 * torch.randn(24, 1, 8, 8, generator=g)
    y_train = torch.cat([probe_y, probe_y[:3]])
    callback = ConvLensCallback(
        x, probe_y, layers="net.conv,net.fc", out=Path(args.out) / "runs", run_id="pl"
    )
    trainer = Trainer(
        accelerator="cpu",
        devices=args.devices,
        strategy="ddp" if args.devices > 1 else "auto",
        max_epochs=args.epochs,
        callbacks=[callback],
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=args.out,
        use_distributed_sampler=False,
    )
    trainer.fit(Module(TensorDataset(x_train, y_train), args.batch))
    return 0


if __name__ == "__main__":
    sys.exit(main())
