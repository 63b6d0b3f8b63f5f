"""The error answers routes document: every refusal is ``{"detail": "what is wrong; what to do"}``
(one line)."""

from __future__ import annotations

from typing import Any

from ._schemas import ErrorBody

WHY: dict[int, str] = {
    400: "Bad input: the message says what is wrong and what to do.",
    403: "Refused: a token is needed, the Host is not this machine, or the request came from "
    "another site's page.",
    404: "No such run, epoch, layer, image, class or job (the message lists those there are).",
    409: "Not possible for this run (no model spec, a missing extra, an unreadable run).",
    413: "The upload is over the size limit (10 MB, 40 megapixels).",
    415: "The upload is not an image ConvLens can read (PNG, JPEG, ...).",
    422: "A parameter is missing or not of the documented type.",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: each status in ``codes`` with its error body (403 and 422
    are always added: the guard and FastAPI's validation may answer any request)."""
    return {
        code: {"model": ErrorBody, "description": WHY[code]} for code in sorted({*codes, 403, 422})
    }


PNG: dict[int | str, dict[str, Any]] = {
    200: {"content": {"image/png": {"schema": {"type": "string", "format": "binary"}}}}
}
OCTET: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
    }
}
