"""Datasets: procedural sketches, bundled digits, MNIST sample and your own image folders.

Example:
    >>> from convlens.data import load_dataset, images_to_tensor
    >>> ds = load_dataset("sketches", seed=0)
    >>> x = images_to_tensor(ds.train.images)  # float32 [1000, 1, 64, 64] in [0, 1]
"""

from . import _builtin  # noqa: F401  (registers sketches, digits, mnist)
from ._ops import augment_batch, images_to_tensor, stratified_probe
from ._preprocess import fit_picture, normalize, prepare_image
from ._registry import DATASETS, load_dataset
from ._types import Dataset, ImageSet

__all__ = [
    "DATASETS",
    "Dataset",
    "ImageSet",
    "augment_batch",
    "fit_picture",
    "normalize",
    "prepare_image",
    "images_to_tensor",
    "load_dataset",
    "stratified_probe",
]
