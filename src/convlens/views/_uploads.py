"""Uploads view: images a user hands in, kept in memory (their own lock), and what to say."""

from __future__ import annotations

import re
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from convlens.core import InputContract, NotFoundError

from ._images import decode_image

_UPLOAD_ID = re.compile(r"^[0-9a-f]{16}$")


@dataclass(frozen=True)
class Upload:
    """An image uploaded to the server, kept in memory."""

    id: str
    image: np.ndarray  # uint8 [H, W, 1 | 3], at most KEEP_SIDE pixels a side
    width: int  # as uploaded
    height: int


class UploadStore:
    """The last ``max_uploads`` uploaded images, in memory (forgotten when the server stops).

    Args:
        max_uploads: Uploads kept; the oldest goes first.
    """

    def __init__(self, max_uploads: int = 64) -> None:
        self.max_uploads = max_uploads
        self._lock = threading.Lock()
        self._uploads: OrderedDict[str, Upload] = OrderedDict()

    def add(self, data: bytes) -> Upload:
        """Decode and keep an uploaded image (see :func:`decode_image` for the limits)."""
        image = decode_image(data)
        up = Upload(secrets.token_hex(8), image, int(image.shape[1]), int(image.shape[0]))
        with self._lock:
            self._uploads[up.id] = up
            while len(self._uploads) > self.max_uploads:
                self._uploads.popitem(last=False)
        return up

    def get(self, upload_id: str) -> Upload:
        """The upload ``upload_id``; a forgotten one says to upload the image again."""
        with self._lock:
            up = self._uploads.get(upload_id) if _UPLOAD_ID.match(upload_id) else None
        if up is None:
            raise NotFoundError(
                f"no upload '{upload_id[:40]}': the server keeps the last {self.max_uploads} "
                "uploads in memory (and forgets them when it restarts), so upload the image again"
            )
        return up


def upload_text(
    width: int, height: int, channels: int, contract: InputContract | None = None
) -> str:
    """What to say about an upload; with a run's ``contract``, how that model cuts it."""
    colour = "grey" if channels == 1 else "colour"
    how = (
        contract.describe()
        if contract is not None
        else "It is cut and resized as each run's network takes its pictures."
    )
    return f"Got a {colour} picture of {width}×{height} pixels. {how}"
