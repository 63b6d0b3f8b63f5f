"""Arrays as binary: a view's answer as one safetensors file, asked for with an Accept header.

A client that sends ``Accept: application/octet-stream`` gets the same answer as the JSON one,
as safetensors (the format of the run store and of the graph file): every array is a tensor, and
every other field is JSON in the header's metadata under ``"convlens"``. Arrays whose picture needs
no more are quantised (``Quant``): the tensor holds unsigned integers ``q`` and two float32
tensors ``NAME.min`` and ``NAME.scale`` of length ``L``; the array splits into ``L`` equal
contiguous blocks and block ``i`` reads ``min[i] + q * scale[i]`` (error at most ``scale / 2``).
Integer arrays travel losslessly in the smallest of uint8 and int32 that holds them. The metadata's
``"arrays"`` says, per array, its dtype (``float32``/``int32``/``uint8``, as in JSON), shape and
``encoding`` (``raw``, ``u8``, ``u16``, ``u16-delta`` or ``u8-delta``). docs/api.md describes it;
``web/src/api/binary.ts`` reads it and :func:`decode_binary` reads it in Python.

Series that change little from one step to the next (a timeline's epochs) can travel as
differences (``Quant(delta=True)``; integers named in ``delta``): along the first axis, step 0 is
stored as is and step ``i`` as ``value[i] - value[i - 1]`` modulo ``2**bits`` (exact: the sum
modulo ``2**bits`` gives the values back). ``u16-delta`` arrays (one block: one min and scale) are
stored as a uint8 tensor ``[2, size]``: the low bytes of every difference, then the high bytes.
Small differences then make long runs of equal bytes, which HTTP compression
(``Content-Encoding: gzip``, sent when the client accepts it) shrinks; the bytes on the wire are
what gzip leaves.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Collection
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
        delta: Differences along the first axis (16 bits, one block; see the module docstring).
    """

    bits: int = 8
    per_row: bool = False
    delta: bool = False


def wants_binary(request: Request) -> bool:
    """Whether the request's ``Accept`` header asks for :data:`MEDIA_TYPE` before JSON."""
    accept = request.headers.get("accept", "")
    kinds = [part.split(";", 1)[0].strip().lower() for part in accept.split(",")]
    return MEDIA_TYPE in kinds and (
        "application/json" not in kinds or kinds.index(MEDIA_TYPE) < kinds.index("application/json")
    )


WantsBinary = Annotated[bool, Depends(wants_binary)]


def accepts_gzip(request: Request) -> bool:
    """Whether the request's ``Accept-Encoding`` allows gzip (browsers always send it)."""
    kinds = request.headers.get("accept-encoding", "").lower().replace(" ", "").split(",")
    return any(k == "gzip" or (k.startswith("gzip;") and not k.endswith("q=0")) for k in kinds)


AcceptsGzip = Annotated[bool, Depends(accepts_gzip)]

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


def _delta(q: np.ndarray) -> np.ndarray:
    """Differences along the first axis, modulo the dtype's range (step 0 as is)."""
    d = q.copy()
    if len(q) > 1:
        d[1:] = q[1:] - q[:-1]  # unsigned: wraps around, exactly invertible
    return d


def _undelta(d: np.ndarray) -> np.ndarray:
    return np.cumsum(d, axis=0, dtype=d.dtype) if len(d) else d


def _byte_planes(a: np.ndarray) -> np.ndarray:
    """uint16 values as [2, size] uint8: low bytes, then high bytes."""
    return np.ascontiguousarray(np.asarray(a, "<u2").reshape(-1).view(np.uint8).reshape(-1, 2).T)


def _lossless(a: np.ndarray) -> np.ndarray:
    if a.dtype.kind == "f":
        return np.ascontiguousarray(a, dtype="<f4")
    if a.dtype == np.uint8:
        return np.ascontiguousarray(a)
    if a.size == 0 or (a.min() >= 0 and a.max() <= 255):
        return np.ascontiguousarray(a, dtype=np.uint8)
    return np.ascontiguousarray(a, dtype="<i4")


def encode_binary(
    answer: dict[str, Any],
    quant: dict[str, Quant] | None = None,
    delta: Collection[str] = (),
) -> bytes:
    """The safetensors bytes of a view's answer (see the module docstring); integer arrays
    named in ``delta`` that fit uint8 travel as differences along their first axis."""
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
        if q is not None and q.delta and value.dtype.kind == "f" and value.ndim:
            whole, tensors[f"{name}.min"], tensors[f"{name}.scale"] = _quantise(
                value, Quant(bits=16)
            )
            tensors[name] = _byte_planes(_delta(whole))
            info["encoding"] = "u16-delta"
        elif q is not None and value.dtype.kind == "f":
            tensors[name], tensors[f"{name}.min"], tensors[f"{name}.scale"] = _quantise(value, q)
            info["encoding"] = f"u{q.bits}"
        else:
            tensors[name] = _lossless(value)
            info["encoding"] = "raw"
            if name in delta and value.ndim and tensors[name].dtype == np.uint8:
                tensors[name] = _delta(tensors[name])
                info["encoding"] = "u8-delta"
        arrays[name] = info
    meta = {"format": FORMAT, "version": VERSION, "arrays": arrays, "fields": fields}
    return save(tensors, metadata={"convlens": json.dumps(meta, separators=(",", ":"))})


def decode_binary(body: bytes) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """``(metadata, arrays)`` of :func:`encode_binary`'s bytes, the arrays decoded as
    ``web/src/api/binary.ts`` does (dequantised to float32, differences summed)."""
    from safetensors.numpy import load

    n = int.from_bytes(body[:8], "little")
    meta = json.loads(json.loads(body[8 : 8 + n])["__metadata__"]["convlens"])
    tensors = load(body)
    arrays = {}
    for name, info in meta["arrays"].items():
        t, shape, kind = tensors[name], info["shape"], info["encoding"]
        if kind == "u16-delta":
            planes = t.astype(np.uint16)
            t = _undelta((planes[0] | (planes[1] << 8)).reshape(shape))
        elif kind == "u8-delta":
            t = _undelta(t.reshape(shape))
        if kind in ("u8", "u16", "u16-delta"):
            lo, step = tensors[f"{name}.min"], tensors[f"{name}.scale"]
            t = lo[:, None] + t.reshape(len(lo), -1).astype(np.float32) * step[:, None]
        arrays[name] = t.reshape(shape)
    return meta, arrays


def binary_response(
    answer: dict[str, Any],
    quant: dict[str, Quant] | None = None,
    delta: Collection[str] = (),
    compress: bool = False,
) -> Response:
    """:func:`encode_binary` as an HTTP answer (``Vary: Accept``: JSON and binary share a URL),
    gzip-compressed (level 1: fast; the differences are what shrink) when ``compress``."""
    body = encode_binary(answer, quant, delta)
    headers = {"Vary": "Accept"}
    if compress:
        body = gzip.compress(body, compresslevel=1, mtime=0)
        headers = {"Vary": "Accept, Accept-Encoding", "Content-Encoding": "gzip"}
    return Response(body, media_type=MEDIA_TYPE, headers=headers)
