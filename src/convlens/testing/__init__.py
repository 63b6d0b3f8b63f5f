"""Shipped test helpers: hand-weighted tiny models and a fixture-run builder."""

from ._fixture import CLASSES, make_fixture_run, probe_images
from ._models import FailingNet, ReusedReLUNet, TinyConvNet, TupleOutputNet

__all__ = [
    "CLASSES",
    "FailingNet",
    "ReusedReLUNet",
    "TinyConvNet",
    "TupleOutputNet",
    "make_fixture_run",
    "probe_images",
]
