"""Reading an upload without ever holding more than the limit: the body is counted as it
arrives and refused (413) the moment it passes ``MAX_UPLOAD_BYTES`` plus the form's overhead;
the form is then parsed and the image decoded in a worker thread."""

from __future__ import annotations

import io
from collections.abc import AsyncGenerator
from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from python_multipart.multipart import parse_options_header
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from convlens.core import UserInputError
from convlens.views import MAX_UPLOAD_BYTES, Inspector, UploadTooLargeError, upload_text

FORM_OVERHEAD = 64 * 1024  # the multipart boundaries and headers around the file
LIMIT = MAX_UPLOAD_BYTES + FORM_OVERHEAD

UPLOAD_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {"file": {"type": "string", "format": "binary"}},
            }
        }
    },
}


def too_large(size: int) -> UploadTooLargeError:
    return UploadTooLargeError(
        f"the upload has more than {size / 2**20:.1f} MB; the limit is "
        f"{MAX_UPLOAD_BYTES // 2**20} MB: resize the image and try again"
    )


async def read_body(request: Request, limit: int = LIMIT) -> bytes:
    """The request body, refused as soon as it passes ``limit`` bytes (declared or sent)."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise too_large(int(length))
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large(len(body))
    return bytes(body)


async def _file_of(request: Request, body: bytes) -> bytes:
    content_type, _ = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data":
        raise UserInputError("send the image as a multipart form field named 'file'")

    async def replay() -> AsyncGenerator[bytes, None]:
        yield body

    try:
        form = await MultiPartParser(request.headers, replay(), max_files=1, max_fields=8).parse()
    except MultiPartException as err:
        raise UserInputError(
            f"the form could not be read ({err.message}): send the image as a "
            "multipart form field named 'file'"
        ) from None
    file = form.get("file")
    if not isinstance(file, UploadFile):
        raise UserInputError("send the image as a multipart form field named 'file'")
    data = await file.read(MAX_UPLOAD_BYTES + 1)
    await file.close()
    return data


def _original_size(data: bytes, fallback: tuple[int, int]) -> tuple[int, int]:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as im:
            return int(im.size[0]), int(im.size[1])
    except Exception:  # decoded already: a size the header does not give is the decoded one
        return fallback


def _add(insp: Inspector, data: bytes, run: str | None) -> dict[str, Any]:
    how = insp.contract(insp.run(run)) if run else None  # an unknown run: 404 before decoding
    up = insp.add_upload(data)  # sizes are checked before any pixel is decoded
    ch = int(up.image.shape[2])
    width, height = _original_size(data, (up.width, up.height))
    return {
        "id": up.id,
        "width": width,
        "height": height,
        "channels": ch,
        "bytes": len(data),
        "explanation": upload_text(width, height, ch, how),
        "input_description": how.describe() if how else None,
        "input_url": f"/api/runs/{run}/input.png?image=upload:{up.id}" if run else None,
    }


async def receive_upload(
    insp: Inspector, request: Request, run: str | None = None
) -> dict[str, Any]:
    """Read, check and keep one uploaded image; its description as ``UploadInfo`` (with
    ``run``: also how that run's model cuts the picture)."""
    body = await read_body(request)
    data = await _file_of(request, body)
    del body
    return await run_in_threadpool(_add, insp, data, run)
