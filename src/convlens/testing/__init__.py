"""Shipped test helpers: hand-weighted tiny models and a fixture-run builder."""

from ._checks import ModelSnapshot, has_no_hooks
from ._fixture import CLASSES, make_fixture_run, picture_folder, probe_images
from ._models import FailingNet, ReusedReLUNet, TinyConvNet, TupleOutputNet

__all__ = [
    "CLASSES",
    "FailingNet",
    "ModelSnapshot",
    "ReusedReLUNet",
    "TinyConvNet",
    "TupleOutputNet",
    "has_no_hooks",
    "make_fixture_run",
    "picture_folder",
    "probe_images",
]
