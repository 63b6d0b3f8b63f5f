"""The embedder registry and the scikit-learn-style base class every embedder follows."""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from convlens.core import Registry, UserInputError, progress

from ._validate import check_epoch, check_epochs

EMBEDDERS: Registry[type[EpochEmbedder]] = Registry("embedder")


def _jsonable(value: Any) -> Any:
    """Plain Python numbers, strings, lists and dicts only (``json.dumps`` must accept it)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


class EpochEmbedder:
    """Embeds the same points recorded at successive epochs into 2-D, one layout per epoch.

    Subclasses store their parameters in ``__init__`` (nothing else), check them in
    ``_validate_params``, prepare in ``_start`` and lay out one epoch in ``_embed_epoch``; this
    class runs the epochs with a progress bar and keeps ``embedding_`` and ``params_``.

    Attributes:
        embedding_: ``[E, N, 2]`` float32 layouts, one per epoch, after ``fit``.
        params_: JSON-serialisable record of the method and every parameter that made it.
    """

    method: ClassVar[str] = ""

    # -- scikit-learn's parameter protocol (without importing scikit-learn at import time) ------
    @classmethod
    def _param_names(cls) -> list[str]:
        return [p for p in inspect.signature(cls.__init__).parameters if p != "self"]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor parameters and their values (scikit-learn protocol)."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> EpochEmbedder:
        """Change constructor parameters (scikit-learn protocol); they are checked at ``fit``."""
        names = self._param_names()
        for name, value in params.items():
            if name not in names:
                raise UserInputError(
                    f"{type(self).__name__} has no parameter '{name}'; it takes: {', '.join(names)}"
                )
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    # -- hooks for subclasses ------------------------------------------------------------------
    def _validate_params(self) -> None:
        """Raise ``UserInputError`` for a bad parameter."""

    def _min_points(self) -> int:
        return int(getattr(self, "n_neighbors", 1)) + 2

    def _start(self, first: np.ndarray, epochs: Sequence[np.ndarray]) -> None:
        """Prepare before the first epoch (``epochs`` is every epoch ``fit`` got)."""

    def _embed_epoch(self, x: np.ndarray, index: int, previous: np.ndarray | None) -> np.ndarray:
        raise NotImplementedError

    def _extra_params(self) -> dict[str, Any]:
        """Values resolved while fitting (the seed drawn, defaults filled in)."""
        return {}

    # -- the public verbs ----------------------------------------------------------------------
    def fit(self, X: Sequence[np.ndarray] | np.ndarray, y: None = None) -> EpochEmbedder:
        """Lay out every epoch of ``X``.

        Args:
            X: ``E`` arrays ``[N, D]`` (the same probes and layer each epoch), or one
                ``[E, N, D]`` array.
            y: Ignored (scikit-learn signature).

        Returns:
            ``self``, with ``embedding_`` ``[E, N, 2]`` and ``params_``.
        """
        self._validate_params()
        epochs = check_epochs(X, min_points=self._min_points())
        self._remember_shape(epochs[0])
        self._start(epochs[0], epochs)
        layouts: list[np.ndarray] = []
        previous = None
        bar = progress(epochs, desc=f"embedding ({self.method})", total=len(epochs), unit="epoch")
        for e, x in enumerate(bar):
            previous = self._embed_epoch(x, e, previous)
            layouts.append(previous)
        self.embedding_ = np.stack(layouts).astype(np.float32, copy=False)
        self.params_ = self._make_params()
        return self

    def partial_fit(self, x: np.ndarray, y: None = None) -> EpochEmbedder:
        """Append one more epoch ``[N, D]``, aligned to the last one (for live training).

        Before any ``fit`` this lays out the first epoch. Afterwards ``embedding_`` has one more
        row; the earlier rows do not change.
        """
        if not hasattr(self, "embedding_"):
            self._validate_params()
            first = check_epoch(x, name="epoch 0", min_points=self._min_points())
            self._remember_shape(first)
            self._start(first, [first])
            self.embedding_ = self._embed_epoch(first, 0, None)[None].astype(np.float32)
            self.params_ = self._make_params()
            return self
        e = self.embedding_.shape[0]
        arr = check_epoch(x, name=f"epoch {e}", min_points=self._min_points())
        self._check_same_shape(arr, e)
        layout = self._embed_epoch(arr, e, self.embedding_[-1])
        self.embedding_ = np.concatenate([self.embedding_, layout[None].astype(np.float32)])
        self.params_ = self._make_params()
        return self

    def fit_transform(self, X: Sequence[np.ndarray] | np.ndarray, y: None = None) -> np.ndarray:
        """``fit(X)`` and return ``embedding_``."""
        return self.fit(X).embedding_

    # -- helpers -------------------------------------------------------------------------------
    def _check_same_shape(self, x: np.ndarray, e: int) -> None:
        n, d = self.n_points_, self.n_features_in_
        if x.shape[0] != n:
            raise UserInputError(
                f"epoch {e} has {x.shape[0]} points but earlier epochs have {n}; every epoch "
                "must hold the same probe set in the same order"
            )
        if x.shape[1] != d:
            raise UserInputError(
                f"epoch {e} has {x.shape[1]} features but earlier epochs have {d}; every epoch "
                "must come from the same layer"
            )

    def _remember_shape(self, first: np.ndarray) -> None:
        self.n_points_, self.n_features_in_ = (int(s) for s in first.shape)

    def _make_params(self) -> dict[str, Any]:
        params: dict[str, Any] = {"method": self.method}
        params.update(self.get_params(deep=False))
        params.update(self._extra_params())
        return _jsonable(params)
