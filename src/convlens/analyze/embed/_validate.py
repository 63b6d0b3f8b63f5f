"""Checks on what users hand to the embedders; every failure says what is wrong and where."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from convlens.core import UserInputError


def check_random_state(random_state: object) -> int:
    """Turn ``random_state`` (``None`` or an int) into a concrete seed.

    ``None`` draws a fresh seed, which the embedder records in ``params_`` so the result can be
    reproduced. NumPy's global generator is never used or touched.
    """
    if random_state is None:
        return int(np.random.SeedSequence().generate_state(1)[0])
    if isinstance(random_state, (bool, np.bool_)) or not isinstance(
        random_state, (int, np.integer)
    ):
        raise UserInputError(
            f"random_state must be None or a non-negative int, got {random_state!r}"
        )
    if random_state < 0:
        raise UserInputError(f"random_state must be non-negative, got {random_state}")
    return int(random_state)


def check_epoch(x: object, *, name: str, min_points: int) -> np.ndarray:
    """Validate one epoch ``[N, D]`` and return it as C-contiguous float32."""
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError) as err:
        raise UserInputError(f"{name} is not an array of numbers: {err}") from None
    if arr.ndim != 2:
        raise UserInputError(
            f"{name} has shape {arr.shape}; expected a 2-D array [N points, D features]"
        )
    if not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)):
        raise UserInputError(f"{name} has dtype {arr.dtype}; expected float16/32/64 numbers")
    n, d = arr.shape
    if n < min_points:
        raise UserInputError(
            f"{name} has {n} points; this embedding needs at least {min_points} "
            f"(n_neighbors + 2); lower n_neighbors or record more probes"
        )
    if d < 1:
        raise UserInputError(f"{name} has no features (shape {arr.shape})")
    out = np.ascontiguousarray(arr, dtype=np.float32)
    if not np.isfinite(out).all():
        bad = int((~np.isfinite(out)).any(axis=1).sum())
        raise UserInputError(
            f"{name} contains NaN or infinite values in {bad} of {n} points "
            f"(float16 activations can overflow; check the recorded layer)"
        )
    return out


def check_epochs(X: object, *, min_points: int) -> list[np.ndarray]:
    """Validate a sequence of epochs: each ``[N, D]``, the same ``N`` and ``D`` in all."""
    if isinstance(X, np.ndarray):
        if X.ndim == 2:
            raise UserInputError(
                f"fit expects a sequence of epochs, each [N, D]; got one 2-D array {X.shape}. "
                "Wrap a single epoch in a list, or use partial_fit to add one epoch"
            )
        if X.ndim != 3:
            raise UserInputError(
                f"fit expects epochs as a sequence of [N, D] arrays or one [E, N, D] array; "
                f"got shape {X.shape}"
            )
        seq: Sequence[object] = list(X)
    elif isinstance(X, Sequence) and not isinstance(X, (str, bytes)):
        seq = X
    else:
        raise UserInputError(
            f"fit expects a sequence of epochs, each an [N, D] array; got {type(X).__name__}"
        )
    if len(seq) == 0:
        raise UserInputError("fit got no epochs; pass at least one [N, D] array")
    epochs = [check_epoch(x, name=f"epoch {e}", min_points=min_points) for e, x in enumerate(seq)]
    n, d = epochs[0].shape
    for e, x in enumerate(epochs):
        if x.shape[0] != n:
            raise UserInputError(
                f"epoch {e} has {x.shape[0]} points but epoch 0 has {n}; every epoch must hold "
                "the same probe set in the same order"
            )
        if x.shape[1] != d:
            raise UserInputError(
                f"epoch {e} has {x.shape[1]} features but epoch 0 has {d}; every epoch must come "
                "from the same layer"
            )
    return epochs


def check_positive_int(value: object, name: str, minimum: int = 1) -> int:
    """An int parameter of at least ``minimum``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise UserInputError(f"{name} must be an int, got {value!r}")
    if value < minimum:
        raise UserInputError(f"{name} must be at least {minimum}, got {value}")
    return int(value)


def check_float(value: object, name: str, low: float = 0.0, *, inclusive: bool = True) -> float:
    """A real parameter above (or at) ``low``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise UserInputError(f"{name} must be a number, got {value!r}")
    v = float(value)
    if not np.isfinite(v) or v < low or (not inclusive and v == low):
        sign = ">=" if inclusive else ">"
        raise UserInputError(f"{name} must be {sign} {low}, got {value!r}")
    return v
