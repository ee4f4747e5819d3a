"""The blob store interface: opaque bytes under server-chosen keys."""

from __future__ import annotations

import re
from typing import Protocol

# Keys are chosen by the server (never from a client's file name), but both implementations still refuse
# anything that could escape their root: no absolute paths, no `..`, no backslashes, no empty segments.
_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}(/[A-Za-z0-9][A-Za-z0-9._-]{0,127}){0,7}")


class BlobNotFound(LookupError):
    """No blob is stored under the key."""


class BlobStoreError(RuntimeError):
    """The store could not be reached or refused the operation (disk full, S3 down, access denied)."""


def check_key(key: str) -> str:
    if not _KEY.fullmatch(key):
        raise ValueError(f"invalid blob key {key!r}")
    return key


class BlobStore(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store `data` under `key` atomically: a reader sees the whole blob or nothing."""

    def get(self, key: str) -> bytes:
        """The stored bytes; BlobNotFound if there are none."""

    def delete(self, key: str) -> None:
        """Remove the blob; deleting a missing blob is not an error (compensation may run twice)."""
