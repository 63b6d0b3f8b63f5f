"""Arrays as binary: a view's answer as one safetensors file, asked for with an Accept header.

A client that sends ``Accept: application/octet-stream`` gets the same answer as the JSON one,
as safetensors (the format of the run store and of the graph file): every array is a tensor, and
every other field is JSON in the header's metadata under ``"convlens"``. Arrays whose picture needs
no more are quantised (``Quant``): the tensor holds unsigned integers ``q`` and two float32
tensors ``NAME.min`` and ``NAME.scale`` of length ``L``; the array splits into ``L`` equal
contiguous blocks and block ``i`` reads ``min[i] + q * scale[i]`` (error at most ``scale / 2``).
Integer arrays travel losslessly in the smallest of uint8 and int32 that holds them. The metadata's
``"arrays"`` says, per array, its dtype (``float32``/``int32``/``uint8``, as in JSON), shape and
``encoding`` (``raw``, ``u8`` or ``u16``). docs/api.md describes it; ``web/src/api/binary.ts``
reads it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
from fastapi import Depends, Request, Response
from safetensors.numpy import save

MEDIA_TYPE = "application/octet-stream"
FORMAT = "convlens-arrays"
VERSION = 1


@dataclass(frozen=True)
class Quant:
    """Quantise a float array to ``bits`` (8 or 16) with a min and scale per block.

    Attributes:
        bits: 8 (``u8``) or 16 (``u16``).
        per_row: One block per index of the first axis (per feature map); else one block.
    """

    bits: int = 8
    per_row: bool = False


def wants_binary(request: Request) -> bool:
    """Whether the request's ``Accept`` header asks for :data:`MEDIA_TYPE` before JSON."""
    accept = request.headers.get("accept", "")
    kinds = [part.split(";", 1)[0].strip().lower() for part in accept.split(",")]
    return MEDIA_TYPE in kinds and (
        "application/json" not in kinds or kinds.index(MEDIA_TYPE) < kinds.index("application/json")
    )


WantsBinary = Annotated[bool, Depends(wants_binary)]

BINARY_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            MEDIA_TYPE: {
                "schema": {"type": "string", "format": "binary"},
                "example": "safetensors",
            }
        },
        "description": (
            "JSON by default; with `Accept: application/octet-stream` the same answer as one "
            "safetensors file (arrays as tensors, 8/16-bit where stated; see docs/api.md)."
        ),
    }
}


def _json_dtype(a: np.ndarray) -> str:
    if a.dtype.kind == "f":
        return "float32"
    return "uint8" if a.dtype == np.uint8 else "int32"


def _quantise(a: np.ndarray, q: Quant) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if q.bits not in (8, 16):
        raise ValueError(f"Quant.bits is {q.bits}; use 8 or 16")
    blocks = a.shape[0] if q.per_row and a.ndim > 0 and a.shape[0] > 0 else 1
    flat = np.nan_to_num(np.asarray(a, np.float32), nan=0.0, posinf=0.0, neginf=0.0).reshape(
        blocks, -1
    )
    top = float(2**q.bits - 1)
    if flat.shape[1]:
        lo, hi = flat.min(axis=1), flat.max(axis=1)
    else:
        lo = hi = np.zeros(blocks, np.float32)
    scale = ((hi - lo) / top).astype(np.float32)
    safe = np.where(scale > 0, scale, 1.0).astype(np.float32)
    levels = np.rint((flat - lo[:, None]) / safe[:, None])
    qd = np.clip(levels, 0, top).astype(np.uint8 if q.bits == 8 else np.uint16)
    return qd.reshape(a.shape), lo.astype(np.float32), scale


def _lossless(a: np.ndarray) -> np.ndarray:
    if a.dtype.kind == "f":
        return np.ascontiguousarray(a, dtype="<f4")
    if a.dtype == np.uint8:
        return np.ascontiguousarray(a)
    if a.size == 0 or (a.min() >= 0 and a.max() <= 255):
        return np.ascontiguousarray(a, dtype=np.uint8)
    return np.ascontiguousarray(a, dtype="<i4")


def encode_binary(answer: dict[str, Any], quant: dict[str, Quant] | None = None) -> bytes:
    """The safetensors bytes of a view's answer (see the module docstring)."""
    quant = quant or {}
    tensors: dict[str, np.ndarray] = {}
    arrays: dict[str, dict[str, Any]] = {}
    fields: dict[str, Any] = {}
    for name, value in answer.items():
        if not isinstance(value, np.ndarray):
            fields[name] = value
            continue
        info: dict[str, Any] = {"dtype": _json_dtype(value), "shape": list(value.shape)}
        q = quant.get(name)
        if q is not None and value.dtype.kind == "f":
            tensors[name], tensors[f"{name}.min"], tensors[f"{name}.scale"] = _quantise(value, q)
            info["encoding"] = f"u{q.bits}"
        else:
            tensors[name] = _lossless(value)
            info["encoding"] = "raw"
        arrays[name] = info
    meta = {"format": FORMAT, "version": VERSION, "arrays": arrays, "fields": fields}
    return save(tensors, metadata={"convlens": json.dumps(meta, separators=(",", ":"))})


def binary_response(answer: dict[str, Any], quant: dict[str, Quant] | None = None) -> Response:
    """:func:`encode_binary` as an HTTP answer (``Vary: Accept``: JSON and binary share a URL)."""
    return Response(encode_binary(answer, quant), media_type=MEDIA_TYPE, headers={"Vary": "Accept"})
